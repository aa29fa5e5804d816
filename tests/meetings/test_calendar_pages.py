"""The calendar pages: the pure month grid, the agenda list and the month view (cancelled and moved meetings,
month boundaries, today), the "mine" and "all" scopes, the network filter, and a constant query count."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from registry.core.models import User
from registry.extensions import db
from registry.i18n import today as helsinki_today
from registry.meetings import month as grid
from registry.meetings import queries, services
from registry.meetings.models import MeetingSeries, Occurrence, OccurrenceStatus

# --- the pure grid ------------------------------------------------------------------------------


def _at(*args: int) -> SimpleNamespace:
    return SimpleNamespace(starts_at=datetime(*args))  # type: ignore[arg-type]


def test_parse_month() -> None:
    today = date(2026, 3, 15)
    assert grid.parse_month("", today) == grid.Month(2026, 3)
    assert grid.parse_month(None, today) == grid.Month(2026, 3)
    assert grid.parse_month("2026-12", today) == grid.Month(2026, 12)
    for junk in ("2026-13", "2026-00", "2026-3", "26-03", "x", "2026-03-01", "0000-01", "9999-12"):
        assert grid.parse_month(junk, today) is None, junk


def test_month_neighbours_and_range() -> None:
    assert grid.Month(2026, 1).previous() == grid.Month(2025, 12)
    assert grid.Month(2025, 12).following() == grid.Month(2026, 1)
    assert grid.Month(grid.FIRST_YEAR, 1).previous() is None
    assert grid.Month(grid.LAST_YEAR, 12).following() is None
    assert grid.Month(2026, 2).last == date(2026, 2, 28) and grid.Month(2028, 2).last == date(2028, 2, 29)
    # March 2026 starts on a Sunday and ends on a Tuesday: the grid runs Monday 23.2. – Sunday 5.4.
    assert grid.grid_range(grid.Month(2026, 3)) == (date(2026, 2, 23), date(2026, 4, 5))
    assert grid.window(date(2026, 3, 1), date(2026, 3, 31)) == (datetime(2026, 3, 1), datetime(2026, 4, 1))


def test_month_grid_places_items_on_their_days() -> None:
    items = [_at(2026, 3, 31, 23, 30), _at(2026, 3, 31, 9), _at(2026, 4, 1, 0, 0), _at(2026, 2, 23, 10)]
    weeks = grid.month_grid(grid.Month(2026, 3), items, date(2026, 3, 10))
    assert len(weeks) == 6 and all(len(w.days) == 7 for w in weeks)
    assert [w.number for w in weeks] == [9, 10, 11, 12, 13, 14]
    days = {d.date: d for w in weeks for d in w.days}
    assert [i.starts_at.hour for i in days[date(2026, 3, 31)].items] == [9, 23]  # in time order
    assert days[date(2026, 3, 31)].in_month and not days[date(2026, 4, 1)].in_month
    assert len(days[date(2026, 4, 1)].items) == 1 and len(days[date(2026, 2, 23)].items) == 1
    assert [d.date for d in days.values() if d.is_today] == [date(2026, 3, 10)]
    assert grid.agenda_days(items)[0][0] == date(2026, 2, 23)


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def march(app: Flask, make_network: Any, make_series: Any) -> dict[str, int]:
    """An ESRSK network with a weekly Tuesday meeting in March 2026 (one cancelled, one moved), a meeting at 23:30
    on the last day of the month, and an IPRSK network with its own meeting."""
    own = make_network("Etelän verkosto", centre_code="ESRSK")
    other = make_network("Pohjoisen verkosto", centre_code="IPRSK")
    weekly = make_series(own, "Viikkopalaveri", datetime(2026, 3, 3, 10), rrule="FREQ=WEEKLY;COUNT=5")
    late = make_series(own, "Myöhäinen kokous", datetime(2026, 3, 31, 23, 30), duration_minutes=30)
    north = make_series(other, "Pohjoisen kokous", datetime(2026, 3, 12, 13))
    with app.app_context():
        series = db.session.get(MeetingSeries, weekly)
        db.session.add_all([
            Occurrence(series=series, recurrence_id=datetime(2026, 3, 10, 10), status=OccurrenceStatus.CANCELLED),
            Occurrence(series=series, recurrence_id=datetime(2026, 3, 17, 10), starts_at=datetime(2026, 3, 19, 14)),
        ])
        db.session.commit()
    return {"own": own, "other": other, "weekly": weekly, "late": late, "north": north}


def _cell(page: str, day: str) -> str:
    match = re.search(rf'<td class="calendar-cell[^"]*" id="d-{day}">(.*?)</td>', page, re.S)
    assert match, day
    return match.group(1)


def test_month_view(app: Flask, client_as: Any, march: dict[str, int]) -> None:
    client = client_as("staff", unit="ESRSK")
    response = client.get("/meetings/?view=month&month=2026-03")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "March 2026" in page
    assert '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in page
    assert re.findall(r'<th scope="col"><abbr title="(\w+)">', page) == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert "10:00 Viikkopalaveri" in _cell(page, "2026-03-03")
    cancelled = _cell(page, "2026-03-10")
    assert "<del>Viikkopalaveri</del>" in cancelled and "Cancelled" in cancelled
    assert "Viikkopalaveri" not in _cell(page, "2026-03-17")
    moved = _cell(page, "2026-03-19")
    assert "14:00 Viikkopalaveri" in moved and "Moved" in moved
    assert "23:30 Myöhäinen kokous" in _cell(page, "2026-03-31")
    assert "Myöhäinen" not in _cell(page, "2026-04-01")
    assert "Pohjoisen kokous" not in page  # not one of the user's networks
    assert "month=2026-02" in page
    assert "month=2026-04" in page
    if can_link(app):
        assert f'/series/{march["weekly"]}/occurrences/20260303T1000' in page


def can_link(app: Flask) -> bool:
    """Whether the occurrence pages exist yet (the calendar links to them when they do)."""
    return "meetings.occurrence" in app.view_functions


def test_month_view_marks_today_in_words(app: Flask, client_as: Any) -> None:
    client = client_as("staff")
    page = client.get("/meetings/?view=month").get_data(as_text=True)
    today = helsinki_today()
    assert "Today" in _cell(page, today.isoformat())
    assert re.search(rf'<td class="calendar-cell[^"]*is-today[^"]*" id="d-{today.isoformat()}"', page)
    assert page.count("is-today") == 1


def test_month_view_scopes_and_network_filter(app: Flask, client_as: Any, march: dict[str, int]) -> None:
    client = client_as("staff", unit="ESRSK")
    page = client.get("/meetings/?view=month&month=2026-03&scope=all").get_data(as_text=True)
    assert "Pohjoisen kokous" in _cell(page, "2026-03-12") and "Viikkopalaveri" in page
    page = client.get(f"/meetings/?view=month&month=2026-03&scope=all&network={march['other']}").get_data(as_text=True)
    assert "Pohjoisen kokous" in page and "Viikkopalaveri" not in page
    nobody = client_as("staff")
    page = nobody.get("/meetings/?view=month&month=2026-03").get_data(as_text=True)
    assert 'id="no-networks"' in page and "Viikkopalaveri" not in page


def test_bad_month_is_a_400_with_a_message(app: Flask, client_as: Any) -> None:
    client = client_as("staff")
    response = client.get("/meetings/?view=month&month=2026-13")
    assert response.status_code == 400
    assert "Give the month as year and month" in response.get_data(as_text=True)


def test_agenda_list(app: Flask, client_as: Any, march: dict[str, int]) -> None:
    client = client_as("staff", unit="ESRSK")
    response = client.get("/meetings/?from=2026-03-01&to=2026-03-31")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    headings = re.findall(r'<h3 class="calendar-day" id="day-([\d-]+)">', page)
    assert headings == ["2026-03-03", "2026-03-10", "2026-03-19", "2026-03-24", "2026-03-31"]
    day10 = page.split('id="day-2026-03-10"')[1].split("</ul>")[0]
    assert "<del>Viikkopalaveri</del>" in day10 and "Cancelled" in day10
    day19 = page.split('id="day-2026-03-19"')[1].split("</ul>")[0]
    assert "14:00" in day19 and "Moved" in day19 and "Etelän verkosto" in day19
    assert "23:30" in page.split('id="day-2026-03-31"')[1]
    assert "6 meetings" in page
    page = client.get("/meetings/?from=2026-03-18&to=2026-03-20&scope=all").get_data(as_text=True)
    assert re.findall(r'id="day-([\d-]+)"', page) == ["2026-03-19"]


def test_agenda_list_defaults_to_the_next_90_days(app: Flask, client_as: Any, make_network: Any,
                                                  make_series: Any) -> None:
    network = make_network()
    now = services.local_now()
    make_series(network, "Pian", (now + timedelta(days=2)).replace(hour=10, minute=0))
    make_series(network, "Liian myöhään", (now + timedelta(days=120)).replace(hour=10, minute=0))
    make_series(network, "Jo mennyt", (now - timedelta(days=2)).replace(hour=10, minute=0))
    client = client_as("staff", unit="ESRSK")
    page = client.get("/meetings/").get_data(as_text=True)
    assert "Pian" in page and "Liian myöhään" not in page and "Jo mennyt" not in page


def test_agenda_list_range_errors(app: Flask, client_as: Any) -> None:
    client = client_as("staff")
    response = client.get("/meetings/?from=2026-03-10&to=2026-03-01")
    assert response.status_code == 400
    assert "The end must not be before the start." in response.get_data(as_text=True)
    response = client.get("/meetings/?from=2026-02-31")
    assert response.status_code == 400 and 'id="from-error"' in response.get_data(as_text=True)
    response = client.get("/meetings/?from=2026-01-01&to=2028-01-01")
    assert response.status_code == 400 and "at most a year" in response.get_data(as_text=True)


def test_print_styles_hide_the_navigation(app: Flask) -> None:
    with app.open_resource("static/css/app.css") as css:
        text = css.read().decode()
    assert re.search(r"@media print\s*{[^}]*\.site-header", text)
    assert ".calendar-month" in text


# --- speed: a constant number of queries ----------------------------------------------------------


def test_calendar_query_count_is_constant(app: Flask, client_as: Any, make_network: Any, make_series: Any,
                                          count_queries: Any) -> None:
    client = client_as("staff", unit="ESRSK")
    network = make_network()

    def count(url: str) -> int:
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    make_series(network, "Ensimmäinen", datetime(2026, 3, 2, 9), rrule="FREQ=WEEKLY")
    urls = ["/meetings/?view=month&month=2026-03", "/meetings/?view=month&month=2026-03&scope=all",
            "/meetings/?from=2026-03-01&to=2026-04-30"]
    few = [count(url) for url in urls]
    for i in range(20):
        series_id = make_series(make_network(f"Verkosto {i}", centre_code=("ESRSK", "LSRSK")[i % 2]),
                                f"Sarja {i}", datetime(2026, 1, 5 + i % 5, 8 + i % 8), rrule="FREQ=DAILY")
        with app.app_context():
            db.session.add(Occurrence(series_id=series_id, recurrence_id=datetime(2026, 3, 10, 8 + i % 8),
                                      status=OccurrenceStatus.CANCELLED))
            db.session.commit()
    assert [count(url) for url in urls] == few


def test_next_meetings_for_the_dashboard(app: Flask, make_network: Any, make_series: Any, make_user: Any) -> None:
    network = make_network()
    now = services.local_now()
    first = make_series(network, "Seuraava", (now + timedelta(days=1)).replace(minute=0), rrule="FREQ=DAILY")
    with app.app_context():
        series = db.session.get(MeetingSeries, first)
        cancelled = series.starts_at + timedelta(days=1)
        db.session.add(Occurrence(series=series, recurrence_id=cancelled, status=OccurrenceStatus.CANCELLED))
        db.session.commit()
    user = make_user("staff", unit="ESRSK", email="dashboard@rise.example")
    with app.app_context():
        items = queries.next_meetings(db.session.get(User, user.id), now)
        assert len(items) == 5 and all(not i.cancelled for i in items)
        assert cancelled not in [i.starts_at for i in items]
        assert queries.next_meetings(db.session.get(User, make_user("staff").id), now) == []


def test_dashboard_lists_the_next_meetings(app: Flask, client_as: Any, make_network: Any, make_series: Any) -> None:
    network = make_network("Dashboard-verkosto")
    make_series(network, "Huominen kokous", (services.local_now() + timedelta(days=1)).replace(hour=9, minute=0))
    page = client_as("staff", unit="ESRSK").get("/").get_data(as_text=True)
    panel = page.split('id="meetings-title"')[1].split("</section>")[0]
    assert "Your next meetings" in page and "Huominen kokous" in panel and "Dashboard-verkosto" in panel
    page = client_as("staff").get("/").get_data(as_text=True)
    assert "No meetings in your networks in the coming year." in page


def test_month_view_shows_meetings_moved_in_from_later_and_holidays(app: Flask, client_as: Any, make_network: Any,
                                                                  make_series: Any) -> None:
    network = make_network()
    later = make_series(network, "Huhtikuun sarja", datetime(2026, 4, 7, 10), rrule="FREQ=WEEKLY;COUNT=3")
    make_series(network, "Pitkäperjantain kokous", datetime(2026, 4, 3, 12))
    with app.app_context():
        db.session.add(Occurrence(series_id=later, recurrence_id=datetime(2026, 4, 7, 10),
                                  starts_at=datetime(2026, 3, 26, 9)))
        db.session.commit()
    page = client_as("staff", unit="ESRSK").get("/meetings/?view=month&month=2026-03").get_data(as_text=True)
    moved = _cell(page, "2026-03-26")
    assert "09:00 Huhtikuun sarja" in moved and "Moved" in moved
    assert "Good Friday" in _cell(page, "2026-04-03")  # a day of the next month in the grid's last week
