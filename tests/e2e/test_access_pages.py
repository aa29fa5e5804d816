"""People with access to units in the browser: a coordinator's journey from a new record to the engine's
result, and axe-core on every page of the module (coordinator and director views)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from flask import Flask
from playwright.sync_api import expect

from registry.access.demo import load_access_demo
from registry.directory.demo import load_directory_demo
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.e2e.test_accessibility import axe_problems, first_link, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_people(app: Flask, reference: None) -> None:
    with app.app_context():
        load_directory_demo()
        load_access_demo()
        db.session.commit()


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_coordinator_records_a_person_and_the_engine_gives_the_waiting_period(
        live_server: str, page: Any, demo_people: None, make_user: Any, sign_in: Any) -> None:
    sign_in(page, make_user("coordinator"))
    problems: list[str] = []
    visit(page, "/people/new")
    problems.extend(axe_problems(page))
    page.fill("#name", "Selain Testinen")
    page.select_option("#role", "expert_by_experience")
    _submit(page)
    person_path = re.sub(r"^https?://[^/]+", "", page.url)
    assert re.fullmatch(r"/people/\d+", person_path), page.url

    # A prison sentence served until a year ago: the three-year waiting period is running (policy §10.3).
    released = helsinki_today() - relativedelta(years=1)
    visit(page, f"{person_path}/sentences/new")
    page.fill("#offence_date", (released - relativedelta(years=3)).isoformat())
    page.select_option("#sanction", "unconditional_prison")
    page.fill("#enforcement_start", (released - relativedelta(years=2)).isoformat())
    page.fill("#left_prison", released.isoformat())
    _submit(page)
    expect(page.locator("main")).to_contain_text(f"{released.day}.{released.month}.{released.year}")

    visit(page, f"{person_path}/assignments/new")
    problems.extend(axe_problems(page))
    page.select_option("#unit", index=1)
    page.select_option("#setting", "in_premises")
    page.fill("#task", "Vertaistukiryhmä")
    page.fill("#starts_on", helsinki_today().isoformat())
    _submit(page)
    problems.extend(axe_problems(page))
    with page.expect_navigation():
        page.click("main form[action$='/assess'] button[type=submit]")
    assert "/people/assessments/" in page.url
    eligible_from = released + relativedelta(years=3)
    expect(page.locator("main")).to_contain_text(f"{eligible_from.day}.{eligible_from.month}.{eligible_from.year}")
    expect(page.locator("main svg[role=img]").first).to_be_attached()
    problems.extend(axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


def test_pages_of_people_with_access_to_units_have_no_serious_violations(
        live_server: str, page: Any, demo_people: None, make_user: Any, sign_in: Any, new_context: Any) -> None:
    sign_in(page, make_user("coordinator"))
    person = first_link(page, "/people/", "/people/")
    visit(page, person)
    assignment = page.locator("main a[href^='/people/assignments/']").first.get_attribute("href")
    assert assignment
    paths = [person, assignment, f"{person}/edit", f"{person}/training/new", f"{person}/clearances/new",
             f"{person}/sentences/new", f"{person}/inductions/new", f"{person}/concerns/new",
             "/people/organisations", "/people/organisations/new", "/people/retention", "/people/parameters",
             "/people/parameters/new", "/people/?flag=open_concern"]
    visit(page, assignment)
    assessment = page.locator("main a[href^='/people/assessments/']").first.get_attribute("href")
    if assessment:
        paths.append(assessment)
    problems: list[str] = []
    for path in paths:
        visit(page, path)
        problems.extend(axe_problems(page))
    # a form with errors: the error summary and the invalid field
    visit(page, f"{person}/sentences/new")
    _submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    problems.extend(axe_problems(page))

    # The demo director sees the people at the units in his scope and the decision form, in Swedish too.
    director_page = new_context(locale="sv-SE").new_page()
    sign_in(director_page, make_user("director", unit="ESRSK"))
    visit(director_page, "/people/")
    problems.extend(axe_problems(director_page))
    expect(director_page.locator("html")).to_have_attribute("lang", "sv")
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)
