"""Series and occurrence pages: planning through the form with preview and holiday choices, single-occurrence
changes, minutes with a PDF, scope (403), read-only staff, bad input (400 with kept input), hostile text."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.extensions import db
from registry.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus
from registry.meetings.occurrences import items_between
from tests.conftest import post

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HOSTILE = "Kokous\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected; a, b \\N"



@pytest.fixture
def network(make_network: Any, make_partner: Any, make_contact: Any) -> int:
    partner = make_partner("Syyttäjälaitos")
    liaison = make_contact("Sanna Syyttäjä", partner_id=partner)
    return int(make_network("Syyttäjäyhteistyö", members=[(partner, liaison)]))


def _form(**changes: Any) -> dict[str, Any]:
    data = {"title": "Neljännesvuosipalaveri", "start_date": "2026-03-10", "start_time": "10:00",
            "duration_minutes": "90", "preset": "quarterly", "interval": "2", "monthly_mode": "weekday",
            "ordinal": "2", "weekday": "1", "end": "never", "until": "", "count": "", "location": "Sali 1",
            "video_url": "", "agenda": "1. Avaus", "save": "Save"}
    data.update(changes)
    return data


def _only_series(app: Flask) -> MeetingSeries:
    found = db.session.scalars(select(MeetingSeries)).all()
    assert len(found) == 1
    return found[0]


def test_plan_a_quarterly_series_on_the_second_tuesday_with_preview_and_a_skip(
        app: Flask, client_as: Any, network: int) -> None:
    client = client_as("director", unit="ESRSK")
    page = client.get(f"/networks/{network}/series/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    liaison = re.search(r'checked[^>]*name="liaisons" type="checkbox" value="(\d+)"', html)
    assert "Sanna Syyttäjä" in html and liaison  # the members' liaisons are preselected
    preview = post(client, f"/networks/{network}/series/new", _form(save="", preview="Preview"))
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert 'id="preview-dates"' in html and "10.3.2026" in html and "9.6.2026" in html and "8.12.2026" in html
    assert 'name="skip-20260609T1000"' in html
    saved = post(client, f"/networks/{network}/series/new", _form(liaisons=liaison.group(1),
                                                                  **{"skip-20260609T1000": "skip"}))
    assert saved.status_code == 302
    with app.app_context():
        series = _only_series(app)
        assert series.rrule == "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU"
        assert series.starts_at == datetime(2026, 3, 10, 10) and series.duration_minutes == 90
        assert [c.name for c in series.attendees] == ["Sanna Syyttäjä"]
        found = items_between([series], datetime(2026, 1, 1), datetime(2027, 1, 1))
        assert [(i.starts_at.date().isoformat(), i.status.value) for i in found] == [
            ("2026-03-10", "scheduled"), ("2026-06-09", "cancelled"), ("2026-09-08", "scheduled"),
            ("2026-12-08", "scheduled")]
        assert saved.headers["Location"].endswith(f"/series/{series.id}")
    detail = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Every 3 months on the 2nd Tuesday" in detail and "Cancelled" in detail


def test_holidays_are_flagged_and_skipped_or_moved_in_the_same_save(app: Flask, client_as: Any,
                                                                    network: int) -> None:
    client = client_as("admin")
    # Quarterly on the 1st Tuesday from January 2026: 6.1.2026 is Epiphany; 6.1.2027 (a Wednesday) is not.
    form = _form(start_date="2026-01-06", ordinal="1")
    preview = post(client, f"/networks/{network}/series/new", {**form, "save": "", "preview": "Preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Epiphany" in html and 'name="holiday-20260106T1000"' in html
    assert "7.1.2026" in html  # "move to the next working day" names the day
    saved = post(client, f"/networks/{network}/series/new", {**form, "holiday-20260106T1000": "move"})
    assert saved.status_code == 302
    with app.app_context():
        series = _only_series(app)
        first = items_between([series], datetime(2026, 1, 1), datetime(2026, 2, 1))
        assert [(i.starts_at, i.moved) for i in first] == [(datetime(2026, 1, 7, 10), True)]
    # Midsummer Eve: the 3rd Friday of June 2026 in a monthly series, skipped.
    other = post(client, f"/networks/{network}/series/new", _form(
        title="Kesäkokous", start_date="2026-05-15", preset="monthly_weekday", ordinal="3", weekday="4",
        **{"holiday-20260619T1000": "skip"}))
    assert other.status_code == 302
    with app.app_context():
        kesa = db.session.scalar(select(MeetingSeries).where(MeetingSeries.title == "Kesäkokous"))
        assert kesa is not None
        june = items_between([kesa], datetime(2026, 6, 1), datetime(2026, 7, 1))
        assert [(i.starts_at, i.status) for i in june] == [(datetime(2026, 6, 19, 10), OccurrenceStatus.CANCELLED)]
        assert june[0].holiday == "Juhannusaatto" or june[0].holiday == "Midsummer Eve"


@pytest.fixture
def series_id(network: int, make_series: Any) -> int:
    return int(make_series(network, "Kuukausipalaveri", datetime(2026, 3, 10, 10), "FREQ=MONTHLY;BYDAY=2TU",
                           uid="series-test@rise-registry"))


def test_cancel_restore_and_move_one_occurrence(app: Flask, client_as: Any, series_id: int) -> None:
    client = client_as("director", unit="ESRSK")
    base = f"/series/{series_id}/occurrences/20260414T1000"
    page = client.get(base)
    assert page.status_code == 200 and "Cancel this meeting" in page.get_data(as_text=True)
    assert post(client, base + "/cancel").status_code == 302
    assert "This meeting is cancelled." in client.get(base).get_data(as_text=True)
    assert post(client, base + "/restore").status_code == 302
    moved = post(client, base + "/move", {"start_date": "2026-04-16", "start_time": "13:30",
                                          "duration_minutes": "45", "location": "Etäyhteys", "video_url": ""})
    assert moved.status_code == 302
    refused = post(client, f"/series/{series_id}/occurrences/20260512T1000/move", {
        "start_date": "2026-04-16", "start_time": "13:45", "duration_minutes": "60", "location": "",
        "video_url": ""})
    assert refused.status_code == 400
    assert "Another meeting of this series is already at that time" in refused.get_data(as_text=True)
    with app.app_context():
        occ = db.session.scalar(select(Occurrence).where(Occurrence.series_id == series_id))
        assert occ is not None and occ.status is OccurrenceStatus.SCHEDULED
        assert (occ.starts_at, occ.duration_minutes, occ.location) == (datetime(2026, 4, 16, 13, 30), 45,
                                                                         "Etäyhteys")
        assert occ.sequence == 3 and db.session.get(MeetingSeries, series_id).sequence == 3  # type: ignore[union-attr]
    html = client.get(base).get_data(as_text=True)
    assert "moved" in html and "16.4.2026" in html


def test_agenda_and_minutes_with_a_pdf(app: Flask, client_as: Any, series_id: int) -> None:
    client = client_as("director", unit="ESRSK")
    base = f"/series/{series_id}/occurrences/20260310T1000"
    assert post(client, base + "/agenda", {"agenda": "1. Oma asialista"}).status_code == 302
    from io import BytesIO

    saved = post(client, base + "/minutes", {"minutes": "Päätettiin jatkaa.",
                                             "document": (BytesIO(PDF), "poytakirja.pdf")},
                 content_type="multipart/form-data")
    assert saved.status_code == 302
    not_pdf = post(client, base + "/minutes", {"minutes": "x", "document": (BytesIO(b"hello"), "x.pdf")},
                   content_type="multipart/form-data")
    assert not_pdf.status_code == 400 and "not a PDF" in not_pdf.get_data(as_text=True)
    html = client.get(base).get_data(as_text=True)
    assert "1. Oma asialista" in html and "Päätettiin jatkaa." in html and "poytakirja.pdf" in html
    link = re.search(r'href="([^"]+/documents/\d+)"', html)
    assert link
    staff = client_as("staff")
    download = staff.get(link.group(1))
    assert download.status_code == 200 and download.data == PDF
    assert staff.get(f"/series/{series_id}/occurrences/20260414T1000/documents/1").status_code == 404
    series_page = staff.get(f"/series/{series_id}").get_data(as_text=True)
    assert "poytakirja.pdf" in series_page or "Minutes" in series_page


def test_change_from_this_occurrence_on(app: Flask, client_as: Any, series_id: int) -> None:
    client = client_as("director", unit="ESRSK")
    url = f"/series/{series_id}/occurrences/20260609T1000/onwards"
    page = client.get(url)
    assert page.status_code == 200 and 'value="2026-06-09"' in page.get_data(as_text=True)
    saved = post(client, url, _form(title="Kuukausipalaveri", start_date="2026-06-09", start_time="13:00",
                                    preset="monthly_weekday", location="Uusi sali"))
    assert saved.status_code == 302
    with app.app_context():
        old = db.session.get(MeetingSeries, series_id)
        new = db.session.scalar(select(MeetingSeries).where(MeetingSeries.continues_id == series_id))
        assert old is not None and new is not None
        assert old.rrule == "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20260608T235959" and old.sequence == 1
        assert new.starts_at == datetime(2026, 6, 9, 13) and new.location == "Uusi sali"
    assert f"/series/{series_id}" in client.get(saved.headers["Location"]).get_data(as_text=True)


def test_director_outside_scope_gets_403_and_staff_only_read(app: Flask, client_as: Any, series_id: int,
                                                             network: int) -> None:
    outsider = client_as("director", unit="LSRSK")
    base = f"/series/{series_id}/occurrences/20260414T1000"
    assert outsider.get(f"/series/{series_id}").status_code == 200
    for url in (f"/networks/{network}/series/new", f"/series/{series_id}/edit", base + "/move", base + "/agenda",
                base + "/minutes", base + "/onwards"):
        assert outsider.get(url).status_code == 403, url
    assert post(outsider, base + "/cancel").status_code == 403
    staff = client_as("staff")
    page = staff.get(base)
    assert page.status_code == 200 and "Cancel this meeting" not in page.get_data(as_text=True)
    assert post(staff, base + "/cancel").status_code == 403
    assert staff.get(f"/series/{series_id}/edit").status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Occurrence)).all() == []


def test_unknown_series_and_keys_are_404(client_as: Any, series_id: int) -> None:
    client = client_as("admin")
    assert client.get("/series/999999").status_code == 404
    assert client.get("/series/99999999999").status_code == 404
    assert client.get(f"/series/{series_id}/occurrences/20260415T1000").status_code == 404  # not a date of the rule
    assert client.get(f"/series/{series_id}/occurrences/garbage").status_code == 404
    assert post(client, f"/series/{series_id}/occurrences/20260415T1000/cancel").status_code == 404


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": ""}, "title", "This field is required."),
    ({"start_date": "31.2.2026"}, "start_date", "Not a valid date value."),
    ({"start_time": "25:00"}, "start_time", "Not a valid time value."),
    ({"duration_minutes": "0"}, "duration_minutes", "from 1 to 1440"),
    ({"preset": "months"}, "months", "Choose at least one month."),
    ({"end": "until", "until": "2026-01-01"}, "until", "before the first meeting"),
    ({"end": "count", "count": ""}, "count", "Give the number of meetings."),
    ({"preset": "monthly_date", "monthly_mode": "date", "start_date": "2026-03-31"}, "start_date", "29th to 31st"),
    ({"video_url": "javascript:alert(1)"}, "video_url", "https://"),
    ({"preset": "daily"}, "preset", "Not a valid choice"),
])
def test_bad_input_gives_400_with_messages_and_kept_input(client_as: Any, network: int, changes: dict[str, str],
                                                          field: str, message: str) -> None:
    client = client_as("director", unit="ESRSK")
    response = post(client, f"/networks/{network}/series/new", _form(**{"title": "Pidetty otsikko", **changes}))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html or f'id="{field}-error"' in html.replace("'", '"')
    if "title" not in changes:
        assert 'value="Pidetty otsikko"' in html  # the input is kept


def test_hostile_title_is_stored_verbatim(app: Flask, client_as: Any, network: int) -> None:
    client = client_as("director", unit="ESRSK")
    saved = post(client, f"/networks/{network}/series/new", _form(title=HOSTILE, preset="single"))
    assert saved.status_code == 302
    with app.app_context():
        series = _only_series(app)
        assert series.title == HOSTILE.replace("\r\n", "\n") or series.title == HOSTILE
        assert series.rrule is None
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "END:VEVENT\nBEGIN:VEVENT" in page or "END:VEVENT\r\nBEGIN:VEVENT" in page


def test_edit_series_prefills_the_editor_and_raises_sequence(app: Flask, client_as: Any, series_id: int) -> None:
    client = client_as("director", unit="ESRSK")
    page = client.get(f"/series/{series_id}/edit").get_data(as_text=True)
    assert re.search(r'value="monthly_weekday"[^>]*checked|checked[^>]*value="monthly_weekday"', page)
    assert 'value="2026-03-10"' in page
    saved = post(client, f"/series/{series_id}/edit", _form(title="Kuukausipalaveri", preset="monthly_weekday",
                                                            ordinal="-1", weekday="4", start_date="2026-03-27"))
    assert saved.status_code == 302
    with app.app_context():
        series = db.session.get(MeetingSeries, series_id)
        assert series is not None and series.rrule == "FREQ=MONTHLY;BYDAY=-1FR" and series.sequence == 1
        assert series.uid == "series-test@rise-registry"  # the UID never changes


def test_hostile_values_in_every_series_form_never_cause_a_server_error(client_as: Any, series_id: int,
                                                                        network: int) -> None:
    from tests.core.test_bad_input import HOSTILE

    client = client_as("admin")
    base = f"/series/{series_id}/occurrences/20260414T1000"
    fields = ["title", "start_date", "start_time", "duration_minutes", "preset", "interval", "monthly_mode",
              "ordinal", "weekday", "months", "end", "until", "count", "location", "video_url", "agenda", "liaisons",
              "contacts", "minutes", "holiday-20260414T1000", "skip-20260414T1000", "skip-x", "holiday-"]
    urls = [f"/networks/{network}/series/new", f"/series/{series_id}/edit", base + "/onwards", base + "/move",
            base + "/agenda", base + "/minutes", base + "/cancel", base + "/restore"]
    for value in HOSTILE:
        for url in urls:
            for extra in ({"save": "Save"}, {"preview": "Preview"}):
                response = post(client, url, {**{f: value for f in fields}, **extra})
                assert response.status_code < 500, f"POST {url} with {value!r}"


def test_a_rule_the_editor_cannot_show_is_announced(client_as: Any, network: int, make_series: Any) -> None:
    custom = make_series(network, "Päivittäinen", datetime(2026, 3, 9, 9), "FREQ=DAILY;COUNT=5")
    client = client_as("admin")
    page = client.get(f"/series/{custom}/edit")
    assert page.status_code == 200 and "FREQ=DAILY;COUNT=5" in page.get_data(as_text=True)
    assert "Custom recurrence (FREQ=DAILY;COUNT=5)" in client.get(f"/series/{custom}").get_data(as_text=True)
