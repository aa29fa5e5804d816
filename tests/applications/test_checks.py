"""The automatic checks of an application and its possible duplicates (policy §8.2; DOMAIN §5.1 step 10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from registry.applications import checks, intake
from registry.applications.models import (
    Application,
    ApplicationSource,
    Project,
    ProjectOwner,
    ProjectStatus,
)
from registry.core.models import Unit, utcnow
from registry.directory.models import Partner
from registry.extensions import db

HOUSING = ("Vapautuvien vankien asumisen tuki",
           "Hanke tukee vankilasta vapautuvien asumista, asunnon hakemista ja arjen hallintaa.")


def _checks(app: Flask, application_id: int) -> dict[str, Any]:
    with app.test_request_context(), force_locale("en"):
        application = db.session.get(Application, application_id)
        return {c.code: (c.outcome, str(c.message), c.rule) for c in checks.run_checks(application)}


def test_an_eligible_application_passes_with_citations(app, make_application):
    found = _checks(app, make_application(need="Tarve on suuri."))
    assert list(found) == ["applicant_eligibility", "need", "unit_cooperation", "prison_work", "e_services",
                           "partner_match"]
    assert found["applicant_eligibility"][0] == "ok"
    assert found["unit_cooperation"][:2] == ("ok", "Cooperation is planned with 1 Rise unit.")
    assert found["prison_work"][0] == found["e_services"][0] == found["need"][0] == "ok"
    assert all("8.2 §" in rule for _outcome, _message, rule in found.values())


def test_a_company_is_flagged_ineligible_with_the_rule_shown(app, make_application):
    found = _checks(app, make_application(applicant_form="company", organisation_name="Voitto Oy"))
    outcome, message, rule = found["applicant_eligibility"]
    assert outcome == "fail" and "for-profit companies" in message
    assert rule == "Sidosryhmäyhteistyön linjaukset 8.2 §, kriteerit 1–2"


def test_no_units_prison_work_and_e_services(app, make_application):
    found = _checks(app, make_application(units=(), prison_work=True, e_services=True, need=None))
    assert found["unit_cooperation"][0] == "fail"
    assert found["prison_work"][0] == "attention" and "security clearance" in found["prison_work"][1]
    assert found["e_services"][0] == "attention" and "experts" in found["e_services"][1]
    assert found["need"][0] == "attention"
    assert found["partner_match"][0] == "attention"  # made directly, without intake: no partner linked


def _intake(app: Flask, **fields: Any) -> int:
    with app.test_request_context():
        unit = db.session.scalars(select(Unit).where(Unit.code == "HELV")).one()
        data = {"organisation_name": "Esimerkkiyhdistys ry", "applicant_form": "association",
                "business_id": "1572860-0", "contact_name": "M", "contact_email": "m@example.org",
                "project_name": HOUSING[0], "description": HOUSING[1], "funder": "stea", "unit_ids": [unit.id],
                **fields}
        application = intake.submit_application(data, source=ApplicationSource.WEB, language="fi")
        db.session.commit()
        return application.id


def test_partner_matched_by_business_id(app, reference, make_partner):
    partner_id = make_partner("Esimerkkiyhdistys ry", business_id="1572860-0")
    application_id = _intake(app, organisation_name="Esimerkkiyhdistys")
    found = _checks(app, application_id)
    assert found["partner_match"][:2] == ("ok", "Matched to the partner “Esimerkkiyhdistys ry” by business ID.")
    with app.app_context():
        assert db.session.get(Application, application_id).partner_id == partner_id
        assert db.session.scalar(select(db.func.count()).select_from(Partner)) == 1


def test_a_merged_partner_is_followed_to_the_survivor(app, reference, make_partner):
    survivor = make_partner("Yhdistetty ry")
    make_partner("Vanha ry", business_id="1572860-0", merged_into_id=survivor)
    with app.app_context():
        assert db.session.get(Application, _intake(app)).partner_id == survivor


def test_a_new_applicant_becomes_a_pending_partner(app, reference):
    application_id = _intake(app, organisation_name="Uusi Polku ry", business_id="0737546-2",
                             applicant_form="foundation")
    found = _checks(app, application_id)
    assert found["partner_match"][0] == "info" and "pending partner" in found["partner_match"][1]
    with app.app_context():
        application = db.session.get(Application, application_id)
        partner = application.partner
        assert partner.active is False and partner.business_id == "0737546-2"
        assert partner.category.value == "foundation" and partner.name_fi == "Uusi Polku ry"
        assert application.reference in partner.notes
    # A second application of the same organisation reuses the pending partner.
    second = _intake(app, organisation_name="Uusi Polku sr", business_id="0737546-2", project_name="Toinen")
    with app.app_context():
        assert db.session.get(Application, second).partner_id == partner.id
        assert db.session.scalar(select(db.func.count()).select_from(Partner)) == 1


def test_without_business_id_an_exact_name_matches(app, reference, make_partner):
    partner_id = make_partner("Nimellä Löytyvä ry")
    application_id = _intake(app, organisation_name="nimellä löytyvä ry", business_id=None)
    with app.app_context():
        assert db.session.get(Application, application_id).partner_id == partner_id
    assert _checks(app, application_id)["partner_match"][:2] == ("ok", "Linked to the partner “Nimellä Löytyvä ry”.")


def test_a_private_person_is_not_entered_in_the_directory(app, reference):
    application_id = _intake(app, applicant_form="private_person", business_id=None, organisation_name="Maija M")
    found = _checks(app, application_id)
    assert found["partner_match"][0] == "info" and found["applicant_eligibility"][0] == "fail"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Partner)) == 0


# --- possible duplicates ------------------------------------------------------------------------------------


@pytest.fixture
def make_project(app: Flask, reference: None) -> Any:
    def factory(name: str, description: str = "", *, owner: ProjectOwner = ProjectOwner.RISE,
                partner_id: int | None = None, application_id: int | None = None) -> int:
        with app.app_context():
            unit = db.session.scalars(select(Unit).where(Unit.code == "HELV")).one()
            project = Project(owner=owner, name=name, description=description, status=ProjectStatus.RUNNING,
                              unit=unit, partner_id=partner_id, application_id=application_id)
            db.session.add(project)
            db.session.commit()
            return project.id

    return factory


def _duplicates(app: Flask, application_id: int, limit: int = 5) -> list[checks.Duplicate]:
    with app.test_request_context():
        return checks.possible_duplicates(db.session.get(Application, application_id), limit=limit)


def test_duplicates_are_ranked_by_similarity(app, make_application, make_project, make_partner):
    target = make_application(*HOUSING[:1], description=HOUSING[1])
    close = make_application("Vapautuvan vangin asumisen tukeminen", organisation_name="Toinen ry",
                             description="Tuemme vankilasta vapautuvien asumista, asunnon hakemista ja arjen "
                                         "hallintaa.")
    middle = make_application("Vankien asumisen ohjaus", organisation_name="Kolmas ry",
                              description="Ohjausta asumiseen.")
    make_application("Kokemusasiantuntijat päihdetyössä", organisation_name="Neljäs ry",
                     description="Kokemusasiantuntijoiden koulutus päihdetyöhön.")
    own = make_project("Asumisen tuki vapautuville vangeille", "Rikosseuraamuslaitoksen oma asumishanke.")
    partner = make_partner("Asuntosäätiö sr")
    partners = make_project("Vapautuvien asuminen", "Asunnon hakemisen tuki vapautuville.",
                            owner=ProjectOwner.PARTNER, partner_id=partner)
    found = _duplicates(app, target)
    ids = [(d.kind, d.id) for d in found]
    assert ("application", target) not in ids  # never itself
    assert ids[0] == ("application", close)
    assert ("application", middle) in ids and ("project", own) in ids and ("project", partners) in ids
    assert ids.index(("application", close)) < ids.index(("application", middle))
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)
    assert all(checks.MIN_SCORE <= d.score <= 1 for d in found)
    assert not any(d.title == "Kokemusasiantuntijat päihdetyössä" for d in found)  # unrelated: left out
    by_id = {(d.kind, d.id): d for d in found}
    assert by_id[("application", close)].organisation == "Toinen ry"
    assert by_id[("application", close)].url.endswith(f"/applications/{close}")
    assert by_id[("project", own)].organisation  # "Rise's own project", translated
    assert by_id[("project", partners)].organisation == "Asuntosäätiö sr"
    assert by_id[("project", own)].url.endswith(f"/portfolio/{own}")
    assert len(_duplicates(app, target, limit=2)) == 2


def test_an_identical_application_from_another_applicant_scores_one(app, make_application):
    first = make_application(HOUSING[0], description=HOUSING[1])
    second = make_application(HOUSING[0], description=HOUSING[1], organisation_name="Kopio ry")
    (duplicate,) = _duplicates(app, second, limit=1)
    assert (duplicate.id, duplicate.score) == (first, 1.0)


def test_the_project_made_from_the_application_itself_is_not_a_duplicate(app, make_application, make_project):
    target = make_application(HOUSING[0], description=HOUSING[1])
    make_project(HOUSING[0], HOUSING[1], owner=ProjectOwner.PARTNER, application_id=target)
    assert _duplicates(app, target) == []


def test_old_applications_are_not_candidates(app, make_application):
    make_application(HOUSING[0], description=HOUSING[1], submitted_at=utcnow() - timedelta(days=4 * 365))
    target = make_application(HOUSING[0], description=HOUSING[1])
    assert _duplicates(app, target) == []


def test_duplicates_need_few_queries(app, make_application, make_project, count_queries):
    target = make_application(HOUSING[0], description=HOUSING[1])
    for n in range(30):
        make_application(f"Hanke {n} vankien asumisen tuki", description="Asumisen tukea.")
    with app.test_request_context():
        application = db.session.get(Application, target)
        with count_queries() as statements:
            found = checks.possible_duplicates(application)
    assert len(found) == 5 and len(statements) <= 2
