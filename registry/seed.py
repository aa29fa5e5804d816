"""Reference data (units, wellbeing services counties) and the deterministic demo data set."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .auth.services import regenerate_recovery_codes
from .core.models import Region, Unit, UnitKind, utcnow
from .core.services import create_user, unit_by_code, user_by_email
from .directory.demo import load_directory_demo
from .directory.models import Theme
from .extensions import db

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


def _rows(name: str) -> list[dict[str, str]]:
    with (SEED_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_reference() -> dict[str, int]:
    """Insert units, regions, themes and the agreement reference data that are missing; edited rows are kept."""
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    added_units = 0
    for row in _rows("units.csv"):
        if row["code"] in existing:
            continue
        unit = Unit(code=row["code"], kind=UnitKind(row["kind"]), name_fi=row["name_fi"],
                    name_sv=row["name_sv"], name_en=row["name_en"], parent=existing.get(row["parent"]))
        db.session.add(unit)
        existing[unit.code] = unit
        added_units += 1
    db.session.flush()
    regions = {r.code for r in db.session.scalars(select(Region))}
    added_regions = 0
    for row in _rows("regions.csv"):
        if row["code"] in regions:
            continue
        db.session.add(Region(code=row["code"], name_fi=row["name_fi"], name_sv=row["name_sv"],
                              name_en=row["name_en"], sanction_centre=existing.get(row["sanction_centre"])))
        added_regions += 1
    db.session.flush()
    themes = {t.code for t in db.session.scalars(select(Theme))}
    added_themes = 0
    for row in _rows("themes.csv"):
        if row["code"] not in themes:
            db.session.add(Theme(code=row["code"], name_fi=row["name_fi"], name_sv=row["name_sv"],
                                 name_en=row["name_en"]))
            added_themes += 1
    db.session.flush()
    from .access.protection import load_parameter_sets
    from .agreements.reference import load_agreement_reference
    from .applications.criteria import load_default_criteria

    added_parameters = load_parameter_sets()
    return {"units added": added_units, "regions added": added_regions, "themes added": added_themes,
            "policy parameter versions added": added_parameters, **load_agreement_reference(),
            "application criteria versions added": load_default_criteria()}


def load_demo(summary: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Create the fictional demo users, then the directory's demo partners and contacts, that are missing.

    Returns the users' sign-in details; `summary`, if given, receives what the directory demo added.
    """
    logins = []
    for row in _rows("demo_users.csv"):
        roles = row["roles"].split()
        if user_by_email(row["email"]) is None:
            user = create_user(email=row["email"], name=row["name"], password=row["password"], roles=roles,
                               home_unit=unit_by_code(row["unit"]), locale="fi")
            if row["totp_secret"]:
                user.totp_secret = row["totp_secret"]
                user.totp_enabled_at = utcnow()
                regenerate_recovery_codes(user)
        logins.append({"role": row["roles"], "email": row["email"], "password": row["password"],
                       "totp": row["totp_secret"] or None})
    db.session.flush()
    counts = load_directory_demo()
    if summary is not None:
        summary.update(counts)
    return logins
