"""Importing an .ics file into a network: preview, then import with the rule, cancellations and moves, times
converted from any zone to Helsinki wall-clock time; bad files get a clear message and nothing is imported."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.core.models import User
from registry.extensions import db
from registry.meetings import ical_import
from registry.meetings.models import MeetingSeries, Network, OccurrenceStatus
from tests.conftest import post


def ics(*events: str, extra: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Outlook//EN\n{extra}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


GOOD = ics(
    """UID:040000008200E00074C5B7101A82E008@outlook.example
SUMMARY:Yhteistyöpalaveri\\, syyttäjät
DTSTART;TZID=America/New_York:20260310T030000
DTEND;TZID=America/New_York:20260310T043000
RRULE:FREQ=MONTHLY;BYDAY=2TU;UNTIL=20261231T215959Z
EXDATE;TZID=America/New_York:20260512T030000
LOCATION:Sali 2
DESCRIPTION:1. Avaus\\n2. Asiat""",
    """UID:040000008200E00074C5B7101A82E008@outlook.example
RECURRENCE-ID:20260609T070000Z
SUMMARY:Yhteistyöpalaveri\\, syyttäjät
DTSTART:20260610T090000Z
DTEND:20260610T103000Z
LOCATION:Etäyhteys
DESCRIPTION:1. Avaus\\n2. Asiat""",
    """UID:google-123@google.example
