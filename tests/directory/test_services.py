"""Directory services: business-ID uniqueness, similar names, phones, merging, routing to the project office."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.core.models import AuditEvent, Unit
from registry.core.services import ServiceError
from registry.directory import services
from registry.directory.models import (
    Contact,
    LiaisonRole,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
)
from registry.extensions import db
from registry.i18n import today as helsinki_today


def test_business_id_is_validated_normalised_and_unique(app, make_partner):
    pid = make_partner("Kris-Etelä-Suomi ry", business_id="116297-6")
    with app.app_context():
        assert db.session.get(Partner, pid).business_id == "0116297-6"
        with pytest.raises(services.DuplicateBusinessId) as dup:
            services.save_partner(Partner(), {"name_fi": "Toinen", "business_id": "0116297-6",
                                              "category": PartnerCategory.ASSOCIATION,
                                              "level": PartnerLevel.LOCAL})
        assert dup.value.existing_id == pid and dup.value.field == "business_id"
        db.session.rollback()
        with pytest.raises(ServiceError):
            services.save_partner(Partner(), {"name_fi": "X", "business_id": "0116297-5",
                                              "category": PartnerCategory.ASSOCIATION, "level": PartnerLevel.LOCAL})


def test_similar_names_are_found(app, make_partner):
    make_partner("Kriminaalihuollon tukisäätiö sr")
    make_partner("Takuusäätiö sr")
    with app.app_context():
        names = [p.name_fi for p in services.similar_partners("Kriminaalihuollon Tukisaatio")]
        assert names == ["Kriminaalihuollon tukisäätiö sr"]


@pytest.mark.parametrize("raw,stored,shown", [
    ("040 123 4567", "+358401234567", "040 1234567"),
    ("+358 29 56 88500", "+358295688500", "029 5688500"),
    ("+46 8 123 456 78", "+46812345678", "+46 8 123 456 78"),
])
def test_phones_are_stored_e164_and_shown_in_finnish_format(raw, stored, shown):
    assert services.normalise_phone(raw) == stored
    assert services.format_phone(stored).replace(" ", "") == shown.replace(" ", "")


def test_invalid_phone_is_refused(app, make_partner):
    pid = make_partner()
    with app.app_context():
        with pytest.raises(ServiceError) as error:
            services.save_contact(Contact(), {"name": "X", "partner": db.session.get(Partner, pid),
                                              "phone": "123"})
        assert error.value.field == "phone"


def test_merge_moves_contacts_roles_and_links_and_is_audited(app, reference, make_partner, make_contact):
    survivor = make_partner("Sininauhasäätiö sr", regions=("HKI",), themes=("housing",))
    duplicate = make_partner("Sininauhasaatio", business_id="0116297-6", regions=("HKI", "PIR"),
                             themes=("substance_mental",), notes="Vanha merkintä")
    contact = make_contact(partner_id=duplicate)
    with app.app_context():
        dup = db.session.get(Partner, duplicate)
        services.add_liaison_role(db.session.get(Contact, contact), subject=LiaisonSubject.PARTNER,
                                  side=LiaisonSide.PARTNER, partner=dup)
        moved = services.merge_partners(db.session.get(Partner, survivor), dup)
        db.session.commit()
        assert moved["contact"] == 1 and moved["liaison_role"] == 1
        alive = db.session.get(Partner, survivor)
        assert [c.id for c in alive.contacts] == [contact]
        assert {r.code for r in alive.regions} == {"HKI", "PIR"}
        assert {t.code for t in alive.themes} == {"housing", "substance_mental"}
        assert alive.business_id == "0116297-6" and "Vanha merkintä" in alive.notes
        assert db.session.scalar(select(LiaisonRole.partner_id)) == survivor
        gone = db.session.get(Partner, duplicate)
        assert gone.merged_into_id == survivor and not gone.active
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "merge")) is not None
        with pytest.raises(ServiceError):
            services.merge_partners(alive, gone)


def test_ngo_without_rise_liaison_is_routed_to_the_project_office(app, reference, make_partner, make_contact):
    ngo = make_partner("Apua ry")
    office = make_contact("Projektitoimiston postilaatikko", unit="PROJ", email="projektit@rise.example")
    liaison = make_contact("Risen Yhdyshenkilö", unit="HELV")
    with app.app_context():
        partner = db.session.get(Partner, ngo)
        assert [c.id for c in services.routed_contacts(partner, helsinki_today())] == [office]
        services.add_liaison_role(db.session.get(Contact, liaison), subject=LiaisonSubject.PARTNER,
                                  side=LiaisonSide.RISE, partner=partner, valid_from=date(2020, 1, 1))
        assert [c.id for c in services.routed_contacts(partner, helsinki_today())] == [liaison]
        # once the role has ended, it is history and the project office is shown again
        role = db.session.scalar(select(LiaisonRole))
        services.end_liaison_role(role, date(2021, 1, 1))
        assert [c.id for c in services.routed_contacts(partner, helsinki_today())] == [office]
        current, past = services.partner_liaisons(partner, helsinki_today())
        assert current == [] and past == [role]
        assert db.session.scalar(select(Unit.code).where(Unit.id == db.session.get(Contact, office).unit_id)) == "PROJ"


def test_changes_to_regions_themes_and_keywords_are_audited(app, reference, make_partner, make_contact):
    from registry.core.models import Region

    pid = make_partner("Linkkiyhdistys ry", regions=("HKI",))
    cid = make_contact(partner_id=pid, keywords=("päihdetyö",))
    with app.app_context():
        partner = db.session.get(Partner, pid)
        partner.regions = list(db.session.scalars(select(Region).where(Region.code.in_(["HKI", "PIR"]))))
        services.set_keywords(db.session.get(Contact, cid), ["asunnottomuus"])
        db.session.commit()
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update")
                                    .order_by(AuditEvent.id.desc())).all()
        regions = next(e for e in events if e.object_type == "partner" and "regions" in (e.after or {}))
        assert regions.before["regions"] == ["Helsingin kaupunki"]
        assert regions.after["regions"] == ["Helsingin kaupunki", "Pirkanmaan hyvinvointialue"]
        keywords = next(e for e in events if e.object_type == "contact" and "keywords" in (e.after or {}))
        assert keywords.before["keywords"] == ["päihdetyö"] and keywords.after["keywords"] == ["asunnottomuus"]
        created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "create",
                                                             AuditEvent.object_type == "contact"))
        assert created.after["keywords"] == ["päihdetyö"]


def test_director_dashboard_shows_stale_contacts_of_their_centre(app, reference, make_user, make_contact):
    from datetime import timedelta

    from registry.core.models import utcnow
    from tests.conftest import login, post

    make_contact("Vanha Tieto", unit="HELV", last_confirmed_at=utcnow() - timedelta(days=500))
    make_contact("Tuore Tieto", unit="HELV")
    make_contact("Muu Keskus", unit="OULV", last_confirmed_at=utcnow() - timedelta(days=500))
    client = app.test_client()
    login(client, make_user("director", unit="ESRSK"))
    post(client, "/language", {"lang": "en"})
    page = client.get("/").get_data(as_text=True)
    with app.app_context():
        centre = db.session.scalar(select(Unit.id).where(Unit.code == "ESRSK"))
    assert "Contacts not confirmed in 12 months in Southern Finland Criminal Sanctions Centre: 1" in page
    assert f"/directory/stale?centre={centre}" in page
    staff = app.test_client()
    login(staff, make_user("staff", unit="HELV"))
    assert "/directory/stale" not in staff.get("/").get_data(as_text=True)
