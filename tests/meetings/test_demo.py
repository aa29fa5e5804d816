"""Network and meeting demo data: a network per theme a–e in every sanction centre, the national meetings of
DOMAIN §7 with their rules, a cancelled and a moved occurrence, minutes; idempotent; synthetic volume and the
benchmark user for scripts/bench."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from registry.core.models import AuditEvent, Unit, UnitKind, User
from registry.directory.models import Partner
from registry.extensions import db
from registry.i18n import today as helsinki_today
from registry.meetings import rules as recurrence
from registry.meetings import scale
from registry.meetings.demo import AGENDA_FILE, STAFF_EMAIL
from registry.meetings.models import (
    Cadence,
    MeetingSeries,
    Network,
    NetworkEvaluation,
    NetworkLevel,
    NetworkMember,
    Occurrence,
    OccurrenceStatus,
    network_follower,
    series_attendee,
)

THEMES_A_E = {"education_work", "substance_mental", "housing", "youth_child_welfare", "rehabilitation"}


def _seed(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["seed", "--demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _counts() -> dict[str, int]:
    return {name: db.session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("network", Network), ("member", NetworkMember), ("series", MeetingSeries),
                                ("occurrence", Occurrence), ("evaluation", NetworkEvaluation),
                                ("follower", network_follower), ("attendee", series_attendee),
                                ("partner", Partner))}


def _series(uid: str) -> MeetingSeries:
    found = db.session.scalar(select(MeetingSeries).where(MeetingSeries.uid == f"demo-{uid}@rise-registry"))
    assert found is not None, uid
    return found


def _is_occurrence(series: MeetingSeries, when: datetime) -> bool:
    return recurrence.rule_dates(series.starts_at, series.rrule, when, when + timedelta(seconds=1)) == [when]


def test_demo_has_every_centre_and_theme_and_the_national_meetings(app, tmp_path):
    app.config["DOCUMENT_FOLDER"] = str(tmp_path)
    output = _seed(app)
    assert "Demo networks and meetings: networks added" in output
    now = datetime.combine(helsinki_today(), time(0))
    with app.app_context():
        before = _counts()
        centres = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE)).all()
        assert len(centres) == 3
        networks = db.session.scalars(select(Network)).all()
        for centre in centres:
            mine = [n for n in networks if n.centre_id == centre.id and n.theme and n.theme.code in THEMES_A_E]
            assert {n.theme.code for n in mine} == THEMES_A_E, centre.code
            for network in mine:
                assert network.level is NetworkLevel.CENTRE and network.convenor_unit_id == centre.id
                assert 3 <= len(network.members) <= 6 and network.goals and network.cadence
                assert [e.year for e in network.evaluations] == [2025]
                assert network.series and all(s.rrule for s in network.series if "workshop" not in s.uid)
                for member in network.members:
                    assert member.liaison is None or member.liaison.partner_id == member.partner_id
            # The yearly meetings with the local prosecutors use the national agenda (DOMAIN §7.1).
            kinds = {s.uid.split("-", 2)[2].split("@")[0]: s for n in networks if n.centre_id == centre.id
                     for s in n.series}
            prosecutors, courts = kinds["prosecutors"], kinds["courts"]
            assert prosecutors.agenda == AGENDA_FILE.read_text(encoding="utf-8").strip()
            assert "Yhdyskuntaseuraamusselvitykset" in prosecutors.agenda
            assert prosecutors.rrule.startswith("FREQ=YEARLY;BYMONTH=") and courts.rrule.startswith("FREQ=YEARLY;")
            assert courts.agenda and courts.agenda != prosecutors.agenda
        members = db.session.scalars(select(NetworkMember)).all()
        assert any(m.liaison_id is None for m in members)  # a member that has not named its liaison
        assert sum(m.liaison_id is not None for m in members) > 0.8 * len(members)

        rules = {"migri": "FREQ=MONTHLY;INTERVAL=3;BYDAY=2WE", "krp": "FREQ=YEARLY;BYMONTH=10;BYDAY=2TH",
                 "child-welfare-forum": "FREQ=YEARLY;BYMONTH=2,5,9,11;BYDAY=2TU",
                 "policy-steering-group": "FREQ=MONTHLY;BYDAY=2MO"}
        for uid, rule in rules.items():
            series = _series(uid)
            assert series.rrule == rule and series.network.level is NetworkLevel.NATIONAL, uid
            assert series.network.centre_id is None
        nordic = [_series(f"nordic-{k}") for k in ("education", "research", "security", "health")]
        assert all(s.rrule.startswith("FREQ=YEARLY;") and s.network_id == nordic[0].network_id for s in nordic)

        every = db.session.scalars(select(MeetingSeries)).all()
        assert len({s.uid for s in every}) == len(every)
        for series in every:
            assert series.starts_at.time() in (time(10), time(13)), series.uid
            assert _is_occurrence(series, series.starts_at), series.uid  # DTSTART is an occurrence of the rule
            assert series.location or series.video_url, series.uid
            assert series.attendees and series.organizer is not None, series.uid
        assert any(s.starts_at < now for s in every)
        assert any(recurrence.rule_dates(s.starts_at, s.rrule, now, datetime(now.year + 2, 1, 1)) for s in every)

        occurrences = db.session.scalars(select(Occurrence)).all()
        for occurrence in occurrences:  # every exception belongs to an occurrence the rule generates
            assert _is_occurrence(occurrence.series, occurrence.recurrence_id)
        cancelled = [o for o in occurrences if o.status is OccurrenceStatus.CANCELLED]
        moved = [o for o in occurrences if o.starts_at is not None]
        assert len(cancelled) == 1 and cancelled[0].recurrence_id >= now and cancelled[0].sequence == 1
        assert len(moved) == 1 and moved[0].starts_at != moved[0].recurrence_id and moved[0].sequence == 1
        assert moved[0].starts_at >= now and moved[0].location
        minutes = [o for o in occurrences if o.minutes]
        assert len(minutes) >= 3 and all(o.recurrence_id < now for o in minutes)

        staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
        followed = [n for n in networks if staff in n.followers]
        assert len(followed) == 1 and followed[0].theme.code == "substance_mental"

    again = _seed(app)
    assert ("Demo networks and meetings: networks added 0, members added 0, evaluations added 0, series added 0, "
            "occurrence exceptions added 0, followers added 0, partners added 0, contacts added 0") in again
    with app.app_context():
        assert _counts() == before


def test_scale_generates_networks_once_in_bulk_with_a_benchmark_user(app, tmp_path):
    app.config["DOCUMENT_FOLDER"] = str(tmp_path)
    output = _seed(app, "--scale", "300")
    assert "Generated networks (--scale 300: 3): networks added 3" in output
    assert "benchmark users added 1" in output
    with app.app_context():
        assert scale.generated_networks() == 3
        generated = db.session.scalars(select(Network).where(Network.name_fi.like("GEN-%"))).all()
        for network in generated:
            assert 2 <= len(network.members) <= 5 and 1 <= len(network.series) <= 3
            for series in network.series:
                assert series.uid.startswith("gen-") and _is_occurrence(series, series.starts_at)
        series_count = sum(len(n.series) for n in generated)
        facts = scale.bench_facts()
        assert facts["series"] == series_count and facts["token"] and facts["occurrences"] > 0
        user = db.session.scalar(select(User).where(User.email == scale.BENCH_EMAIL))
        assert user.feed_token == facts["token"] and user.home_unit_id is None
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "generate", AuditEvent.object_type == "network")) == 1
        total = db.session.scalar(select(func.count(Network.id)))
    assert "networks added 0" in _seed(app, "--scale", "300").split("Generated networks")[1]
    assert "networks added 2" in _seed(app, "--scale", "500").split("Generated networks")[1]
    with app.app_context():
        assert db.session.scalar(select(func.count(Network.id))) == total + 2
        # The id sequences were moved past the bulk rows: an ordinary insert still works.
        centre = db.session.scalar(select(Unit).where(Unit.code == "ESRSK"))
        db.session.add(Network(name_fi="Uusi verkosto", level=NetworkLevel.CENTRE, centre=centre,
                               convenor_unit=centre, cadence=Cadence.YEARLY))
        db.session.commit()


def test_the_benchmark_user_follows_networks_until_the_feed_has_enough_series(app, monkeypatch):
    result = app.test_cli_runner().invoke(args=["seed"])  # reference data and the national partners suffice
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(scale, "BENCH_SERIES", 6)
    with app.app_context():
        made = scale.generate_meetings(12)
        assert made["networks"] == 12 and made["series"] >= 12
        facts = scale.bench_facts()
        assert 6 <= facts["series"] <= 8  # networks are followed in order until their series reach 6
        followed = db.session.scalar(select(func.count()).select_from(network_follower).join(
            User, User.id == network_follower.c.user_id).where(User.email == scale.BENCH_EMAIL))
        assert followed < 12
        assert scale.generate_meetings(12)["networks followed by the benchmark user"] == 0
