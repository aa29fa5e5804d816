"""Agreements in the browser: axe-core on every agreement page, and two browsers editing one agreement."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from registry.agreements.demo import load_agreements_demo
from registry.agreements.models import Agreement
from registry.directory.demo import load_directory_demo
from registry.extensions import db
from tests.e2e.test_accessibility import axe_problems, first_link, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_agreements(app: Flask, reference: None) -> None:
    with app.app_context():
        load_directory_demo()
        load_agreements_demo()
        db.session.commit()


def test_agreement_pages_have_no_serious_violations(live_server: str, page: Any, demo_agreements: None,
                                                    make_user: Any, sign_in: Any) -> None:
    sign_in(page, make_user("director", unit="ESRSK"))
    detail = first_link(page, "/agreements/", "/agreements/")
    paths = ["/agreements/", detail, f"{detail}/edit", f"{detail}/amend", f"{detail}/liaisons/new",
             f"{detail}/documents/new", "/agreements/new", "/agreements/dashboard", "/agreements/coverage",
             "/agreements/?status=in_force&expiring_within_days=90", "/profile"]
    problems: list[str] = []
    for path in paths:
        visit(page, path)
        problems.extend(axe_problems(page))
    visit(page, "/agreements/new")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    problems.extend(axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


def test_two_browsers_edit_one_agreement_and_no_change_is_lost(app: Flask, live_server: str, new_context: Any,
                                                                demo_agreements: None, make_user: Any,
                                                                sign_in: Any) -> None:
    with app.app_context():
        agreement = db.session.scalars(select(Agreement).order_by(Agreement.id)).first()
        assert agreement is not None
        edit = f"/agreements/{agreement.id}/edit"
    first, second = new_context().new_page(), new_context().new_page()
    sign_in(first, make_user("admin"))
    sign_in(second, make_user("admin", email="toinen@rise.example"))
    visit(first, edit)
    visit(second, edit)
    first.fill("#dnro", "11/111/2026")
    with first.expect_navigation():
        first.click("main form button[type=submit]")
    expect(first.locator("main")).to_contain_text("11/111/2026")

    second.fill("#notes", "Toisen selaimen muistiinpano")
    with second.expect_navigation():
        second.click("main form button[type=submit]")
    # Refused: the first browser's change is shown, the second's input is still in the form.
    expect(second.locator(".error-summary")).to_be_visible()
    expect(second.locator("main")).to_contain_text("11/111/2026")
    expect(second.locator("#notes")).to_have_value("Toisen selaimen muistiinpano")
    with app.app_context():
        saved = db.session.get(Agreement, agreement.id)
        assert saved is not None and saved.dnro == "11/111/2026" and saved.notes != "Toisen selaimen muistiinpano"
    # Saving again after seeing the changes keeps both.
    with second.expect_navigation():
        second.click("main form button[type=submit]")
    with app.app_context():
        saved = db.session.get(Agreement, agreement.id)
        assert saved is not None and saved.dnro == "11/111/2026" and saved.notes == "Toisen selaimen muistiinpano"
