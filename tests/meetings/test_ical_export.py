"""The iCalendar export: the occurrences the application lists equal what a standard client
(`recurring-ical-events`) expands from the feed, local times across the DST changes (also from the VTIMEZONE
alone), export → import → export gives the same events, and no user text can break or inject into the feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import recurring_ical_events
from flask import Flask
from icalendar import Calendar
from sqlalchemy import delete, select

from registry.core.models import User
from registry.directory.models import Contact
from registry.extensions import db
from registry.i18n import HELSINKI
from registry.meetings import ical, ical_import, series_services
from registry.meetings.models import MeetingSeries, Network, OccurrenceStatus
from registry.meetings.occurrences import items_between

NOW = datetime(2026, 1, 2, 8, 0, tzinfo=UTC)
START, END = datetime(2026, 1, 1), datetime(2028, 1, 1)  # two years, naive Helsinki
HOSTILE = ("Kokous; tärkeä, kiireinen \\ polku C:\\new \\N ei rivinvaihto\nEND:VEVENT\nBEGIN:VEVENT\n"
           "UID:evil@example.org\nSUMMARY:injected")

# (title, first start, rule, which occurrences to cancel and to move: indexes of the generated dates)
SERIES = [
    ("Viikkopalaveri", datetime(2026, 1, 6, 10), "FREQ=WEEKLY", 1, 2),
    ("Joka toinen viikko", datetime(2026, 1, 8, 13, 30), "FREQ=WEEKLY;INTERVAL=2", 3, 5),
    ("Kuukauden 15. päivä", datetime(2026, 1, 15, 9), "FREQ=MONTHLY;BYMONTHDAY=15", 0, 4),
    ("Kuun toinen tiistai", datetime(2026, 1, 13, 10), "FREQ=MONTHLY;BYDAY=2TU", 2, 3),
    ("Neljännesvuosi", datetime(2026, 2, 10, 10), "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU", 1, 2),
    ("Neljästi vuodessa", datetime(2026, 2, 10, 12), "FREQ=YEARLY;BYMONTH=2,5,9,11;BYMONTHDAY=10", 1, 4),
    ("Vuosikokous syyttäjät", datetime(2026, 3, 17, 9), "FREQ=YEARLY", None, 1),
    ("Kymmenen kertaa", datetime(2026, 3, 2, 8), "FREQ=WEEKLY;COUNT=10", 4, 9),
    ("Vuoden loppuun", datetime(2026, 1, 30, 14), "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231T235959", 5, 10),
    ("Yksittäinen kokous", datetime(2026, 6, 3, 12), None, None, 0),
    ("Peruttu yksittäinen", datetime(2026, 6, 4, 12), None, 0, None),
]


def _plan(app: Flask, make_network: Any, make_series: Any) -> list[int]:
    """The series above with a cancelled, a moved (new time, place, also across DST) and a re-agendaed
    occurrence each, through the application's own services."""
    network = make_network("Päihdeverkosto", theme="substance_mental")
    ids = []
    for title, starts_at, rrule, cancel, move in SERIES:
        sid = make_series(network, title, starts_at=starts_at, rrule=rrule, location="Neuvotteluhuone 2",
                          agenda="1. Avaus\n2. Ajankohtaiset")
        ids.append(sid)
        with app.app_context():
            series = db.session.get(MeetingSeries, sid)
            dates = [i.recurrence_id for i in items_between([series], START, END)]
            if cancel is not None:
                series_services.cancel_occurrence(series, dates[cancel])
            if move is not None:
                rid = dates[move]
                series_services.move_occurrence(series, rid, {
                    "starts_at": rid + timedelta(days=1, hours=3), "duration_minutes": 90,
                    "location": "Videoyhteys", "video_url": "https://meet.example.org/rise"})
                if len(dates) > move + 1:
                    series_services.set_occurrence_agenda(series, dates[move + 1], "Oma asialista")
            db.session.commit()
    return ids


def _feed(app: Flask, ids: list[int], name: str = "Kokoukset") -> bytes:
    with app.test_request_context():
        return ical.build_calendar(ical.load_series(MeetingSeries.id.in_(ids)), name=name, now=NOW)


def _app_occurrences(app: Flask, ids: list[int]) -> list[tuple[Any, ...]]:
    with app.test_request_context():
        series = ical.load_series(MeetingSeries.id.in_(ids))
        return sorted((i.series.uid, i.starts_at, i.starts_at.replace(tzinfo=HELSINKI).utcoffset(),
                       i.ends_at, i.series.title, i.location)
                      for i in items_between(series, START, END, include_cancelled=False))


