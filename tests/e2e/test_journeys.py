"""User journeys in a real browser: sign-in and sign-out, language switch, an admin creating a user."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-dashboard.png"


def test_staff_signs_in_and_out(live_server: str, page: Any, make_user: Any, sign_in: Any,
                                sign_out: Any) -> None:
    user = make_user("staff", name="Aino Mäkelä")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))

    page.fill("#email", user.email)
    page.fill("#password", "correct horse battery staple")
    page.click("main form button[type=submit]")

    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("main h1")).to_contain_text("Aino Mäkelä")
    expect(page.locator(".user-box a")).to_have_text("Aino Mäkelä")

    sign_out(page)
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.locator(".user-box")).to_have_count(0)
    expect(page.locator("#email")).to_be_visible()


def test_language_switch_is_remembered_for_the_user(live_server: str, page: Any, new_context: Any,
                                                    make_user: Any, sign_in: Any, sign_out: Any) -> None:
    user = make_user("staff")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fi")

    page.locator(".lang-switch").get_by_role("button", name="svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page).to_have_url(f"{live_server}/login")
    page.locator(".lang-switch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".lang-switch button[aria-current=true]")).to_have_text("English")

    sign_in(page, user)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("html"), "the language chosen before signing in must stay after signing in"
           ).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text(f"Welcome, {user.name}")
    sign_out(page)

    # A new browser (Finnish Accept-Language, no cookies): the user's own choice still wins.
    fresh = new_context(locale="fi-FI").new_page()
    fresh.goto("/login")
    expect(fresh.locator("html")).to_have_attribute("lang", "fi")
    sign_in(fresh, user)
    expect(fresh.locator("html"), "the user's language must be remembered for the next sign-in"
           ).to_have_attribute("lang", "en")
    expect(fresh.locator("main h1")).to_have_text(f"Welcome, {user.name}")


def test_admin_creates_a_user(live_server: str, page: Any, reference: None, make_user: Any,
                              sign_in: Any) -> None:
    admin = make_user("admin", name="Ada Admin")
    sign_in(page, admin)  # password, then the six-digit code at /login/verify
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("main h1")).to_contain_text("Ada Admin")

    page.click("nav.main-nav a[href='/admin/users']")
    expect(page).to_have_url(f"{live_server}/admin/users")
    expect(page.locator("nav.main-nav a[aria-current=page]")).to_have_attribute("href", "/admin/users")
    page.click("main a[href='/admin/users/new']")
    expect(page).to_have_url(f"{live_server}/admin/users/new")

    # First with a too-short password: the error summary shows and what was typed is kept.
    page.fill("#email", "Uusi.Kayttaja@rise.example")
    page.fill("#name", "Ville Uusi")
    page.check("#roles-0")
    page.check("#roles-1")
    page.select_option("#home_unit", index=1)
    page.select_option("#locale", "sv")
    page.fill("#password", "short")
    page.click("main form button[type=submit]")

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#password']")).to_have_count(1)
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_value("Uusi.Kayttaja@rise.example")
    expect(page.locator("#name")).to_have_value("Ville Uusi")
    expect(page.locator("#roles-0")).to_be_checked()
    expect(page.locator("#locale")).to_have_value("sv")

    page.fill("#password", "a long enough initial password")
    page.click("main form button[type=submit]")

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/admin/users/\d+$"))
    expect(page.locator("main h1")).to_have_text("Ville Uusi")
    expect(page.locator(".flash-success")).to_contain_text("Ville Uusi")
    expect(page.locator("#email")).to_have_value("uusi.kayttaja@rise.example")
    expect(page.locator("#roles-0")).to_be_checked()
    expect(page.locator("#roles-1")).to_be_checked()
    expect(page.locator("#roles-4")).not_to_be_checked()
    expect(page.locator("#locale")).to_have_value("sv")
    edit_path = page.url.removeprefix(live_server)

    page.click("nav.main-nav a[href='/admin/users']")
    row = page.locator("main table tbody tr", has=page.locator(f"a[href='{edit_path}']"))
    expect(row).to_have_count(1)
    expect(row.locator("a")).to_have_text("Ville Uusi")
    expect(row).to_contain_text("uusi.kayttaja@rise.example")

    # The admin dashboard, for the README.
    page.click("nav.main-nav a[href='/']")
    expect(page.locator("#admin-title")).to_be_visible()
    assert page.viewport_size == {"width": 1280, "height": 800}
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 0
