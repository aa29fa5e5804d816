"""The header search in a browser: suggestions by keyboard (ARIA combobox), Escape, no JavaScript, axe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.directory import conftest as directory_fixtures
from tests.e2e.test_accessibility import axe_problems

pytestmark = pytest.mark.e2e
make_partner = directory_fixtures.make_partner


@pytest.fixture
def partners(reference: None, make_partner: Any) -> dict[str, int]:
    return {"hml": make_partner("Hämeenlinnan kaupunki", regions=("KAH",)),
            "oy": make_partner("Hameenlinna Consulting Oy"),
            "other": make_partner("Kokemusasiantuntijat ry")}


def test_suggestions_by_keyboard(page: Any, partners: dict[str, int], make_user: Any, sign_in: Any) -> None:
    sign_in(page, make_user("staff"))
    box = page.locator("#site-search-q")
    listbox = page.locator("#site-search-suggestions")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("hameen", delay=30)
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.locator("[role=option]")
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("Hameenlinna Consulting Oy")  # the exact spelling first
    assert not axe_problems(page)
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "site-search-suggestions-0")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("hameen")
    box.press("ArrowDown")  # opens the list again
    expect(listbox).to_be_visible()
    box.press("ArrowDown")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith(f"/directory/partners/{partners['oy']}")


def test_enter_without_a_chosen_suggestion_opens_the_results_page(page: Any, partners: dict[str, int],
                                                                  make_user: Any, sign_in: Any) -> None:
    sign_in(page, make_user("staff"))
    page.fill("#site-search-q", "asiantuntija")
    with page.expect_navigation():
        page.press("#site-search-q", "Enter")
    assert "/search?q=asiantuntija" in page.url
    expect(page.locator("main")).to_contain_text("Kokemusasiantuntijat ry")
    assert not axe_problems(page)


def test_search_works_without_javascript(new_context: Any, partners: dict[str, int], make_user: Any,
                                         sign_in: Any) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, make_user("staff"))
    page.fill("#site-search-q", "Hameenlinna")
    with page.expect_navigation():
        page.press("#site-search-q", "Enter")
    results = page.locator("#results-partner + ul li")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("Hameenlinna Consulting Oy")
    page.select_option("#region", "KAH")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("#results-partner + ul li")).to_have_count(1)
    expect(page.locator("#results-partner + ul li")).to_contain_text("Hämeenlinnan kaupunki")