def _client_occurrences(data: bytes) -> list[tuple[Any, ...]]:
    events = recurring_ical_events.of(Calendar.from_ical(data)).between(
        START.replace(tzinfo=HELSINKI), END.replace(tzinfo=HELSINKI))
    found = []
    for event in events:
        if str(event.get("STATUS", "")) == "CANCELLED":
            continue  # a cancelled single meeting stays in the feed, marked cancelled
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.tzinfo is not None and end.tzinfo is not None  # never floating
        local = start.astimezone(HELSINKI)
        found.append((str(event["UID"]), local.replace(tzinfo=None), local.utcoffset(),
                      end.astimezone(HELSINKI).replace(tzinfo=None), str(event["SUMMARY"]),
                      str(event["LOCATION"]) if "LOCATION" in event else None))
    return sorted(found)


def test_feed_expands_to_exactly_the_occurrences_the_application_lists(app, make_network, make_series):
    ids = _plan(app, make_network, make_series)
    data = _feed(app, ids)
    listed = _app_occurrences(app, ids)
    assert len(listed) > 150  # weekly meetings over two years and the rest
    assert _client_occurrences(data) == listed
    moved = [o for o in listed if o[5] == "Videoyhteys"]
    assert len(moved) == len([s for s in SERIES if s[4] is not None])
    titles = {o[4] for o in listed}
    assert "Peruttu yksittäinen" not in titles and "Yksittäinen kokous" in titles


def test_cancelled_occurrences_are_exdates_and_moves_are_recurrence_id_overrides(app, make_network, make_series):
    ids = _plan(app, make_network, make_series)
    calendar = Calendar.from_ical(_feed(app, ids))
    with app.app_context():
        series = {s.uid: s for s in db.session.scalars(select(MeetingSeries).where(MeetingSeries.id.in_(ids)))}
        for event in calendar.walk("VEVENT"):
            one = series[str(event["UID"])]
            if one.rrule is None:
                assert "RRULE" not in event and "RECURRENCE-ID" not in event
                cancelled = any(o.status is OccurrenceStatus.CANCELLED for o in one.occurrences)
                assert str(event["STATUS"]) == ("CANCELLED" if cancelled else "CONFIRMED")
                continue
            if "RECURRENCE-ID" in event:
                occ = next(o for o in one.occurrences if o.recurrence_id == event.decoded("RECURRENCE-ID")
                           .astimezone(HELSINKI).replace(tzinfo=None))
                assert event["RECURRENCE-ID"].params["TZID"] == "Europe/Helsinki"
                assert int(event["SEQUENCE"]) == max(one.sequence, occ.sequence)
                continue
            cancelled = sorted(o.recurrence_id for o in one.occurrences if o.status is OccurrenceStatus.CANCELLED)
            exdates = sorted(d.dt.astimezone(HELSINKI).replace(tzinfo=None)
                             for d in (event["EXDATE"].dts if "EXDATE" in event else []))
            assert exdates == cancelled
            assert int(event["SEQUENCE"]) == one.sequence > 0  # raised by the changes
            assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
            rule = event["RRULE"].to_ical().decode()
            if "UNTIL" in rule:  # with a TZID start, UNTIL must be UTC (RFC 5545 §3.3.10)
                assert "UNTIL=20261231T215959Z" in rule
            assert str(event["CATEGORIES"].cats[0]) == "Päihde- ja mielenterveys"
            assert str(event["URL"]).endswith(f"/series/{one.id}")
            assert str(event["DESCRIPTION"]) == "1. Avaus\n2. Ajankohtaiset"
            assert str(event["LOCATION"]) == "Neuvotteluhuone 2"


