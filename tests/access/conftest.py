"""Factories for people with access to units (return ids; ORM objects do not outlive their context)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.access.models import (
    Assignment,
    ClearanceKind,
    ClearanceResult,
    Induction,
    Person,
    PersonRole,
    Sanction,
    SecurityClearance,
    Sentence,
    Setting,
    Training,
)
from registry.core.models import Unit, utcnow
from registry.extensions import db
from tests.directory import conftest as directory_fixtures

# The directory factories, shared with tests/directory.
make_partner = directory_fixtures.make_partner
make_contact = directory_fixtures.make_contact
english = directory_fixtures.english


@pytest.fixture(autouse=True)
def document_folder(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """Documents uploaded in a test that uses the app go to its own temporary folder, not the instance folder."""
    folder = tmp_path / "documents"
    if "app" in request.fixturenames:  # pure tests (the rules) need no app
        request.getfixturevalue("app").config["DOCUMENT_FOLDER"] = str(folder)
    return folder


def unit_id(code: str) -> int:
    """The id of a reference unit by its code (inside an app context)."""
    found = db.session.scalar(select(Unit.id).where(Unit.code == code))
    assert found is not None, f"no unit {code}: use the `reference` fixture"
    return found


@pytest.fixture
def make_person(app: Flask) -> Any:
    """Factory: a person; returns its id. Keyword arguments are Person fields (name, role, partner_id …)."""

    def factory(**fields: Any) -> int:
        with app.app_context():
            person = Person(**{"name": "Kalle Kokemus", "role": PersonRole.EXPERT_BY_EXPERIENCE, **fields})
            db.session.add(person)
            db.session.commit()
            return person.id

    return factory


@pytest.fixture
def make_assignment(app: Flask) -> Any:
    """Factory: an assignment of a person at a unit (by code); returns its id. Needs `reference`."""

    def factory(person_id: int, unit: str = "HELV", **fields: Any) -> int:
        with app.app_context():
            assignment = Assignment(**{"person_id": person_id, "unit_id": unit_id(unit),
                                       "setting": Setting.IN_PREMISES, "task": "Vertaisryhmä",
                                       "starts_on": date(2025, 1, 1), **fields})
            db.session.add(assignment)
            db.session.commit()
            return assignment.id

    return factory


@pytest.fixture
def make_sentence(app: Flask) -> Any:
    """Factory: the facts of one sentence of a person; returns its id."""

    def factory(person_id: int, **fields: Any) -> int:
        with app.app_context():
            sentence = Sentence(**{"person_id": person_id, "offence_date": date(2015, 3, 1),
                                   "sanction": Sanction.UNCONDITIONAL_PRISON, "enforcement_start": date(2016, 1, 1),
                                   "left_prison": date(2018, 6, 1), **fields})
            db.session.add(sentence)
            db.session.commit()
            return sentence.id

    return factory


@pytest.fixture
def make_clearance(app: Flask) -> Any:
    """Factory: a security clearance of a person (person_id) or a partner (partner_id); returns its id."""

    def factory(**fields: Any) -> int:
        with app.app_context():
            clearance = SecurityClearance(**{"kind": ClearanceKind.BASIC, "completed_on": date(2025, 1, 10),
                                             "result": ClearanceResult.NO_REMARKS, **fields})
            db.session.add(clearance)
            db.session.commit()
            return clearance.id

    return factory


@pytest.fixture
def make_training(app: Flask) -> Any:
    """Factory: a training of a person, verified (by no user) unless verified=False; returns its id."""

    def factory(person_id: int, *, verified: bool = True, **fields: Any) -> int:
        with app.app_context():
            training = Training(**{"person_id": person_id, "provider": "Valo-Valmennus", "programme": "Keijo",
                                   "completed_on": date(2024, 5, 31), "verified_at": utcnow() if verified else None,
                                   **fields})
            db.session.add(training)
            db.session.commit()
            return training.id

    return factory


@pytest.fixture
def make_induction(app: Flask) -> Any:
    """Factory: an induction of a person into a unit (by code); returns its id. Needs `reference`."""

    def factory(person_id: int, unit: str = "HELV", **fields: Any) -> int:
        with app.app_context():
            induction = Induction(**{"person_id": person_id, "unit_id": unit_id(unit),
                                     "inducted_on": date(2025, 2, 1), "inducted_by": "Vartija Virtanen", **fields})
            db.session.add(induction)
            db.session.commit()
            return induction.id

    return factory
