"""Demo data (`registry seed --demo`) and synthetic volume (`--scale N`): complete, valid, idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from registry.core.models import AuditEvent, utcnow
from registry.directory import demo, rules, search, services
from registry.directory.models import (
    Contact,
    ContactKind,
    LiaisonRole,
    LiaisonSide,
    Partner,
    PartnerCategory,
    PartnerLevel,
    SearchDocument,
    contact_keyword,
    partner_region,
    partner_theme,
)
from registry.extensions import db
from registry.i18n import today as helsinki_today


def _seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["seed", "--demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _counts() -> dict[str, int]:
    return {name: db.session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("partner", Partner), ("contact", Contact), ("role", LiaisonRole),
                                ("document", SearchDocument))}


def test_business_ids_get_computed_check_digits():
    assert demo.with_check_digit(9910001) == rules.normalise_business_id(demo.with_check_digit(9910001) or "")
    assert demo.with_check_digit(9910006) is None  # remainder 1: no valid check digit exists
    ids = demo.business_ids(9000000)
    first = [next(ids) for _ in range(200)]
    assert all(rules.normalise_business_id(b) == b for b in first)
    assert len(set(first)) == 200


def test_demo_seed_shows_every_feature_and_is_idempotent(app):
    output = _seed(app)
    assert "Demo directory: partners added" in output
    with app.app_context():
        counts = _counts()
        assert counts["partner"] > 40 and counts["contact"] > 40 and counts["role"] > 20
        partners = db.session.scalars(select(Partner)).all()
        assert {p.category for p in partners} == set(PartnerCategory)
        assert all(p.business_id is None or rules.normalise_business_id(p.business_id) == p.business_id
                   for p in partners)
        names = {p.name_fi: p for p in partners}
        assert "Kokemusasiantuntijatoiminnan tukiyhdistys ry" in names
        assert names["Föreningen Steg för steg rf"].name_sv == "Föreningen Steg för steg rf"
        assert names["Pirkanmaan hyvinvointialue"].category is PartnerCategory.WELLBEING_COUNTY
        assert [r.code for r in names["Pirkanmaan hyvinvointialue"].regions] == ["PIR"]
        assert any(p.suitability_outcome is not None for p in partners)
        assert any(not p.active for p in partners)

        # The likely duplicate pair: one without a business ID, found as similar to the other.
        original, duplicate = names["Sinisiltasäätiö sr"], names["Sinisiltasaatio"]
        assert duplicate.business_id is None and original.business_id
        assert duplicate in services.similar_partners(original.name_fi, exclude_id=original.id)

        # An NGO without a Rise liaison is routed to the project office (with its mailbox).
        today = helsinki_today()
        routed = services.routed_contacts(names["Läheisverkosto Sylikkö ry"], today)
        assert "projektitoimisto@demo.rise.example" in {c.email for c in routed}
        mailbox = db.session.scalar(select(Contact).where(Contact.email == "projektitoimisto@demo.rise.example"))
        assert mailbox.kind is ContactKind.MAILBOX and mailbox.unit.code == "PROJ"
        # … while one with a liaison shows that person.
        named = services.routed_contacts(names["Kokemusasiantuntijatoiminnan tukiyhdistys ry"], today)
        assert [c.name for c in named] == ["Outi Rautio"]
        current, past = services.partner_liaisons(names["Kokemusasiantuntijatoiminnan tukiyhdistys ry"], today)
        assert {r.side for r in current} == {LiaisonSide.RISE, LiaisonSide.PARTNER}
        assert [r.contact.name for r in past] == ["Johanna Koivisto"]

        # Stale contacts (14–20 months since confirmation), keywords, Finnish phones, theme mailboxes.
        now = utcnow()
        stale = db.session.scalars(select(Contact).where(
            Contact.last_confirmed_at < now - timedelta(days=425),
            Contact.last_confirmed_at > now - timedelta(days=610))).all()
        assert len(stale) >= 5
        jari = db.session.scalar(select(Contact).where(Contact.name == "Jari Lepistö"))
        assert [k.name for k in jari.keywords] == ["kokemusasiantuntijuus", "päihdetyö", "vankilaopetus"]
        assert jari.mobile == "+358503649182" and rules.is_stale(jari.last_confirmed_at, now)
        assert db.session.scalar(select(func.count()).select_from(Contact).where(
            Contact.kind == ContactKind.MAILBOX, Contact.unit_id.is_not(None))) >= 3
        assert all(c.email is None or c.email.endswith(".example")
                   for c in db.session.scalars(select(Contact)))

        # Everything is searchable (documents written by the index hook as the services saved).
        assert counts["document"] == counts["partner"] + counts["contact"]

    output = _seed(app)
    assert "partners added 0, contacts added 0, liaison roles added 0" in output
    with app.app_context():
        assert _counts() == counts


def test_scale_generates_valid_searchable_partners_once(app):
    _seed(app)
    with app.app_context():
        before = _counts()
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    output = _seed(app, "--scale", "50")
    assert "Generated (--scale 50): partners added 50" in output
    with app.app_context():
        after = _counts()
        assert after["partner"] - before["partner"] == 50 == demo.generated_count()
        contacts = after["contact"] - before["contact"]
        assert 110 <= contacts <= 190  # about three per partner
        assert after["document"] - before["document"] == 50 + contacts
        generated = db.session.scalars(select(Partner).where(Partner.business_id.like("90%"))).all()
        assert len(generated) == 50
        assert all(rules.normalise_business_id(p.business_id) == p.business_id for p in generated)
        ids = [p.id for p in generated]
        for contact in db.session.scalars(select(Contact).where(Contact.partner_id.in_(ids))):
            for number in (contact.phone, contact.mobile):
                assert number is None or services.normalise_phone(number) == number
            assert contact.email and "@" in contact.email and contact.email.endswith(".example")
            assert contact.last_confirmed_at is not None
        assert db.session.scalar(select(func.count()).select_from(partner_theme)
                                 .where(partner_theme.c.partner_id.in_(ids))) >= 50
        assert db.session.scalar(select(func.count()).select_from(partner_region)
                                 .where(partner_region.c.partner_id.in_(ids))) > 0
        assert db.session.scalar(select(func.count()).select_from(contact_keyword)) >= contacts
        # The documents are those the search module builds; the generated rows are found by search.
        sample = generated[0]
        with app.test_request_context():
            _total, results = search.search(sample.name_fi, limit=100)
        assert ("partner", sample.id) in {(r.type, r.id) for r in results}
        # One audit event summarises the bulk insert (the rows themselves bypass the audit hook).
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "generate")
                                    .order_by(AuditEvent.id)).all()
        assert len(events) == 2 and "50 synthetic partners" in (events[0].note or "")  # then the agreements
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 2

    output = _seed(app, "--scale", "50")
    assert "partners added 0" in output
    with app.app_context():
        assert _counts() == after
        # New rows made through the services afterwards get fresh ids (sequences moved past the bulk ids).
        partner = services.save_partner(Partner(), {"name_fi": "Uusi yhdistys ry",
                                                    "category": PartnerCategory.ASSOCIATION,
                                                    "level": PartnerLevel.LOCAL})
        db.session.commit()
        assert partner.id > max(ids)


def test_scale_continues_where_a_smaller_run_stopped(app):
    _seed(app, "--scale", "20")
    with app.app_context():
        first = {p.business_id: p.name_fi for p in db.session.scalars(select(Partner).where(
            Partner.business_id.like("90%")))}
    _seed(app, "--scale", "30")
    with app.app_context():
        after = {p.business_id: p.name_fi for p in db.session.scalars(select(Partner).where(
            Partner.business_id.like("90%")))}
    assert len(first) == 20 and len(after) == 30
    assert all(after[b] == name for b, name in first.items())


def test_scale_needs_demo(app):
    result = app.test_cli_runner().invoke(args=["seed", "--scale", "5"])
    assert result.exit_code != 0 and "--scale needs --demo" in result.output
