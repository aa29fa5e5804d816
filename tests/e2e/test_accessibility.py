"""axe-core on every page each role reaches: no serious or critical violations, in fi (and sv, en)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

ROLES = ("staff", "director", "working_group", "coordinator", "admin")
BLOCKING = {"serious", "critical"}
MISSING = "/no-such-page"
_axe = Axe()


def axe_problems(page: Any) -> list[str]:
    """The serious and critical axe violations of the page as it is now, one line each."""
    results = _axe.run(page).response
    return [f"{page.url} [{page.locator('html').get_attribute('lang')}]: {v['id']} ({v['impact']}): "
            f"{v['help']} -- nodes: {[n['target'] for n in v['nodes']]}"
            for v in results["violations"] if v.get("impact") in BLOCKING]


def visit(page: Any, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, f"GET {path}: {response and response.status}"


def check_pages(page: Any, paths: list[str], problems: list[str], status: int = 200) -> None:
    for path in paths:
        visit(page, path, status)
        problems.extend(axe_problems(page))


def first_link(page: Any, list_path: str, prefix: str) -> str:
    """The first link in the main table of an admin list page whose path starts with prefix."""
    visit(page, list_path)
    href = page.locator(f"main table a[href^='{prefix}']").first.get_attribute("href")
    assert href, f"no {prefix}… link on {list_path}"
    return href


@pytest.mark.parametrize("role", ROLES)
def test_pages_of_each_role_have_no_serious_violations(role: str, live_server: str, page: Any, reference: None,
                                                       make_user: Any, sign_in: Any) -> None:
    user = make_user(role, unit="RISE-OPER" if role == "director" else None)
    sign_in(page, user)
    expect(page.locator("html")).to_have_attribute("lang", "fi")

    nav = page.locator("nav.main-nav a")
    expect(nav.first).to_be_visible()
    paths = list(dict.fromkeys(nav.evaluate_all("links => links.map(a => a.getAttribute('href'))")))
    assert "/" in paths and "/profile" in paths, paths
    assert ("/admin/users" in paths) == (role == "admin"), paths

    if role == "admin":
        paths += [
            first_link(page, "/admin/users", "/admin/users/"),
            first_link(page, "/admin/units", "/admin/units/"),
            first_link(page, "/admin/regions", "/admin/regions/"),
            "/admin/users/new",
            "/admin/units/new",
        ]
    if role == "staff":
        paths.append("/profile/totp")  # second-factor set-up, offered to a user without TOTP

    problems: list[str] = []
    check_pages(page, paths, problems)
    check_pages(page, [MISSING], problems, status=404)
    if role == "admin":
        # A form with errors: the error summary and invalid fields.
        visit(page, "/admin/users/new")
        page.fill("#email", "not an address")
        page.fill("#password", "short")
        page.click("main form button[type=submit]")
        expect(page.locator(".error-summary")).to_be_visible()
        problems.extend(axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


def test_signed_out_pages_have_no_serious_violations(live_server: str, page: Any, make_user: Any) -> None:
    admin = make_user("admin")
    problems: list[str] = []
    check_pages(page, ["/login"], problems)
    check_pages(page, [MISSING], problems, status=404)

    # The sign-in form with an error, then the second-factor step.
    visit(page, "/login")
    page.fill("#email", admin.email)
    page.fill("#password", "wrong password")
    page.click("main form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    problems.extend(axe_problems(page))
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    problems.extend(axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_dashboard_and_profile_in_other_languages(language: str, live_server: str, page: Any,
                                                  reference: None, make_user: Any, sign_in: Any) -> None:
    user = make_user("staff", "director", unit="RISE-OPER")
    sign_in(page, user)
    page.locator(f".lang-switch button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)

    problems: list[str] = []
    for path in ("/", "/profile"):
        visit(page, path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        problems.extend(axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


def test_the_check_catches_a_violation(page: Any) -> None:
    """Guard against a silently passing check: a page with known violations is reported."""
    page.set_content('<html lang="fi"><body><main><h1>x</h1><img src="data:,"><button></button></main></body></html>')
    problems = axe_problems(page)
    assert any("image-alt (critical)" in p for p in problems), problems
    assert any("button-name (critical)" in p for p in problems), problems
