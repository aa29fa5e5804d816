"""Agreement reference data: regional counterpart kinds, legal bases and the national agreements of
policy §7.4 (DOMAIN §3.2–3.5, §9), loaded idempotently by `registry seed`."""

from __future__ import annotations

import csv

from sqlalchemy import select

from ..core.models import Unit
from ..directory.models import Partner, PartnerCategory, PartnerLevel, Theme
from ..directory.rules import fold
from ..extensions import db
from ..seed import SEED_DIR
from .models import (
    Agreement,
    AgreementKind,
    AgreementLevel,
    AgreementStatus,
    AgreementTransition,
    CounterpartKind,
    LegalBasis,
    RenewalType,
)

SEED_NOTE = "Sidosryhmäyhteistyön linjaukset §7.4"  # the transition note of a seeded status


def _rows(name: str) -> list[dict[str, str]]:
    with (SEED_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_counterpart_kinds() -> int:
    """Insert the regional counterpart kinds that are missing (by code); returns how many were added."""
    have = set(db.session.scalars(select(CounterpartKind.code)))
    added = 0
    for row in _rows("counterpart_kinds.csv"):
        if row["code"] not in have:
            db.session.add(CounterpartKind(code=row["code"], position=int(row["position"]),
                                           per_region=row["per_region"] == "1", name_fi=row["name_fi"],
                                           name_sv=row["name_sv"], name_en=row["name_en"]))
            added += 1
    db.session.flush()
    return added


def load_legal_bases() -> int:
    """Insert the statute references that are missing (by code); returns how many were added."""
    have = set(db.session.scalars(select(LegalBasis.code)))
    added = 0
    for row in _rows("legal_bases.csv"):
        if row["code"] not in have:
            db.session.add(LegalBasis(code=row["code"], statute_fi=row["statute_fi"],
                                      statute_sv=row["statute_sv"] or None, statute_en=row["statute_en"] or None,
                                      section=row["section"] or None, subject_en=row["subject_en"] or None))
            added += 1
    db.session.flush()
    return added


def _partner(category: str, name: str, known: dict[str, Partner]) -> tuple[Partner, bool]:
    """The partner with this name (matched without case or diacritics), created if missing."""
    key = fold(name)
    if key in known:
        return known[key], False
    partner = Partner(name_fi=name, category=PartnerCategory(category), level=PartnerLevel.NATIONAL)
    db.session.add(partner)
    known[key] = partner
    return partner, True


def load_national_agreements() -> tuple[int, int]:
    """Insert the national agreements of policy §7.4 that are missing (matched by Finnish name), with their
    partner parties (existing partners matched by name, missing ones created). Returns (agreements, partners)
    added; agreements already present, even if edited since, are left alone."""
    have = {fold(n) for n in db.session.scalars(select(Agreement.name_fi)
                                                .where(Agreement.level == AgreementLevel.NATIONAL))}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    themes = {t.code: t for t in db.session.scalars(select(Theme))}
    bases = {b.code: b for b in db.session.scalars(select(LegalBasis))}
    known = {fold(p.name_fi): p for p in db.session.scalars(
        select(Partner).where(Partner.merged_into_id.is_(None)).order_by(Partner.active.desc(), Partner.id.desc()))}
    added = partners_added = 0
    for row in _rows("agreements_national.csv"):
        if fold(row["name_fi"]) in have:
            continue
        parties = []
        for item in filter(None, (p.strip() for p in row["parties"].split(";"))):
            category, _sep, name = item.partition(":")
            partner, created = _partner(category, name.strip(), known)
            parties.append(partner)
            partners_added += created
        status = AgreementStatus(row["status"])
        agreement = Agreement(
            name_fi=row["name_fi"], name_sv=row["name_sv"] or None, name_en=row["name_en"] or None,
            kind=AgreementKind(row["kind"]), level=AgreementLevel.NATIONAL, status=status,
            owner_unit=units[row["owner"]], dnro=row["dnro"] or None, renewal_type=RenewalType(row["renewal_type"]),
            review_interval_months=int(row["review_interval_months"]) if row["review_interval_months"] else None,
            notes=row["notes"] or None, parties=parties,
            themes=[themes[c] for c in row["themes"].split() if c in themes],
            legal_bases=[bases[c.strip()] for c in row["legal_bases"].split(";") if c.strip() in bases])
        agreement.transitions.append(AgreementTransition(from_status=None, to_status=status, note=SEED_NOTE))
        db.session.add(agreement)
        have.add(fold(row["name_fi"]))
        added += 1
    db.session.flush()
    return added, partners_added


def load_agreement_reference() -> dict[str, int]:
    """Counterpart kinds and legal bases that are missing; counts of what was added."""
    return {"counterpart kinds added": load_counterpart_kinds(), "legal bases added": load_legal_bases()}


def load_national_reference() -> dict[str, int]:
    """The national agreements of policy §7.4 and their parties that are missing; counts of what was added.

    Kept apart from `seed.load_reference` (which only fills reference tables): it creates partner records too,
    which callers that need just the reference tables should not get.
    """
    agreements, partners = load_national_agreements()
    return {"national agreements added": agreements, "partners added": partners}
