"""axe-core on the directory pages that are not in the navigation: details, forms, search, keyword pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from registry.directory.demo import load_directory_demo
from registry.extensions import db
from tests.e2e.test_accessibility import axe_problems, first_link, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_directory(app: Flask, reference: None) -> None:
    with app.app_context():
        load_directory_demo()
        db.session.commit()


def test_directory_detail_pages_and_forms(live_server: str, page: Any, demo_directory: None, make_user: Any,
                                          sign_in: Any) -> None:
    sign_in(page, make_user("director", unit="ESRSK"))
    paths = [
        first_link(page, "/directory/partners", "/directory/partners/"),
        first_link(page, "/directory/contacts", "/directory/contacts/"),
        "/directory/partners/new",
        "/directory/contacts/new",
        "/search?q=asiantuntija",
        "/search?q=Hameenlinna&kind=partner",
    ]
    visit(page, "/directory/keywords")
    paths.append(page.locator("main a[href^='/directory/keywords/']").first.get_attribute("href"))
    problems: list[str] = []
    for path in paths:
        visit(page, path)
        problems.extend(axe_problems(page))
    # a partner form with errors: the error summary and invalid fields
    visit(page, "/directory/partners/new")
    page.fill("#business_id", "1234567-0")
    page.click("main form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    problems.extend(axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)