def test_ten_oclock_stays_ten_oclock_across_the_dst_changes(app, make_network, make_series):
    network = make_network()
    sid = make_series(network, "Viikkopalaveri", starts_at=datetime(2026, 3, 3, 10), rrule="FREQ=WEEKLY;COUNT=40")
    data = _feed(app, [sid])
    assert b"DTSTART;TZID=Europe/Helsinki:20260303T100000" in data
    assert b"BEGIN:VTIMEZONE" in data and b"TZID:Europe/Helsinki" in data
    # A client that knows the zone by name, and one that only has the feed's VTIMEZONE (renamed zone):
    own_zone = data.replace(b"TZID=Europe/Helsinki", b"TZID=Custom/Feed-Helsinki").replace(
        b"TZID:Europe/Helsinki", b"TZID:Custom/Feed-Helsinki")
    for feed in (data, own_zone):
        events = recurring_ical_events.of(Calendar.from_ical(feed)).between(datetime(2026, 1, 1, tzinfo=UTC),
                                                                            datetime(2027, 1, 1, tzinfo=UTC))
        starts = sorted(e.decoded("DTSTART") for e in events)
        assert len(starts) == 40
        offsets = []
        for start in starts:
            utc = start.astimezone(UTC)
            local = utc.astimezone(HELSINKI)
            assert (local.hour, local.minute) == (10, 0), start
            assert utc.hour == (7 if local.utcoffset() == timedelta(hours=3) else 8)
            assert start.utcoffset() == local.utcoffset()  # the feed's own zone gives the same offset
            if not offsets or offsets[-1] != local.utcoffset():
                offsets.append(local.utcoffset())
        assert offsets == [timedelta(hours=2), timedelta(hours=3), timedelta(hours=2)]
        assert max(s for s in starts if s.utcoffset() == timedelta(hours=2) and s.month == 3).day == 24
        assert min(s for s in starts if s.utcoffset() == timedelta(hours=2) and s.month >= 10).day == 27


def _normalised(data: bytes) -> list[tuple[Any, ...]]:
    """The events by title with everything that must survive an import (not UID, DTSTAMP, URL, SEQUENCE)."""
    masters: dict[str, dict[str, Any]] = {}
    overrides: dict[str, list[tuple[Any, ...]]] = {}
    for event in Calendar.from_ical(data).walk("VEVENT"):
        uid = str(event["UID"])
        values = {"summary": str(event["SUMMARY"]), "dtstart": event.decoded("DTSTART"),
                  "dtend": event.decoded("DTEND"), "location": str(event.get("LOCATION", "")),
                  "description": str(event.get("DESCRIPTION", "")), "status": str(event.get("STATUS", "")),
                  "conference": str(event.get("CONFERENCE", ""))}
        if "RECURRENCE-ID" in event:
            overrides.setdefault(uid, []).append((event.decoded("RECURRENCE-ID"), *sorted(values.items())))
        else:
            values["rrule"] = event["RRULE"].to_ical().decode() if "RRULE" in event else None
            values["exdate"] = sorted(d.dt for d in event["EXDATE"].dts) if "EXDATE" in event else []
            masters[uid] = values
    return sorted((m["summary"], tuple(sorted(m.items(), key=lambda kv: kv[0])), tuple(sorted(overrides.get(u, []))))
                  for u, m in masters.items())


def test_export_import_export_gives_the_same_events(app, make_network, make_series, make_user):
    ids = _plan(app, make_network, make_series)
    first = _feed(app, ids)
    other = make_network("Toinen verkosto", centre_code="LSRSK")
    admin = make_user("admin")
    with app.test_request_context():
        found = ical_import.parse_ics(first)
        created = ical_import.import_series(db.session.get(Network, other), found, db.session.get(User, admin.id))
        db.session.commit()
        new_ids = [s.id for s in created]
        assert all(s.network_id == other for s in created)
        assert {s.uid for s in created}.isdisjoint(
            db.session.scalars(select(MeetingSeries.uid).where(MeetingSeries.id.in_(ids))))  # UIDs taken: new ones
    second = _feed(app, new_ids)
    assert _normalised(second) == _normalised(first)
    assert sorted(o[1:] for o in _app_occurrences(app, new_ids)) == sorted(o[1:] for o in _app_occurrences(app, ids))


def test_import_keeps_free_uids(app, make_network, make_series, make_user):
    network = make_network()
    sid = make_series(network, "Kuun toinen tiistai", starts_at=datetime(2026, 1, 13, 10),
                      rrule="FREQ=MONTHLY;BYDAY=2TU",
                      uid="kokous-123@example.org")
    data = _feed(app, [sid])
    admin = make_user("admin")
    with app.test_request_context():
        db.session.execute(delete(MeetingSeries).where(MeetingSeries.id == sid))
        db.session.commit()
        created = ical_import.import_series(db.session.get(Network, network), ical_import.parse_ics(data),
                                            db.session.get(User, admin.id))
        db.session.commit()
        assert [s.uid for s in created] == ["kokous-123@example.org"]
    assert _normalised(_feed(app, [created[0].id])) == _normalised(data)


