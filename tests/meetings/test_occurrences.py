"""Occurrence expansion with exceptions, and the series verbs (SEQUENCE, holidays, split onwards, moves)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale

from registry.core.models import User
from registry.core.services import ServiceError
from registry.extensions import db
from registry.meetings import rules, series_services
from registry.meetings.models import MeetingSeries, Network, Occurrence, OccurrenceStatus
from registry.meetings.occurrences import item, items_between, overrides_by_series

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUARTERLY = "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU"
START = datetime(2026, 3, 10, 10, 0)  # the 2nd Tuesday of March 2026


def _series(series_id: int) -> MeetingSeries:
    found = db.session.get(MeetingSeries, series_id)
    assert found is not None
    return found


def _override(series_id: int, rid: datetime, **fields: Any) -> None:
    db.session.add(Occurrence(series_id=series_id, recurrence_id=rid, **fields))
    db.session.commit()


def _starts(items: list[Any]) -> list[datetime]:
    return [i.starts_at for i in items]


@pytest.fixture
def weekly(app: Flask, make_network: Any, make_series: Any) -> int:
    network = make_network()
    return int(make_series(network, "Viikkopalaveri", datetime(2026, 1, 5, 10), "FREQ=WEEKLY;COUNT=10"))


def test_items_between_expands_the_rule_half_open(app: Flask, weekly: int) -> None:
    with app.app_context():
        found = items_between([_series(weekly)], datetime(2026, 1, 12, 10), datetime(2026, 1, 26, 10))
        assert _starts(found) == [datetime(2026, 1, 12, 10), datetime(2026, 1, 19, 10)]
        assert [i.key for i in found] == ["20260112T1000", "20260119T1000"]
        assert all(i.ends_at - i.starts_at == timedelta(hours=1) and not i.moved for i in found)
        assert found[0].status is OccurrenceStatus.SCHEDULED and found[0].override is None


def test_moved_occurrences_follow_their_new_time(app: Flask, weekly: int) -> None:
    with app.app_context():
        # 12.1. moved out of the window (to 2.2.), 9.2. moved into it (to 21.1.), 19.1. cancelled.
        _override(weekly, datetime(2026, 1, 12, 10), starts_at=datetime(2026, 2, 2, 14))
        _override(weekly, datetime(2026, 2, 9, 10), starts_at=datetime(2026, 1, 21, 9), duration_minutes=30,
                  location="Sali 2")
        _override(weekly, datetime(2026, 1, 19, 10), status=OccurrenceStatus.CANCELLED)
        series = _series(weekly)
        found = items_between([series], datetime(2026, 1, 10), datetime(2026, 1, 31))
        assert _starts(found) == [datetime(2026, 1, 19, 10), datetime(2026, 1, 21, 9), datetime(2026, 1, 26, 10)]
        moved_in = found[1]
        assert moved_in.moved and moved_in.recurrence_id == datetime(2026, 2, 9, 10)
        assert moved_in.key == "20260209T1000" and moved_in.ends_at == datetime(2026, 1, 21, 9, 30)
        assert moved_in.location == "Sali 2"
        assert found[0].cancelled
        without = items_between([series], datetime(2026, 1, 10), datetime(2026, 1, 31), include_cancelled=False)
        assert _starts(without) == [datetime(2026, 1, 21, 9), datetime(2026, 1, 26, 10)]
        later = items_between([series], datetime(2026, 2, 1), datetime(2026, 2, 28))
        assert _starts(later) == [datetime(2026, 2, 2, 10), datetime(2026, 2, 2, 14), datetime(2026, 2, 16, 10),
                                  datetime(2026, 2, 23, 10)]


def test_exceptions_the_rule_no_longer_generates_are_ignored(app: Flask, weekly: int) -> None:
    with app.app_context():
        _override(weekly, datetime(2026, 1, 13, 10), starts_at=datetime(2026, 1, 14, 10))  # a Tuesday: not generated
        found = items_between([_series(weekly)], datetime(2026, 1, 1), datetime(2026, 2, 1))
        assert datetime(2026, 1, 14, 10) not in _starts(found)
        assert item(_series(weekly), "20260113T1000") is None


def test_overrides_of_many_series_load_in_one_query(app: Flask, make_network: Any, make_series: Any,
                                                    count_queries: Any) -> None:
    network = make_network()
    ids = [make_series(network, f"Sarja {n}", START + timedelta(days=n), "FREQ=WEEKLY") for n in range(6)]
    with app.app_context():
        for n, series_id in enumerate(ids):
            _override(series_id, START + timedelta(days=n + 7), status=OccurrenceStatus.CANCELLED)
        series = [_series(i) for i in ids]
        with count_queries() as statements:
            found = items_between(series, START, START + timedelta(days=56))
        assert len(statements) == 1
        assert len(found) == 6 * 8 and sum(i.cancelled for i in found) == 6
        by_series = overrides_by_series(series)
        assert all(len(rows) == 1 for rows in by_series.values())


def test_item_by_key(app: Flask, weekly: int) -> None:
    with app.app_context():
        series = _series(weekly)
        one = item(series, "20260119T1000")
        assert one is not None and one.starts_at == datetime(2026, 1, 19, 10)
        assert item(series, "20260120T1000") is None  # not a date of the rule
        assert item(series, "20260316T1000") is None  # after COUNT=10
        assert item(series, "nonsense") is None


def test_single_meeting_and_holiday_flag(app: Flask, make_network: Any, make_series: Any) -> None:
    network = make_network()
    single = make_series(network, "Itsenäisyyspäivän jälkeinen", datetime(2026, 12, 6, 12), None)
    with app.app_context():
        found = items_between([_series(single)], datetime(2026, 12, 1), datetime(2027, 1, 1))
        assert len(found) == 1 and found[0].holiday == "Itsenäisyyspäivä"
        assert items_between([_series(single)], datetime(2027, 1, 1), datetime(2028, 1, 1)) == []


# --- services -------------------------------------------------------------------------------------


@pytest.fixture
def actor(app: Flask, make_user: Any) -> int:
    return int(make_user("admin").id)


def _data(**changes: Any) -> dict[str, Any]:
    return {"title": "Neljännesvuosipalaveri", "starts_at": START, "duration_minutes": 90, "rrule": QUARTERLY,
            "location": "Neuvotteluhuone 1", "video_url": None, "agenda": "1. Avaus", "attendees": [],
            **changes}


def test_create_series(app: Flask, make_network: Any, make_contact: Any, actor: int) -> None:
    network_id = make_network()
    contact = make_contact("Liisa Liaison", unit="ESRSK")
    with app.app_context():
        from registry.directory.models import Contact

        user = db.session.get(User, actor)
        result = series_services.create_series(db.session.get(Network, network_id), _data(
            starts_at=datetime(2026, 3, 1, 10), attendees=[db.session.get(Contact, contact)]), user)
        db.session.commit()
        series = result.series
        assert series.uid.startswith("series-") and series.uid.endswith("@rise-registry")
        assert series.starts_at == START  # synchronised with the rule: DTSTART is the first occurrence
        assert series.sequence == 0 and series.organizer_id == actor
        assert [c.name for c in series.attendees] == ["Liisa Liaison"]
        other = series_services.create_series(db.session.get(Network, network_id), _data(), user).series
        assert other.uid != series.uid


def test_holiday_choices_skip_and_move(app: Flask, make_network: Any, actor: int) -> None:
    network_id = make_network()
    with app.app_context():
        # Quarterly on the 6th from January: 6.1. Epiphany, 6.4. Easter Monday, 6.7., 6.10., 6.12. Independence Day.
        data = _data(starts_at=datetime(2026, 1, 6, 10), rrule="FREQ=MONTHLY;INTERVAL=3",
                     holidays={datetime(2026, 4, 6, 10): series_services.SKIP,
                               datetime(2027, 1, 6, 10): series_services.MOVE,
                               datetime(2026, 7, 6, 10): series_services.MOVE,  # not a holiday: ignored
                               datetime(2026, 10, 6, 10): series_services.SKIP,  # any meeting may be skipped
                               datetime(2026, 10, 7, 10): series_services.SKIP})  # not a meeting: ignored
        conflicts = series_services.holiday_conflicts(data["starts_at"], data["rrule"], datetime(2027, 2, 1), "en")
        assert [d for d, _ in conflicts] == [datetime(2026, 1, 6, 10), datetime(2026, 4, 6, 10),
                                             datetime(2027, 1, 6, 10)]
        result = series_services.create_series(db.session.get(Network, network_id), data, db.session.get(User, actor))
        db.session.commit()
        assert result.skipped == [datetime(2026, 4, 6, 10), datetime(2026, 10, 6, 10)]
        assert result.moved == [(datetime(2027, 1, 6, 10), datetime(2027, 1, 7, 10))]
        found = items_between([result.series], datetime(2026, 1, 1), datetime(2027, 2, 1))
        assert [(i.starts_at, i.status.value) for i in found] == [
            (datetime(2026, 1, 6, 10), "scheduled"), (datetime(2026, 4, 6, 10), "cancelled"),
            (datetime(2026, 7, 6, 10), "scheduled"), (datetime(2026, 10, 6, 10), "cancelled"),
            (datetime(2027, 1, 7, 10), "scheduled")]


def test_update_raises_sequence_and_drops_exceptions_of_the_old_rule(app: Flask, make_network: Any,
                                                                    actor: int) -> None:
    network_id = make_network()
    with app.app_context():
        user = db.session.get(User, actor)
        series = series_services.create_series(db.session.get(Network, network_id), _data(), user).series
        series_services.cancel_occurrence(series, datetime(2026, 6, 9, 10))
        series_services.cancel_occurrence(series, datetime(2026, 9, 8, 10))
        db.session.commit()
        assert series.sequence == 2
        unchanged = series_services.update_series(series, _data(), user)
        assert unchanged.dropped == [] and series.sequence == 2  # nothing changed: SEQUENCE stays
        result = series_services.update_series(series, _data(title="Uusi nimi"), user)
        assert result.dropped == [] and series.sequence == 3
        # Every 2 months from March (March, May, July, September …) still has 8.9. but no longer 9.6.
        result = series_services.update_series(series, _data(rrule="FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU"), user)
        db.session.commit()
        assert result.dropped == [datetime(2026, 6, 9, 10)] and series.sequence == 4
        assert [(o.recurrence_id, o.status.value) for o in series.occurrences] == [
            (datetime(2026, 9, 8, 10), "cancelled")]
        series_services.record_minutes(series, datetime(2026, 5, 12, 10), "Pöytäkirja")
        db.session.commit()
        with force_locale("en"), pytest.raises(ServiceError, match="minutes or agenda"):
            series_services.update_series(series, _data(rrule=QUARTERLY), user)


def test_split_onwards(app: Flask, make_network: Any, actor: int) -> None:
    network_id = make_network()
    with app.app_context():
        user = db.session.get(User, actor)
        old = series_services.create_series(db.session.get(Network, network_id), _data(), user).series
        series_services.cancel_occurrence(old, datetime(2027, 3, 9, 10))
        series_services.record_minutes(old, datetime(2026, 6, 9, 10), "Kesäkuun pöytäkirja")
        db.session.commit()
        sequence = old.sequence
        rid = datetime(2026, 12, 8, 10)
        result = series_services.split_onwards(old, rid, _data(starts_at=rid, location="Uusi paikka"), user)
        db.session.commit()
        new = result.series
        assert new.id != old.id and new.continues_id == old.id and new.uid != old.uid
        assert old.sequence == sequence + 1 and new.sequence == old.sequence
        assert old.rrule == QUARTERLY + ";UNTIL=20261207T235959"
        window = (datetime(2026, 1, 1), datetime(2028, 1, 1))
        assert _starts(items_between([old], *window)) == [START, datetime(2026, 6, 9, 10), datetime(2026, 9, 8, 10)]
        later = items_between([new], *window)
        assert _starts(later) == [rid, datetime(2027, 3, 9, 10), datetime(2027, 6, 8, 10), datetime(2027, 9, 14, 10),
                                  datetime(2027, 12, 14, 10)]
        assert later[1].cancelled and later[0].location == "Uusi paikka"  # the cancellation moved along
        assert [o.recurrence_id for o in old.occurrences] == [datetime(2026, 6, 9, 10)]  # minutes stay


def test_split_refuses_a_start_before_the_occurrence(app: Flask, make_network: Any, actor: int) -> None:
    network_id = make_network()
    with app.app_context():
        user = db.session.get(User, actor)
        old = series_services.create_series(db.session.get(Network, network_id), _data(), user).series
        db.session.commit()
        with force_locale("en"), pytest.raises(ServiceError, match="on or after"):
            series_services.split_onwards(old, datetime(2026, 12, 8, 10), _data(starts_at=START), user)


def test_occurrence_changes_raise_both_sequences(app: Flask, make_network: Any, actor: int) -> None:
    network_id = make_network()
    with app.app_context():
        user = db.session.get(User, actor)
        series = series_services.create_series(db.session.get(Network, network_id), _data(), user).series
        rid = datetime(2026, 6, 9, 10)
        occ = series_services.move_occurrence(series, rid, {"starts_at": datetime(2026, 6, 11, 13),
                                                            "duration_minutes": 60, "location": "Etänä"})
        assert (occ.sequence, series.sequence) == (1, 1)
        assert occ.starts_at == datetime(2026, 6, 11, 13) and occ.duration_minutes == 60
        series_services.set_occurrence_agenda(series, rid, "1. Oma asialista")
        series_services.record_minutes(series, rid, "Pöytäkirja")
        series_services.add_minutes_document(series, rid, PDF, "poytakirja.pdf", user)
        series_services.cancel_occurrence(series, rid)
        series_services.cancel_occurrence(series, rid)  # already cancelled: no change
        assert (occ.sequence, series.sequence) == (5, 5)
        series_services.restore_occurrence(series, rid)
        db.session.commit()
        one = item(series, rules.occurrence_key(rid))
        assert one is not None and one.status is OccurrenceStatus.SCHEDULED and one.moved
        assert (one.agenda, one.minutes, one.location) == ("1. Oma asialista", "Pöytäkirja", "Etänä")
        assert [d.filename for d in one.override.documents] == ["poytakirja.pdf"]  # type: ignore[union-attr]
        assert occ.sequence == 6 and series.sequence == 6


def test_moving_onto_another_occurrence_is_refused(app: Flask, make_network: Any, actor: int) -> None:
    network_id = make_network()
    with app.app_context():
        user = db.session.get(User, actor)
        series = series_services.create_series(db.session.get(Network, network_id), _data(), user).series
        with force_locale("en"), pytest.raises(ServiceError, match="already at that time"):
            series_services.move_occurrence(series, datetime(2026, 6, 9, 10),
                                            {"starts_at": datetime(2026, 9, 8, 10, 30)})
        series_services.cancel_occurrence(series, datetime(2026, 9, 8, 10))
        occ = series_services.move_occurrence(series, datetime(2026, 6, 9, 10),
                                              {"starts_at": datetime(2026, 9, 8, 10)})  # a cancelled slot is free
        assert occ.starts_at == datetime(2026, 9, 8, 10)
        with force_locale("en"), pytest.raises(ServiceError, match="already at that time"):
            series_services.restore_occurrence(series, datetime(2026, 9, 8, 10))


def test_minutes_of_a_cancelled_meeting_are_refused(app: Flask, make_network: Any, actor: int) -> None:
    network_id = make_network()
    with app.app_context():
        user = db.session.get(User, actor)
        series = series_services.create_series(db.session.get(Network, network_id), _data(), user).series
        series_services.cancel_occurrence(series, START)
        with force_locale("en"), pytest.raises(ServiceError, match="cancelled meeting"):
            series_services.record_minutes(series, START, "x")
        with force_locale("en"), pytest.raises(ServiceError, match="no meeting at that time"):
            series_services.cancel_occurrence(series, START + timedelta(days=1))


def test_agenda_template(app: Flask, make_network: Any, make_series: Any) -> None:
    prosecutors = make_network("Syyttäjäyhteistyö", theme="criminal_justice", cadence="yearly")
    other = make_network("Asumisverkosto", theme="housing")
    with app.app_context():
        assert series_services.agenda_template(db.session.get(Network, other)) == ""
        national = series_services.agenda_template(db.session.get(Network, prosecutors))
        assert "valtakunnallinen asialista" in national
    make_series(other, agenda="1. Kuulumiset\n2. Asuntotilanne")
    make_series(other, starts_at=datetime(2025, 1, 1, 10), agenda="Vanha")
    with app.app_context():
        assert series_services.agenda_template(db.session.get(Network, other)) == "1. Kuulumiset\n2. Asuntotilanne"


def test_dst_crossing_series_keeps_local_time(app: Flask, make_network: Any, make_series: Any) -> None:
    network = make_network()
    series_id = make_series(network, starts_at=datetime(2026, 3, 23, 10), rrule="FREQ=WEEKLY")
    with app.app_context():
        found = items_between([_series(series_id)], datetime(2026, 3, 1), datetime(2026, 11, 1))
        assert {(i.starts_at.hour, i.starts_at.minute) for i in found} == {(10, 0)}
        assert datetime(2026, 3, 30, 10) in _starts(found) and datetime(2026, 10, 26, 10) in _starts(found)
