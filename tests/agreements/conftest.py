"""Agreement factories (return ids; ORM objects do not outlive their context)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementLevel,
    AgreementStatus,
    AgreementTransition,
    CounterpartKind,
    LegalBasis,
    RenewalType,
)
from registry.core.models import Region, Unit, UnitKind
from registry.directory.models import (
    Contact,
    LiaisonRole,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
    Theme,
)
from registry.extensions import db
from tests.directory.conftest import english, make_contact, make_partner  # noqa: F401  (shared fixtures)


def _by_code(model: Any, codes: tuple[str, ...] | list[str]) -> list[Any]:
    found = {row.code: row for row in db.session.scalars(select(model).where(model.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    assert not missing, f"no {model.__tablename__} with code {missing}"
    return [found[c] for c in codes]


def _liaison(agreement: Agreement, contact_id: int, side: LiaisonSide, valid_from: date | None) -> None:
    db.session.add(LiaisonRole(contact_id=contact_id, subject=LiaisonSubject.AGREEMENT, side=side,
                               agreement_id=agreement.id, valid_from=valid_from))


@pytest.fixture
def make_agreement(app: Flask, reference: None) -> Any:
    """Factory: an agreement (reference data loaded); returns its id.

    Keyword arguments are model fields (enums or their values; `status` is set directly, without the
    lifecycle checks, with one transition row into it), plus: `owner` (unit code, default ESRSK), `centres`
    (default for a regional agreement owned by a sanction centre: that centre), `regions`, `themes`,
    `legal_bases` (codes), `counterpart` (counterpart-kind code), `parties` (partner ids; when none is
    given and liaisons are wanted, a partner is created), `rise_liaison` / `partner_liaison` (contact ids),
    `with_liaisons=True` (creates a Rise contact at the owner unit and a contact at the first party, both
    named liaisons from `liaisons_from`, default none = always current).
    """

    def factory(name_fi: str = "Yhteistyösopimus", *, owner: str = "ESRSK", centres: tuple[str, ...] = (),
                regions: tuple[str, ...] = (), themes: tuple[str, ...] = (), legal_bases: tuple[str, ...] = (),
                counterpart: str | None = None, parties: tuple[int, ...] = (), rise_liaison: int | None = None,
                partner_liaison: int | None = None, with_liaisons: bool = False,
                liaisons_from: date | None = None, **fields: Any) -> int:
        with app.app_context():
            data: dict[str, Any] = {"kind": AgreementKind.AGREEMENT, "level": AgreementLevel.REGIONAL,
                                    "status": AgreementStatus.PLANNED, "renewal_type": RenewalType.NONE, **fields}
            for key, enum in (("kind", AgreementKind), ("level", AgreementLevel), ("status", AgreementStatus),
                              ("renewal_type", RenewalType)):
                data[key] = enum(data[key])
            (owner_unit,) = _by_code(Unit, (owner,))
            agreement = Agreement(name_fi=name_fi, owner_unit=owner_unit, **data)
            agreement.centres = _by_code(Unit, centres)
            if not centres and data["level"] is AgreementLevel.REGIONAL and owner_unit.kind is UnitKind.SANCTION_CENTRE:
                agreement.centres = [owner_unit]  # a regional agreement has at least one centre
            agreement.regions = _by_code(Region, regions)
            agreement.themes = _by_code(Theme, themes)
            agreement.legal_bases = _by_code(LegalBasis, legal_bases)
            if counterpart:
                (agreement.counterpart_kind,) = _by_code(CounterpartKind, (counterpart,))
            party_ids = list(parties)
            if with_liaisons and not party_ids:
                partner = Partner(name_fi=f"Osapuoli: {name_fi}", category=PartnerCategory.STATE_AUTHORITY,
                                  level=PartnerLevel.REGIONAL)
                db.session.add(partner)
                db.session.flush()
                party_ids.append(partner.id)
            agreement.parties = [db.session.get(Partner, pid) for pid in party_ids]
            agreement.transitions.append(AgreementTransition(from_status=None, to_status=agreement.status))
            db.session.add(agreement)
            db.session.flush()
            if with_liaisons:
                rise = Contact(name=f"Rise-yhdyshenkilö {agreement.id}", unit=owner_unit,
                               email=f"rise{agreement.id}@rise.example")
                other = Contact(name=f"Kumppanin yhdyshenkilö {agreement.id}", partner_id=party_ids[0],
                                email=f"partner{agreement.id}@partner.example")
                db.session.add_all([rise, other])
                db.session.flush()
                rise_liaison = rise_liaison or rise.id
                partner_liaison = partner_liaison or other.id
            if rise_liaison:
                _liaison(agreement, rise_liaison, LiaisonSide.RISE, liaisons_from)
            if partner_liaison:
                _liaison(agreement, partner_liaison, LiaisonSide.PARTNER, liaisons_from)
            db.session.commit()
            return agreement.id

    return factory
