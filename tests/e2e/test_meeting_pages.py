"""Networks and meetings in the browser: axe-core on every page of the module, and a director planning a
quarterly series on the 2nd Tuesday, cancelling one meeting and moving another, then reading the personal
feed the way a calendar program does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import recurring_ical_events
from flask import Flask
from icalendar import Calendar
from playwright.sync_api import expect
from sqlalchemy import select

from registry.auth.feed import new_feed_token
from registry.core.models import User
from registry.directory.demo import load_directory_demo
from registry.extensions import db
from registry.i18n import HELSINKI
from registry.i18n import today as helsinki_today
from registry.meetings.demo import load_meetings_demo
from registry.meetings.models import MeetingSeries, Network
from registry.meetings.occurrences import items_between
from tests.e2e.test_accessibility import axe_problems, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_meetings(app: Flask, reference: None) -> None:
    with app.app_context():
        load_directory_demo()
        load_meetings_demo()
        db.session.commit()


def _esrsk_series(app: Flask) -> tuple[int, int, str]:
    """A demo network of the ESRSK centre with a recurring series, and the key of its next occurrence."""
    with app.app_context():
        series = db.session.scalars(
            select(MeetingSeries).join(Network).where(MeetingSeries.rrule.is_not(None))
            .where(Network.centre.has(code="ESRSK")).order_by(MeetingSeries.id)).first()
        assert series is not None
        now = datetime.now(HELSINKI).replace(tzinfo=None)
        upcoming = items_between([series], now, now + timedelta(days=800), include_cancelled=False)
        return series.network_id, series.id, upcoming[0].key


def test_meeting_pages_have_no_serious_violations(app: Flask, live_server: str, page: Any, demo_meetings: None,
                                                  make_user: Any, sign_in: Any) -> None:
    sign_in(page, make_user("director", unit="ESRSK"))
    network_id, series_id, key = _esrsk_series(app)
    occurrence = f"/series/{series_id}/occurrences/{key}"
    month = helsinki_today().strftime("%Y-%m")
    paths = ["/networks/", f"/networks/{network_id}", "/networks/new", f"/networks/{network_id}/edit",
             f"/networks/{network_id}/members/new", f"/networks/{network_id}/evaluations/new",
             f"/networks/{network_id}/series/new", f"/networks/{network_id}/import", f"/series/{series_id}",
             f"/series/{series_id}/edit", occurrence, f"{occurrence}/move", f"{occurrence}/agenda",
             f"{occurrence}/minutes", f"{occurrence}/onwards", "/meetings/", f"/meetings/?view=month&month={month}",
             "/meetings/?scope=all", "/profile", "/"]
    problems: list[str] = []
    for path in paths:
        visit(page, path)
        problems.extend(f"{path}: {p}" for p in axe_problems(page))
    visit(page, "/networks/new")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    problems.extend(f"/networks/new with errors: {p}" for p in axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


def test_a_planned_series_reaches_the_personal_feed_with_its_exceptions(
        app: Flask, live_server: str, page: Any, demo_meetings: None, make_user: Any, sign_in: Any) -> None:
    director = make_user("director", unit="ESRSK")
    sign_in(page, director)
    network_id, _series_id, _key = _esrsk_series(app)
    title = "Neljännesvuosikokous END:VEVENT BEGIN:VEVENT; ryhmä, \\N"  # a text field holds no newline
    visit(page, f"/networks/{network_id}/series/new")
    page.fill("#title", title)
    with app.app_context():
        start = helsinki_today() + timedelta(days=30)
    page.fill("#start_date", start.isoformat())
    page.fill("#start_time", "10:00")
    page.fill("#duration_minutes", "90")
    page.check("input[name=preset][value=quarterly]")
    page.check("input[name=monthly_mode][value=weekday]")
    page.select_option("#ordinal", "2")
    page.select_option("#weekday", "1")
    with page.expect_navigation():
        page.click("main form [name=save]")
    expect(page.locator("main h1")).to_contain_text("Neljännesvuosikokous")
    series_path = page.url.split(live_server, 1)[1]
    with app.app_context():
        series = db.session.scalars(select(MeetingSeries).where(MeetingSeries.title == title)).one()
        assert "BYDAY=2TU" in (series.rrule or "")
        window_start = datetime.combine(start, datetime.min.time())
        window_end = window_start + timedelta(days=800)
        items = items_between([series], window_start, window_end)
        cancel_key, move_key = items[1].key, items[2].key
        moved_from = items[2].starts_at
    # Cancel the second meeting, move the third a day later to 13:00.
    visit(page, f"{series_path}/occurrences/{cancel_key}")
    with page.expect_navigation():
        page.click("main form[action$='/cancel'] button")
    visit(page, f"{series_path}/occurrences/{move_key}/move")
    moved_to = moved_from + timedelta(days=1)
    page.fill("#start_date", moved_to.date().isoformat())
    page.fill("#start_time", "13:00")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    expect(page.locator("main")).to_contain_text("13.00")

    with app.app_context():
        user = db.session.get(User, director.id)
        assert user is not None
        token = new_feed_token(user)
        db.session.commit()
    response = page.context.request.get(f"{live_server}/calendar/{token}.ics")  # as a calendar program would
    assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.body())
    events = [e for e in recurring_ical_events.of(calendar).between(window_start.replace(tzinfo=HELSINKI),
                                                                      window_end.replace(tzinfo=HELSINKI))
              if str(e.get("SUMMARY")) == title]
    starts = [e.decoded("DTSTART").astimezone(HELSINKI).replace(tzinfo=None) for e in events]
    expected = [i.starts_at for i in items if i.key != cancel_key and i.key != move_key] + [
        moved_to.replace(hour=13, minute=0)]
    assert sorted(starts) == sorted(expected)
    assert all(s.hour in (10, 13) for s in starts)  # local time, across daylight-saving changes
    assert sum(1 for c in calendar.walk("VEVENT") if str(c.get("SUMMARY")) == title) == 2  # series + the move
