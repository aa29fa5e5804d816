"""Project partnerships in the browser: an association applies through the public form without an account,
and axe-core checks every page of the working group's process and of the portfolio."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from registry.applications.demo import load_applications_demo
from registry.applications.models import Application, ApplicationStatus, Project
from registry.core.models import OutboxMessage
from registry.directory.demo import load_directory_demo
from registry.extensions import db
from tests.e2e.test_accessibility import axe_problems, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_applications(app: Flask, reference: None) -> None:
    with app.app_context():
        load_directory_demo()
        load_applications_demo()
        db.session.commit()


def test_an_association_applies_without_an_account(app: Flask, live_server: str, page: Any,
                                                    reference: None) -> None:
    visit(page, "/applications/new")
    page.fill("#organisation_name", "Polku kotiin ry")
    page.select_option("#applicant_form", "association")
    page.fill("#business_id", "0116297-6")
    page.fill("#address", "Esimerkkikatu 1\n00100 Helsinki")
    page.fill("#contact_name", "Maija Meikäläinen")
    page.fill("#contact_email", "maija@polkukotiin.example")
    page.fill("#project_name", "Vapautuvien asumispolku")
    page.fill("#description", "Tuettua asumista vankilasta vapautuville.")
    page.fill("#need", "Vapautuvilla ei ole asuntoa.")
    page.fill("#target_groups", "Vapautuvat vangit")
    page.locator("#units input[type=checkbox]").first.check()
    page.fill("#planned_start", "2027-01-01")
    page.fill("#planned_end", "2029-12-31")
    page.check("input[name=funder][value=stea]")
    page.check("input[name=prison_work][value=yes]")
    page.check("input[name=e_services][value=no]")
    page.check("#consent")
    assert not axe_problems(page)
    time.sleep(3.2)  # people take longer than the bot threshold to fill the form
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("PK-")
    reference = re.search(r"PK-\d{4}-\d{4}", page.locator("main").inner_text())
    assert reference
    assert not axe_problems(page)
    with app.app_context():
        application = db.session.scalars(select(Application).where(Application.reference == reference.group(0))).one()
        assert application.status is ApplicationStatus.RECEIVED and application.prison_work
        assert db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to == "maija@polkukotiin.example")).one()


def test_application_pages_have_no_serious_violations(app: Flask, live_server: str, page: Any,
                                                      demo_applications: None, make_user: Any,
                                                      sign_in: Any) -> None:
    sign_in(page, make_user("working_group", "staff", unit="ESRSK"))
    with app.app_context():
        application = db.session.scalars(select(Application).where(
            Application.status == ApplicationStatus.IN_REVIEW).order_by(Application.id)).first()
        project = db.session.scalars(select(Project).order_by(Project.id)).first()
        assert application is not None and project is not None
        follow_up = project.follow_ups[0].id if project.follow_ups else None
        detail, portfolio_item = f"/applications/{application.id}", f"/portfolio/{project.id}"
    paths = ["/applications/", detail, f"{detail}/edit", f"{detail}/conflict", f"{detail}/statement",
             f"{detail}/decision", f"{detail}/funding", "/applications/meetings", "/applications/meetings/new",
             "/applications/criteria", "/applications/criteria/new-version", "/applications/import",
             "/portfolio/", portfolio_item, f"{portfolio_item}/edit", "/portfolio/new", "/"]
    if follow_up:
        paths.append(f"{portfolio_item}/follow-ups/{follow_up}")
    problems: list[str] = []
    for path in paths:
        visit(page, path)
        problems.extend(f"{path}: {p}" for p in axe_problems(page))
    visit(page, "/portfolio/new")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    problems.extend(f"/portfolio/new with errors: {p}" for p in axe_problems(page))
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)
