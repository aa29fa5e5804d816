"""The review criteria the working group maintains (DOMAIN §5.1 step 9), in versions: a change saves a whole new
set, so a review keeps the version it was started with. Version 1 is the default set from DOMAIN §5.2, loaded
by `registry seed` from `seed/application_criteria.csv`."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core.services import ServiceError
from ..directory.rules import fold
from ..extensions import db
from .models import CriteriaVersion, Criterion

SEED_FILE = "application_criteria.csv"
MAX_CRITERIA = 30
MAX_WEIGHT = Decimal("1000")
SCALE_LIMIT = 100  # scales run within -100…100
CODE = re.compile(r"^[a-z0-9_]{1,40}$")


@dataclass
class CriterionData:
    """One criterion as a form gives it (validated by `create_version`)."""

    code: str
    name_fi: str
    name_sv: str
    name_en: str
    weight: Decimal
    scale_min: int = 0
    scale_max: int = 5
    required: bool = True
    description_fi: str | None = None
    description_sv: str | None = None
    description_en: str | None = None


def current_version() -> CriteriaVersion | None:
    """The criteria version in force: the one with the highest number (its criteria loaded)."""
    return db.session.scalar(select(CriteriaVersion).options(selectinload(CriteriaVersion.criteria))
                             .order_by(CriteriaVersion.number.desc()).limit(1))


def versions() -> list[CriteriaVersion]:
    """Every criteria version, newest first."""
    return list(db.session.scalars(select(CriteriaVersion).order_by(CriteriaVersion.number.desc())))


def criteria_of(version_ids: set[int]) -> list[Criterion]:
    """The criteria of the given versions (their versions loaded)."""
    if not version_ids:
        return []
    return list(db.session.scalars(select(Criterion).options(selectinload(Criterion.version))
                                   .where(Criterion.version_id.in_(version_ids))
                                   .order_by(Criterion.version_id, Criterion.position)))


def make_code(name: str, taken: set[str]) -> str:
    """A code for a new criterion from its name (ascii, lower case, underscores), unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")[:36] or "criterion"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def _check(items: list[CriterionData]) -> None:
    """The rules of a criteria set; each message names the row (1-based) it concerns."""
    if not items:
        raise ServiceError(_("Give at least one criterion."), "criteria")
    if len(items) > MAX_CRITERIA:
        raise ServiceError(_("At most %(n)d criteria.", n=MAX_CRITERIA), "criteria")
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not CODE.match(item.code):
            raise ServiceError(_("Criterion %(n)d: the code may have only lower-case letters a–z, digits and "
                                 "underscores.", n=n), "criteria")
        if item.code in seen:
            raise ServiceError(_("Criterion %(n)d: the code %(code)s is used twice.", n=n, code=item.code),
                               "criteria")
        seen.add(item.code)
        if not (item.name_fi.strip() and item.name_sv.strip() and item.name_en.strip()):
            raise ServiceError(_("Criterion %(n)d: give the name in Finnish, Swedish and English.", n=n),
                               "criteria")
        if not item.weight > 0 or item.weight > MAX_WEIGHT:
            raise ServiceError(_("Criterion %(n)d: the weight must be more than 0 and at most 1000.", n=n),
                               "criteria")
        if not -SCALE_LIMIT <= item.scale_min < item.scale_max <= SCALE_LIMIT:
            raise ServiceError(_("Criterion %(n)d: the lowest score must be below the highest (within −100…100).",
                                 n=n), "criteria")


def create_version(items: list[CriterionData], *, note: str | None = None, user: Any = None) -> CriteriaVersion:
    """Save the whole set as a new version (numbered after the newest); earlier versions stay as they were."""
    _check(items)
    number = (db.session.scalar(select(func.max(CriteriaVersion.number))) or 0) + 1
    version = CriteriaVersion(number=number, note=(note or "").strip() or None,
                              created_by_id=getattr(user, "id", None))
    for position, item in enumerate(items, start=1):
        version.criteria.append(Criterion(
            code=item.code, position=position, name_fi=item.name_fi.strip(), name_sv=item.name_sv.strip(),
            name_en=item.name_en.strip(), description_fi=(item.description_fi or "").strip() or None,
            description_sv=(item.description_sv or "").strip() or None,
            description_en=(item.description_en or "").strip() or None, weight=item.weight,
            scale_min=item.scale_min, scale_max=item.scale_max, required=item.required))
    db.session.add(version)
    db.session.flush()
    return version


def default_criteria() -> list[CriterionData]:
    """The default criteria of DOMAIN §5.2 from the seed file."""
    from ..seed import SEED_DIR

    with (SEED_DIR / SEED_FILE).open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["position"]))
    try:
        return [CriterionData(
            code=r["code"], name_fi=r["name_fi"], name_sv=r["name_sv"], name_en=r["name_en"],
            description_fi=r["description_fi"] or None, description_sv=r["description_sv"] or None,
            description_en=r["description_en"] or None, weight=Decimal(r["weight"]),
            scale_min=int(r["scale_min"]), scale_max=int(r["scale_max"]), required=r["required"] == "1")
            for r in rows]
    except (InvalidOperation, ValueError) as error:
        raise RuntimeError(f"{SEED_FILE}: {error}") from error


def load_default_criteria() -> int:
    """Version 1 of the criteria from the seed file, unless some version exists; returns versions added (0/1)."""
    if db.session.scalar(select(func.count(CriteriaVersion.id))):
        return 0
    create_version(default_criteria(), note="DOMAIN §5.2 (toimintaperiaatteet 8.2 §)")
    return 1
