"""The deadlines calendar: iCalendar that parses, stable UIDs, escaped text, and the personal feed token
(works without a cookie; a wrong, revoked or replaced token gives 404)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from registry.agreements import calendar
from registry.agreements.models import Agreement
from registry.auth import feed
from registry.core.models import User
from registry.extensions import db
from tests.conftest import post

TODAY = date(2027, 1, 15)
NOW = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
HOSTILE = "Rivi yksi\nrivi kaksi; puolipiste, pilkku \\ kenoviiva\nBEGIN:VEVENT\nUID:evil@example"


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("registry.agreements.dashboard_views.helsinki_today", lambda: TODAY)


def _in_force(make_agreement: Any, name: str, **fields: Any) -> int:
    return make_agreement(name, status="in_force", signed_on=date(2025, 1, 1), valid_from=date(2025, 1, 1),
                          with_liaisons=True, **fields)


def _events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def _build(app: Flask, ids: list[int], now: datetime = NOW) -> bytes:
    with app.test_request_context():
        agreements = list(db.session.scalars(select(Agreement).where(Agreement.id.in_(ids))))
        return calendar.build_deadlines_calendar(agreements, now=now, name="Määräajat; testi")


def test_calendar_has_an_all_day_event_per_deadline_with_stable_uids(app, make_agreement):
    aid = _in_force(make_agreement, "Kolmen kuukauden irtisanomisaika", valid_until=date(2027, 5, 31),
                    notice_months=3, lead_time_days=14, review_on=date(2027, 3, 1))
    first = _build(app, [aid])
    parsed = Calendar.from_ical(first)
    assert str(parsed["X-WR-CALNAME"]) == "Määräajat; testi"
    events = {str(e["UID"]): e for e in _events(first)}
    assert set(events) == {f"agreement-{aid}-{kind}@registry" for kind in ("expiry", "notice", "decision", "review")}
    notice = events[f"agreement-{aid}-notice@registry"]
    assert notice.decoded("DTSTART") == date(2027, 2, 28) and notice.decoded("DTEND") == date(2027, 3, 1)
    assert events[f"agreement-{aid}-decision@registry"].decoded("DTSTART") == date(2027, 2, 14)
    assert str(notice["URL"]).endswith(f"/agreements/{aid}")
    assert "DTSTAMP" in notice and "Kolmen kuukauden irtisanomisaika" in str(notice["SUMMARY"])
    second = _build(app, [aid], now=datetime(2027, 1, 16, 9, 0, tzinfo=UTC))
    assert [str(e["UID"]) for e in _events(second)] == [str(e["UID"]) for e in _events(first)]


def test_hostile_title_stays_inside_one_event(app, make_agreement):
    aid = _in_force(make_agreement, HOSTILE, valid_until=date(2027, 5, 31))
    data = _build(app, [aid])
    lines = data.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == 1 and not any(line.startswith(b"UID:evil") for line in lines)
    (event,) = _events(data)
    assert str(event["SUMMARY"]).endswith(HOSTILE)
    assert str(event["UID"]) == f"agreement-{aid}-expiry@registry"


def test_feed_token_rules(app, make_user):
    user = make_user("director", unit="ESRSK")
    with app.app_context():
        account = db.session.get(User, user.id)
        token = feed.new_feed_token(account)
        db.session.commit()
        assert feed.user_by_feed_token(token).id == user.id
        for wrong in ("", token + "x", token[:-1], f"{user.id}.", "x" * 200, "0.abc", f"{user.id + 1}.{token}",
                      "99999999999999999999.abc"):
            assert feed.user_by_feed_token(wrong) is None
        account.active = False
        db.session.commit()
        assert feed.user_by_feed_token(token) is None


def _feed_url(client: Any) -> str | None:
    page = client.get("/profile").get_data(as_text=True)
    match = re.search(r'id="deadlines-url" type="text" class="token" readonly value="([^"]+)"', page)
    return match.group(1).replace("&amp;", "&") if match else None


def test_feed_works_without_a_cookie_and_token_can_be_rotated_and_revoked(app, make_agreement, client_as):
    aid = _in_force(make_agreement, "Etelä-Suomen sopimus", valid_until=date(2027, 5, 31), notice_months=3)
    _in_force(make_agreement, "Länsi-Suomen sopimus", owner="LSRSK", valid_until=date(2027, 5, 31))
    client = client_as("director", unit="ESRSK")
    assert _feed_url(client) is None
    assert post(client, "/profile/feed-token", {"action": "create"}).status_code == 302
    url = _feed_url(client)
    assert url and "/agreements/deadlines.ics?token=" in url
    outsider = app.test_client()  # no session cookie at all
    response = outsider.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private"
    assert not response.headers.getlist("Set-Cookie")
    uids = {str(e["UID"]) for e in _events(response.data)}
    assert uids == {f"agreement-{aid}-expiry@registry", f"agreement-{aid}-notice@registry"}  # the centre's only
    assert outsider.get(url + "x").status_code == 404
    assert outsider.get("/agreements/deadlines.ics").status_code == 404
    post(client, "/profile/feed-token", {"action": "rotate"})
    new_url = _feed_url(client)
    assert new_url != url and outsider.get(url).status_code == 404 and outsider.get(new_url).status_code == 200
    post(client, "/profile/feed-token", {"action": "revoke"})
    assert _feed_url(client) is None and outsider.get(new_url).status_code == 404
    assert post(client, "/profile/feed-token", {"action": "nonsense"}).status_code == 400


def test_staff_feed_is_an_empty_calendar(app, make_agreement, client_as):
    _in_force(make_agreement, "Etelä-Suomen sopimus", valid_until=date(2027, 5, 31))
    client = client_as("staff", unit="ESRSK")
    post(client, "/profile/feed-token", {"action": "create"})
    response = app.test_client().get(_feed_url(client))
    assert response.status_code == 200 and _events(response.data) == []