def test_hostile_text_stays_inside_its_own_property(app, make_network, make_series, make_contact, make_partner):
    partner = make_partner("Yhdistys; ry")
    contact = make_contact(HOSTILE, partner_id=partner, email="liaison@example.org")
    network = make_network(HOSTILE)
    sid = make_series(network, HOSTILE, starts_at=datetime(2026, 3, 10, 10), rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
                      location=HOSTILE, agenda=HOSTILE)
    with app.app_context():
        series = db.session.get(MeetingSeries, sid)
        series.attendees = [db.session.get(Contact, contact)]
        series_services.move_occurrence(series, datetime(2026, 4, 14, 10), {
            "starts_at": datetime(2026, 4, 15, 10), "location": HOSTILE + " 2"})
        series_services.set_occurrence_agenda(series, datetime(2026, 5, 12, 10), HOSTILE + " 3")
        db.session.commit()
    data = _feed(app, [sid], name=HOSTILE)
    lines = data.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == 3 and lines.count(b"END:VEVENT") == 3
    assert not any(line.startswith((b"UID:evil", b"SUMMARY:injected")) for line in lines)
    assert all(len(line) <= 75 for line in lines)
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 3
    master = next(e for e in events if "RECURRENCE-ID" not in e)
    assert str(master["SUMMARY"]) == HOSTILE and str(master["LOCATION"]) == HOSTILE
    assert str(master["DESCRIPTION"]) == HOSTILE
    assert master["ATTENDEE"].params["CN"] == HOSTILE
    assert str(master["ATTENDEE"]) == "mailto:liaison@example.org"
    by_rid = {e.decoded("RECURRENCE-ID").replace(tzinfo=None): e for e in events if "RECURRENCE-ID" in e}
    assert str(by_rid[datetime(2026, 4, 14, 10)]["LOCATION"]) == HOSTILE + " 2"
    assert str(by_rid[datetime(2026, 5, 12, 10)]["DESCRIPTION"]) == HOSTILE + " 3"
    assert all(str(e["SUMMARY"]) == HOSTILE for e in events)
    assert len(recurring_ical_events.of(calendar).between(datetime(2026, 1, 1), datetime(2027, 1, 1))) == 6


def test_bad_addresses_are_left_out_rather_than_written_raw(app, make_network, make_series, make_contact,
                                                            make_partner):
    partner = make_partner("Yhdistys ry")
    good = make_contact("Hyvä Osoite", partner_id=partner, email="ok@example.org")
    sid = make_series(make_network(), "Kokous", video_url="https://meet.example.org/a\nBEGIN:VEVENT")
    with app.app_context():
        bad = Contact(name="Paha Osoite", partner_id=partner, email="x@example.org\nBEGIN:VEVENT")  # not via forms
        db.session.add(bad)
        db.session.get(MeetingSeries, sid).attendees = [db.session.get(Contact, good), bad]
        db.session.commit()
    data = _feed(app, [sid])
    assert data.split(b"\r\n").count(b"BEGIN:VEVENT") == 1
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert [str(a) for a in attendees] == ["mailto:ok@example.org"]
    assert "CONFERENCE" not in event  # not a URI: only as escaped text
    assert "https://meet.example.org/a\nBEGIN:VEVENT" in str(event["DESCRIPTION"])


def test_written_lines_are_what_icalendar_reads_and_writes_again(app, make_network, make_series):
    ids = _plan(app, make_network, make_series)
    ours = _feed(app, ids)
    parsed = Calendar.from_ical(ours)
    assert Calendar.from_ical(parsed.to_ical()) == parsed  # nothing icalendar cannot represent
    masters = [e for e in parsed.walk("VEVENT") if "RECURRENCE-ID" not in e]
    overrides = [e for e in parsed.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert len(masters) == len(ids) and overrides  # one master per series, plus the moved and re-agendaed ones
    assert {str(e["UID"]) for e in overrides} <= {str(e["UID"]) for e in masters}
    assert all(len(line) <= 75 for line in ours.split(b"\r\n"))
    assert re.search(rb"\r\n [^\r]", ours)  # long agendas were folded


def test_feed_loads_a_constant_number_of_queries(app, make_network, make_series, count_queries):
    network = make_network(theme="housing")
    ids = [make_series(network, f"Kokous {n}", starts_at=datetime(2026, 1, 5 + n, 10), rrule="FREQ=WEEKLY")
           for n in range(3)]
    with app.test_request_context():
        for n, sid in enumerate(ids):
            series_services.cancel_occurrence(db.session.get(MeetingSeries, sid), datetime(2026, 1, 12 + n, 10))
        db.session.commit()

    def run(n: int) -> int:
        with app.test_request_context(), count_queries() as statements:
            ical.build_calendar(ical.load_series(MeetingSeries.id.in_(ids[:n])), name="x", now=NOW)
        return len(statements)

    assert run(1) == run(3)