SUMMARY:Kertaluonteinen tapaaminen
DTSTART:20260901T130000
DURATION:PT2H
CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.example.org/abc""",
)


def _url(network: int) -> str:
    return f"/networks/{network}/import"


def _upload(client: Any, network: int, data: bytes, name: str = "kalenteri.ics") -> Any:
    return post(client, _url(network), {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _count(app: Any, network: int | None = None) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(MeetingSeries)
        if network is not None:
            stmt = stmt.where(MeetingSeries.network_id == network)
        return int(db.session.scalar(stmt) or 0)


def _content(page: str) -> str:
    match = re.search(r'name="content" type="hidden" value="([^"]*)"', page) or \
        re.search(r'type="hidden" name="content" value="([^"]*)"', page) or \
        re.search(r'id="content" name="content" type="hidden" value="([^"]*)"', page)
    assert match, "no content field on the preview"
    return match.group(1)


def test_preview_then_import(app, client_as, make_network):
    network = make_network()
    client = client_as("director", unit="ESRSK")
    assert client.get(_url(network)).status_code == 200
    response = _upload(client, network, GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "Yhteistyöpalaveri, syyttäjät" in page and "Kertaluonteinen tapaaminen" in page
    assert "10.3.2026 09:00" in page  # 03:00 in New York (EDT, -4) is 09:00 in Helsinki (EET, +2)
    assert "Every month on the 2nd Tuesday, until 31.12.2026" in page
    # New York changes to summer time three weeks before Finland: the Finnish time of the first meeting is kept.
    assert "The file gives the times in America/New_York, which changes to summer time on other days" in page
    assert "1.9.2026 13:00" in page and "A single meeting" in page
    assert _count(app) == 0  # nothing is saved before the confirmation
    content = _content(page)
    assert base64.b64decode(content) == GOOD
    response = post(client, _url(network), {"content": content, "step": "import"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/networks/{network}")
    assert "Meetings imported: 2." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        series = {s.title: s for s in db.session.scalars(select(MeetingSeries).where(
            MeetingSeries.network_id == network))}
        monthly = series["Yhteistyöpalaveri, syyttäjät"]
        assert monthly.uid == "040000008200E00074C5B7101A82E008@outlook.example"  # free: kept
        assert monthly.starts_at == datetime(2026, 3, 10, 9) and monthly.duration_minutes == 90
        assert monthly.rrule == "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20261231T235959"
        assert monthly.location == "Sali 2" and monthly.agenda == "1. Avaus\n2. Asiat"
        changes = {o.recurrence_id: o for o in monthly.occurrences}
        # EXDATE 03:00 New York = 10:00 in Finland in May; the series meets at 09:00 Finnish time: that one.
        assert set(changes) == {datetime(2026, 5, 12, 9), datetime(2026, 6, 9, 9)}
        assert changes[datetime(2026, 5, 12, 9)].status is OccurrenceStatus.CANCELLED
        moved = changes[datetime(2026, 6, 9, 9)]
        assert moved.status is OccurrenceStatus.SCHEDULED and moved.starts_at == datetime(2026, 6, 10, 12)
        assert moved.location == "Etäyhteys" and moved.agenda is None and moved.duration_minutes is None
        single = series["Kertaluonteinen tapaaminen"]
        assert single.rrule is None and single.starts_at == datetime(2026, 9, 1, 13)
        assert single.duration_minutes == 120 and single.video_url == "https://meet.example.org/abc"
        assert single.location is None
    # The same file again: the UIDs are taken now, so the copies get new ones.
    post(client, _url(network), {"content": content, "step": "import"})
    with app.app_context():
        uids = list(db.session.scalars(select(MeetingSeries.uid).where(MeetingSeries.network_id == network)))
        assert len(uids) == 4 and len(set(uids)) == 4


BROKEN = {
    "latin-1": (b"Kokous" + "ä".encode("latin-1"), "The file is not UTF-8 text"),
    "not ics": (b"Name;Date\nKokous;1.1.2026\n", "The file is not an iCalendar (.ics) file."),
    "garbage": (b"BEGIN:VCALENDAR\r\nthis is not a content line\r\n", "The file is not a valid iCalendar file"),
    "no events": (ics(), "The file has no events (VEVENT)."),
    "all-day": (ics("UID:a\nSUMMARY:Juhannus\nDTSTART;VALUE=DATE:20260619"),
                "Juhannus is an all-day event; only meetings with a start time can be imported."),
    "daily": (ics("UID:b\nSUMMARY:Aamupalaveri\nDTSTART:20260105T090000\nRRULE:FREQ=DAILY"),
              "Aamupalaveri recurs in a way the registry cannot show (FREQ=DAILY)."),
    "two weekdays": (ics("UID:c\nSUMMARY:Ma ja ke\nDTSTART:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE"),
                     "Ma ja ke recurs in a way the registry cannot show"),
    "rdate": (ics("UID:d\nSUMMARY:Lisäpäivät\nDTSTART:20260105T090000\nRDATE:20260107T090000"),
              "Lisäpäivät repeats on extra dates (RDATE/EXRULE)"),
    "unknown zone": (ics("UID:e\nSUMMARY:Outo aika\nDTSTART;TZID=Mars/Olympus:20260105T090000"),
                     "Outo aika: the time zone Mars/Olympus is unknown."),
    "no start": (ics("UID:f\nSUMMARY:Ei alkua"), "Ei alkua has no start time (DTSTART)."),
    "too long": (ics("UID:g\nSUMMARY:Pitkä\nDTSTART:20260105T090000\nDTEND:20260107T090000"),
                 "Pitkä lasts 2880 minutes; a meeting can last from 1 minute to 24 hours."),
    "one bad of two": (ics("UID:h\nSUMMARY:Hyvä\nDTSTART:20260105T090000",
                           "UID:i\nSUMMARY:Huono\nDTSTART:20260105T090000\nRRULE:FREQ=HOURLY"),
                       "Huono recurs in a way the registry cannot show"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_get_a_message_and_nothing_is_imported(app, client_as, make_network, case):
    data, message = BROKEN[case]
    network = make_network()
    client = client_as("director", unit="ESRSK")
    response = _upload(client, network, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page.replace("&#39;", "'").replace("&amp;", "&"), page[page.find("error-summary"):][:800]
    assert 'aria-invalid="true"' in page
    # A forged confirmation of the same content is checked again.
    response = post(client, _url(network), {"content": base64.b64encode(data).decode(), "step": "import"})
    assert response.status_code == 400
    assert _count(app) == 0


def test_too_big_a_file(app, client_as, make_network, monkeypatch):
    monkeypatch.setattr(ical_import, "MAX_BYTES", 100 * 1024)  # keeps the test request in memory
    network = make_network()
    response = _upload(client_as("director", unit="ESRSK"), network, GOOD + b" " * (100 * 1024))
    assert response.status_code == 400 and "The file is larger than" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_no_file_and_tampered_content(app, client_as, make_network):
    network = make_network()
    client = client_as("director", unit="ESRSK")
    response = post(client, _url(network), {})
    assert response.status_code == 400 and "Choose an iCalendar (.ics) file." in response.get_data(as_text=True)
    response = post(client, _url(network), {"content": "!!not base64!!", "step": "import"})
    assert response.status_code == 400 and "upload it again" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_nothing_is_half_imported_when_a_later_series_fails(app, client_as, make_network, monkeypatch):
    network = make_network()
    client = client_as("director", unit="ESRSK")
    data = ics("UID:x1\nSUMMARY:Ensimmäinen\nDTSTART:20260105T090000\nRRULE:FREQ=WEEKLY",
               "UID:x2\nSUMMARY:Toinen\nDTSTART:20260106T090000\nRRULE:FREQ=WEEKLY")
    real = ical_import.series_services.create_series
    calls = []

    def failing(network_obj: Any, values: dict[str, Any], actor: Any) -> Any:
        calls.append(values["title"])
        if len(calls) == 2:
            raise ical_import.ServiceError("The duration must be from 1 to 1440 minutes.", "duration_minutes")
        return real(network_obj, values, actor)

    monkeypatch.setattr(ical_import.series_services, "create_series", failing)
    page = _upload(client, network, data).get_data(as_text=True)
    response = post(client, _url(network), {"content": _content(page), "step": "import"})
    assert response.status_code == 400
    assert "Toinen: The duration must be from 1 to 1440 minutes." in response.get_data(as_text=True)
    assert calls == ["Ensimmäinen", "Toinen"] and _count(app) == 0


def test_only_directors_in_scope_and_admins_import(app, client_as, make_network):
    network = make_network()  # a network of ESRSK
    assert client_as("staff", unit="ESRSK").get(_url(network)).status_code == 403
    assert client_as("director", unit="LSRSK").get(_url(network)).status_code == 403
    assert _upload(client_as("director", unit="LSRSK"), network, GOOD).status_code == 403
    assert client_as("admin").get(_url(network)).status_code == 200
    assert client_as("director", unit="ESRSK").get("/networks/999999/import").status_code == 404
    assert _count(app) == 0


def test_parse_reads_floating_utc_and_zoned_times_as_helsinki_wall_clock():
    found = ical_import.parse_ics(ics(
        "UID:1\nSUMMARY:Kelluva\nDTSTART:20260701T100000\nDTEND:20260701T110000",
        "UID:2\nSUMMARY:UTC\nDTSTART:20260701T070000Z\nDTEND:20260701T080000Z",
        "UID:3\nSUMMARY:Tukholma\nDTSTART;TZID=Europe/Stockholm:20260101T090000\nDTEND;TZID=Europe/Stockholm:"
        "20260101T100000",
        "UID:4\nSUMMARY:Yli kesäajan vaihteen\nDTSTART;TZID=Europe/Helsinki:20260329T020000\nDTEND;"
        "TZID=Europe/Helsinki:20260329T050000"))
    times = {s.title: (s.starts_at, s.duration_minutes) for s in found}
    assert times == {"Kelluva": (datetime(2026, 7, 1, 10), 60), "UTC": (datetime(2026, 7, 1, 10), 60),
                     "Tukholma": (datetime(2026, 1, 1, 10), 60),
                     "Yli kesäajan vaihteen": (datetime(2026, 3, 29, 2), 120)}  # 02:00→05:00 is two real hours


def test_orphan_change_becomes_a_meeting_of_its_own_and_stray_changes_are_left_out(app, make_network, make_user):
    found = ical_import.parse_ics(ics(
        "UID:s\nSUMMARY:Sarja\nDTSTART:20260105T090000\nRRULE:FREQ=WEEKLY;COUNT=3",
        "UID:s\nRECURRENCE-ID:20260301T090000\nSUMMARY:Sarja\nDTSTART:20260302T090000",  # not a rule date
        "UID:other\nRECURRENCE-ID:20260105T090000\nSUMMARY:Kutsu yhteen\nDTSTART:20260105T120000"))
    by_title = {s.title: s for s in found}
    assert by_title["Sarja"].ignored == 1 and by_title["Sarja"].changes == []
    assert by_title["Kutsu yhteen"].rrule is None and by_title["Kutsu yhteen"].uid is None
    network = make_network()
    admin = make_user("admin")
    with app.app_context():
        created = ical_import.import_series(db.session.get(Network, network), found, db.session.get(User, admin.id))
        db.session.commit()
        assert sorted(s.title for s in created) == ["Kutsu yhteen", "Sarja"]
