"""Application factories (return ids; ORM objects do not outlive their context) and a working-group client."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.applications.models import (
    ApplicantForm,
    Application,
    ApplicationSource,
    ApplicationStatus,
    Funder,
)
from registry.core.models import Unit, utcnow
from registry.directory.models import Partner, Theme
from registry.extensions import db
from tests.directory.conftest import english, make_contact, make_partner  # noqa: F401  (shared fixtures)


def _by_code(model: Any, codes: tuple[str, ...] | list[str]) -> list[Any]:
    found = {row.code: row for row in db.session.scalars(select(model).where(model.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    assert not missing, f"no {model.__tablename__} with code {missing}"
    return [found[c] for c in codes]


@pytest.fixture
def make_application(app: Flask, reference: None) -> Any:
    """Factory: a complete application row, created directly (no intake, no e-mail); returns its id.

    Keyword arguments are model fields (enums or their values), plus `units` (unit codes, default one prison
    of the demo reference data: HELV), `themes` (theme codes) and `partner_id`. The reference is
    `PK-<year>-<n>` with a running number unless given; `submitted_at` defaults to now (UTC).
    """

    def factory(project_name: str = "Vapautuvien vankien asumisen tuki", *, units: tuple[str, ...] = ("HELV",),
                themes: tuple[str, ...] = (), **fields: Any) -> int:
        with app.app_context():
            data: dict[str, Any] = {
                "organisation_name": "Esimerkkiyhdistys ry", "business_id": "1572860-0",
                "applicant_form": ApplicantForm.ASSOCIATION, "contact_name": "Maija Meikäläinen",
                "contact_email": "maija.meikalainen@example.org", "contact_phone": "+358401234567",
                "address": "Esimerkkikatu 1\n00100 Helsinki",
                "description": "Hanke tukee vankilasta vapautuvien asumista ja arjen hallintaa.",
                "need": "Vapautuvilla on vaikeuksia löytää asunto.", "target_groups": "Vapautuvat vangit",
                "planned_start": date(2026, 9, 1), "planned_end": date(2028, 8, 31),
                "funder": Funder.STEA, "funding_round": "STEA 2026", "prison_work": False, "e_services": False,
                "status": ApplicationStatus.RECEIVED, "source": ApplicationSource.WEB, "language": "fi",
                "submitted_at": utcnow(), **fields,
            }
            for key, enum in (("applicant_form", ApplicantForm), ("funder", Funder),
                              ("status", ApplicationStatus), ("source", ApplicationSource)):
                data[key] = enum(data[key])
            if "reference" not in data:
                submitted: datetime = data["submitted_at"]
                count = db.session.scalar(select(func.count()).select_from(Application)) or 0
                data["reference"] = f"PK-{submitted.year}-{count + 1:04d}"
            data.setdefault("access_key", secrets.token_urlsafe(32))
            if data.get("partner_id") is not None:
                data["partner"] = db.session.get(Partner, data.pop("partner_id"))
            application = Application(project_name=project_name, **data)
            application.units = _by_code(Unit, units)
            application.themes = _by_code(Theme, themes)
            db.session.add(application)
            db.session.commit()
            return application.id

    return factory


@pytest.fixture
def working_group_client(client_as: Any) -> FlaskClient:
    """A client signed in as a working-group member (its user is `client.user`)."""
    return client_as("working_group")  # type: ignore[no-any-return]


@pytest.fixture
def make_project(app: Flask, reference: None) -> Any:
    """Factory: a portfolio project created directly (no services); returns its id.

    Keyword arguments are model fields (enums or their values), plus `unit` (code, default HELV), `themes`
    (codes), `responsible_id`, `application_id`, `partner_id` and `follow_ups`: (due date, submitted) pairs.
    Defaults: a running partner project funded by STEA.
    """
    from registry.applications.models import FollowUp, Project, ProjectOwner, ProjectStatus

    def factory(name: str = "Vankilasta vapautuvien asumispolku", *, unit: str = "HELV",
                themes: tuple[str, ...] = (), follow_ups: tuple[tuple[date, bool], ...] = (), **fields: Any) -> int:
        with app.app_context():
            data: dict[str, Any] = {"owner": ProjectOwner.PARTNER, "status": ProjectStatus.RUNNING,
                                    "funder": Funder.STEA, **fields}
            data["owner"], data["status"] = ProjectOwner(data["owner"]), ProjectStatus(data["status"])
            data["funder"] = Funder(data["funder"]) if data["funder"] is not None else None
            (data["unit"],) = _by_code(Unit, (unit,))
            project = Project(name=name, **data)
            project.themes = _by_code(Theme, themes)
            for due, submitted in follow_ups:
                project.follow_ups.append(FollowUp(due_on=due, submitted_at=utcnow() if submitted else None,
                                                   progress="Edistyy suunnitellusti." if submitted else None))
            db.session.add(project)
            db.session.commit()
            return project.id

    return factory
