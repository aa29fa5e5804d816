"""Agreement services: lifecycle transitions with their required fields, superseding by a new version, amendments,
liaisons, saving with optimistic concurrency, the daily job's expiry and renewal, and who may change what."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from registry.agreements import services
from registry.agreements.models import Agreement, AgreementStatus, AgreementTransition, RelationKind
from registry.core.models import User
from registry.core.services import ServiceError
from registry.directory.models import Contact, LiaisonRole, LiaisonSide
from registry.extensions import db

TODAY = date(2026, 11, 23)


def _user(user_ref):
    return db.session.get(User, user_ref.id)


def _move(app, agreement_id, to_status, user_ref=None, **kwargs):
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        user = _user(user_ref) if user_ref else None
        services.transition(agreement, to_status, user=user, today=kwargs.pop("today", TODAY), **kwargs)
        db.session.commit()
        return agreement.status.value


def _status(app, agreement_id):
    with app.app_context():
        return db.session.get(Agreement, agreement_id).status.value


def test_walk_through_the_lifecycle_records_every_step(app, make_agreement, make_user):
    admin = make_user("admin")
    aid = make_agreement(with_liaisons=True)
    assert _move(app, aid, "in_preparation", admin) == "in_preparation"
    assert _move(app, aid, "in_force", admin, signed_on=date(2026, 11, 1), valid_from=date(2026, 11, 2),
                 valid_until=date(2028, 12, 31)) == "in_force"
    assert _move(app, aid, "under_renewal", admin) == "under_renewal"
    assert _move(app, aid, "in_force", admin, valid_until=date(2030, 12, 31)) == "in_force"
    assert _move(app, aid, "terminated", admin, note="Kumppani irtisanoi sopimuksen") == "terminated"
    with app.app_context():
        agreement = db.session.get(Agreement, aid)
        steps = [(t.from_status and t.from_status.value, t.to_status.value, t.by_id) for t in agreement.transitions]
        assert steps == [(None, "planned", None), ("planned", "in_preparation", admin.id),
                         ("in_preparation", "in_force", admin.id), ("in_force", "under_renewal", admin.id),
                         ("under_renewal", "in_force", admin.id), ("in_force", "terminated", admin.id)]
        assert agreement.transitions[-1].note == "Kumppani irtisanoi sopimuksen"
        assert (agreement.signed_on, agreement.valid_until) == (date(2026, 11, 1), date(2030, 12, 31))
        assert agreement.version == 6  # every step counts as a change (a form opened before it is stale)


@pytest.mark.parametrize("start,target", [
    ("planned", "in_force"), ("planned", "expired"), ("in_preparation", "under_renewal"),
    ("in_force", "planned"), ("in_force", "in_preparation"), ("expired", "in_force"), ("terminated", "in_force"),
    ("superseded", "under_renewal"), ("in_force", "in_force"), ("planned", "nonsense"),
])
def test_refused_transitions_change_nothing(app, make_agreement, start, target):
    aid = make_agreement(status=start, with_liaisons=True, signed_on=date(2026, 1, 1), valid_from=date(2026, 1, 1))
    with pytest.raises(ServiceError) as refused:
        _move(app, aid, target)
    assert refused.value.field == "to_status"
    assert _status(app, aid) == start


def test_in_force_requires_dates_and_both_liaisons(app, make_agreement, make_contact, make_partner):
    pid = make_partner("Kumppani ry")
    aid = make_agreement(status="in_preparation", parties=(pid,))
    with pytest.raises(ServiceError) as no_date:
        _move(app, aid, "in_force")
    assert no_date.value.field == "signed_on"
    with pytest.raises(ServiceError) as no_start:
        _move(app, aid, "in_force", signed_on=date(2026, 11, 1))
    assert no_start.value.field == "valid_from"
    with pytest.raises(ServiceError) as no_rise:
        _move(app, aid, "in_force", signed_on=date(2026, 11, 1), valid_from=date(2026, 11, 1))
    assert no_rise.value.field == "rise_liaison"
    rise = make_contact("Riikka Rise", unit="ESRSK")
    with app.app_context():
        services.add_liaison(db.session.get(Agreement, aid), db.session.get(Contact, rise), side="rise", today=TODAY)
        db.session.commit()
    with pytest.raises(ServiceError) as no_partner:
        _move(app, aid, "in_force", signed_on=date(2026, 11, 1), valid_from=date(2026, 11, 1))
    assert no_partner.value.field == "partner_liaison"
    other = make_contact("Kalle Kumppani", partner_id=pid)
    with app.app_context():
        services.add_liaison(db.session.get(Agreement, aid), db.session.get(Contact, other), side="partner",
                             today=TODAY)
        db.session.commit()
    assert _move(app, aid, "in_force", signed_on=date(2026, 11, 1), valid_from=date(2026, 11, 1)) == "in_force"


def test_a_liaison_that_has_ended_does_not_count(app, make_agreement):
    aid = make_agreement(status="in_preparation", with_liaisons=True, signed_on=date(2026, 1, 1),
                         valid_from=date(2026, 1, 1))
    with app.app_context():
        for role in db.session.scalars(select(LiaisonRole).where(LiaisonRole.agreement_id == aid,
                                                                 LiaisonRole.side == LiaisonSide.PARTNER)):
            role.valid_to = date(2026, 1, 31)
        db.session.commit()
    with pytest.raises(ServiceError) as refused:
        _move(app, aid, "in_force")
    assert refused.value.field == "partner_liaison"


def test_in_force_refuses_an_end_date_already_past_or_before_start(app, make_agreement):
    aid = make_agreement(status="in_preparation", with_liaisons=True)
    with pytest.raises(ServiceError) as past:
        _move(app, aid, "in_force", signed_on=date(2020, 1, 1), valid_from=date(2020, 1, 1),
              valid_until=date(2021, 1, 1))
    assert past.value.field == "valid_until"
    with pytest.raises(ServiceError) as reversed_dates:
        _move(app, aid, "in_force", signed_on=date(2027, 1, 1), valid_from=date(2027, 6, 1),
              valid_until=date(2027, 1, 1))
    assert reversed_dates.value.field == "valid_until"
    assert _status(app, aid) == "in_preparation"


def test_terminated_needs_a_note_and_superseded_the_replacing_agreement(app, make_agreement):
    aid = make_agreement(status="in_force", with_liaisons=True, signed_on=date(2026, 1, 1), valid_from=date(2026, 1, 1))
    with pytest.raises(ServiceError) as no_note:
        _move(app, aid, "terminated", note="  ")
    assert no_note.value.field == "note"
    with pytest.raises(ServiceError) as no_successor:
        _move(app, aid, "superseded")
    assert no_successor.value.field == "superseded_by"
    with app.app_context():
        agreement = db.session.get(Agreement, aid)
        with pytest.raises(ServiceError) as itself:
            services.transition(agreement, "superseded", user=None, today=TODAY, superseded_by=agreement)
        assert itself.value.field == "superseded_by"
        db.session.rollback()
    successor = make_agreement("Uusi yhteistyösopimus")
    with app.app_context():
        services.transition(db.session.get(Agreement, aid), "superseded", user=None, today=TODAY,
                            superseded_by=db.session.get(Agreement, successor))
        db.session.commit()
        new = db.session.get(Agreement, successor)
        assert (new.amends_id, new.relation) == (aid, RelationKind.NEW_VERSION)
        note = db.session.get(Agreement, aid).transitions[-1].note
        assert "Uusi yhteistyösopimus" in note and str(successor) in note


def test_new_version_copies_the_agreement_and_supersedes_it_when_in_force(app, make_agreement, make_user):
    admin = make_user("admin")
    old = make_agreement("Kela-yhteistyö 2021", status="in_force", with_liaisons=True, centres=("ESRSK", "LSRSK"),
                         regions=("HKI",), themes=("rehabilitation",), legal_bases=("VankL 4:7.2",),
                         counterpart="kela_district", signed_on=date(2021, 1, 1), valid_from=date(2021, 1, 1),
                         notice_months=3, lead_time_days=30, dnro="1/2021")
    with app.app_context():
        original = db.session.get(Agreement, old)
        new = services.amend(original, relation="new_version", user=_user(admin), today=TODAY,
                             name_fi="Kela-yhteistyö 2026")
        db.session.commit()
        new_id = new.id
        assert new.status is AgreementStatus.PLANNED and new.amends_id == old
        assert [u.code for u in new.centres] == ["ESRSK", "LSRSK"]
        assert [p.id for p in new.parties] == [p.id for p in original.parties]
        assert [r.code for r in new.regions] == ["HKI"] and [t.code for t in new.themes] == ["rehabilitation"]
        assert [b.code for b in new.legal_bases] == ["VankL 4:7.2"]
        assert (new.counterpart_kind.code, new.notice_months, new.lead_time_days, new.dnro) == \
            ("kela_district", 3, 30, None)
        assert services.liaison_sides([new_id], TODAY)[new_id] == {LiaisonSide.RISE, LiaisonSide.PARTNER}
    assert _status(app, old) == "in_force"  # the old one stays as it is until the new one is in force
    _move(app, new_id, "in_preparation", admin)
    _move(app, new_id, "in_force", admin, signed_on=date(2026, 11, 20), valid_from=date(2027, 1, 1))
    assert _status(app, old) == "superseded"
    with app.app_context():
        last = db.session.get(Agreement, old).transitions[-1]
        assert (last.from_status, last.to_status, last.by_id) == (AgreementStatus.IN_FORCE,
                                                                  AgreementStatus.SUPERSEDED, admin.id)
        assert "Kela-yhteistyö 2026" in last.note


def test_an_amendment_leaves_the_original_in_force(app, make_agreement):
    old = make_agreement(status="in_force", with_liaisons=True, signed_on=date(2021, 1, 1),
                         valid_from=date(2021, 1, 1))
    with app.app_context():
        amendment = services.amend(db.session.get(Agreement, old), relation="amendment", user=None, today=TODAY,
                                   name_fi="Muutos 1")
        db.session.commit()
        amendment_id = amendment.id
    _move(app, amendment_id, "in_preparation")
    _move(app, amendment_id, "in_force", signed_on=date(2026, 11, 1), valid_from=date(2026, 11, 1))
    assert _status(app, old) == "in_force"


def test_an_ended_agreement_cannot_be_amended_but_gets_a_new_version(app, make_agreement):
    old = make_agreement(status="expired")
    with app.app_context():
        agreement = db.session.get(Agreement, old)
        with pytest.raises(ServiceError):
            services.amend(agreement, relation="amendment", user=None, today=TODAY, name_fi="Muutos")
        db.session.rollback()
        with pytest.raises(ServiceError):
            services.amend(agreement, relation="sideways", user=None, today=TODAY, name_fi="Muutos")
        db.session.rollback()
        assert services.amend(agreement, relation="new_version", user=None, today=TODAY, name_fi="Uusi").id


def test_liaison_rules(app, make_agreement, make_contact, make_partner):
    party = make_partner("Osapuoli ry")
    outsider = make_partner("Ulkopuolinen ry")
    aid = make_agreement(parties=(party,))
    rise, own, foreign = (make_contact("Rise", unit="HELV"), make_contact("Oma", partner_id=party),
                          make_contact("Vieras", partner_id=outsider))
    inactive = make_contact("Entinen", unit="HELV", active=False)
    with app.app_context():
        agreement = db.session.get(Agreement, aid)

        def add(contact_id, side, **kwargs):
            return services.add_liaison(agreement, db.session.get(Contact, contact_id), side=side, today=TODAY,
                                        **kwargs)

        for contact_id, side, field in ((own, "rise", "contact"), (rise, "partner", "contact"),
                                        (foreign, "partner", "contact"), (inactive, "rise", "contact"),
                                        (rise, "nobody", "side")):
            with pytest.raises(ServiceError) as refused:
                add(contact_id, side)
            assert refused.value.field == field
        with pytest.raises(ServiceError):
            add(rise, "rise", valid_from=date(2027, 1, 2), valid_to=date(2027, 1, 1))
        add(rise, "rise")
        add(own, "partner")
        with pytest.raises(ServiceError):
            add(rise, "rise")  # already named
        db.session.commit()
        roles = db.session.scalars(select(LiaisonRole).where(LiaisonRole.agreement_id == aid)).all()
        assert {(r.contact_id, r.side, r.subject.value) for r in roles} == {
            (rise, LiaisonSide.RISE, "agreement"), (own, LiaisonSide.PARTNER, "agreement")}


def test_save_refuses_a_stale_version_and_lists_what_changed(app, make_agreement, make_user):
    first, second = make_user("admin"), make_user("admin")
    aid = make_agreement(notice_months=3, dnro="1/2026")
    with app.app_context():
        agreement = db.session.get(Agreement, aid)
        opened = agreement.version
        services.save_agreement(agreement, {"notice_months": 6, "dnro": "2/2026"}, user=_user(first), version=opened)
        db.session.commit()
        assert agreement.version == opened + 1
    with app.app_context():
        agreement = db.session.get(Agreement, aid)
        with pytest.raises(services.StaleAgreement) as stale:
            services.save_agreement(agreement, {"notes": "Toisen käyttäjän muutos"}, user=_user(second),
                                    version=opened)
        db.session.rollback()
        changed = {c.field: (c.before, c.after) for c in stale.value.changes}
        assert changed == {"dnro": ("1/2026", "2/2026"), "notice_months": ("3", "6")}
        assert stale.value.current_version == opened + 1
        assert db.session.get(Agreement, aid).notes is None  # nothing of the stale save was written
        services.save_agreement(db.session.get(Agreement, aid), {"notes": "Toisen käyttäjän muutos"},
                                user=_user(second), version=stale.value.current_version)
        db.session.commit()
        assert db.session.get(Agreement, aid).version == opened + 2


def test_save_checks_the_data(app, make_agreement, make_user):
    aid = make_agreement(level="regional", centres=("ESRSK",))
    admin = make_user("admin")
    cases = [({"valid_from": date(2027, 1, 2), "valid_until": date(2027, 1, 1)}, "valid_until"),
             ({"renewal_type": "automatic"}, "renewal_months"),
             ({"centres": []}, "centres")]
    with app.app_context():
        for data, field in cases:
            agreement = db.session.get(Agreement, aid)
            if data.get("renewal_type"):
                from registry.agreements.models import RenewalType

                data = {**data, "renewal_type": RenewalType(data["renewal_type"])}
            with pytest.raises(ServiceError) as refused:
                services.save_agreement(agreement, data, user=_user(admin), version=agreement.version)
            assert refused.value.field == field
            db.session.rollback()
        agreement = db.session.get(Agreement, aid)
        with pytest.raises(ServiceError) as no_version, force_locale("en"):
            services.save_agreement(agreement, {"notes": "x"}, user=_user(admin))
        db.session.rollback()
        assert "version" in no_version.value.message


def test_daily_job_expires_and_renews_once(app, make_agreement):
    ends = date(2026, 11, 22)
    expiring = make_agreement("Päättyvä", status="in_force", valid_until=ends, valid_from=date(2025, 1, 1),
                              signed_on=date(2025, 1, 1))
    renewing = make_agreement("Jatkuva", status="in_force", valid_until=ends, renewal_type="automatic",
                              renewal_months=12, valid_from=date(2025, 1, 1), signed_on=date(2025, 1, 1))
    untouched = make_agreement("Voimassa", status="in_force", valid_until=date(2027, 1, 1))
    open_ended = make_agreement("Toistaiseksi", status="in_force")
    with app.app_context():
        assert services.apply_due_transitions(ends) == {"expired": 0, "renewed": 0}
        assert services.apply_due_transitions(TODAY) == {"expired": 1, "renewed": 1}
        db.session.commit()
        assert services.apply_due_transitions(TODAY) == {"expired": 0, "renewed": 0}
        db.session.commit()
        gone, kept = db.session.get(Agreement, expiring), db.session.get(Agreement, renewing)
        assert gone.status is AgreementStatus.EXPIRED and gone.valid_until == ends
        assert kept.status is AgreementStatus.IN_FORCE and kept.valid_until == date(2027, 11, 22)
        assert (gone.transitions[-1].by_id, gone.transitions[-1].from_status) == (None, AgreementStatus.IN_FORCE)
        assert "22.11.2027" in kept.transitions[-1].note
        assert kept.transitions[-1].from_status is kept.transitions[-1].to_status is AgreementStatus.IN_FORCE
        assert db.session.get(Agreement, untouched).status is AgreementStatus.IN_FORCE
        assert db.session.get(Agreement, open_ended).status is AgreementStatus.IN_FORCE
        assert db.session.scalar(select(func.count()).select_from(AgreementTransition)) == 4 + 2


def test_may_change_by_scope(app, make_agreement, make_user):
    own = make_agreement("Oma", owner="HELV")
    shared = make_agreement("Yhteinen", owner="LSRSK", centres=("LSRSK", "ESRSK"))
    foreign = make_agreement("Vieras", owner="IPRSK", centres=("IPRSK",))
    national = make_agreement("Valtakunnallinen", level="national", owner="RISE-OPER")
    other_national = make_agreement("Toisen alueen", level="national", owner="RISE-ASPR")
    users = {"admin": make_user("admin"), "director": make_user("director", unit="ESRSK"),
             "area": make_user("director", unit="RISE-OPER"), "staff": make_user("staff", unit="ESRSK"),
             "homeless": make_user("director")}
    expected = {
        "admin": {own, shared, foreign, national, other_national},
        "director": {own, shared},
        "area": {national},
        "staff": set(),
        "homeless": set(),
    }
    with app.app_context():
        for key, ref in users.items():
            user = _user(ref)
            may = {aid for aid in (own, shared, foreign, national, other_national)
                   if services.may_change(user, db.session.get(Agreement, aid))}
            assert may == expected[key], key


def test_a_director_cannot_move_an_agreement_out_of_scope(app, make_agreement, make_user):
    from registry.core.models import Unit

    director = make_user("director", unit="ESRSK")
    aid = make_agreement(owner="HELV", centres=("ESRSK",))
    with app.app_context():
        agreement = db.session.get(Agreement, aid)
        outside = db.session.scalar(select(Unit).where(Unit.code == "IPRSK"))
        with pytest.raises(ServiceError) as refused:
            services.save_agreement(agreement, {"owner_unit": outside, "centres": [outside]}, user=_user(director),
                                    version=agreement.version)
        assert refused.value.field == "owner_unit"
