"""Project-partnership demo data (`registry seed --demo`): applications in every state, three reviewers' scores,
statement letters, a likely duplicate pair, the portfolio with follow-ups submitted and overdue, an evaluated
project and Rise's own projects; a second run adds nothing."""

from __future__ import annotations

from pypdf import PdfReader
from sqlalchemy import func, select

from registry.applications import checks, portfolio
from registry.applications.models import (
    ApplicantForm,
    Application,
    ApplicationStatus,
    FollowUp,
    Project,
    ProjectOwner,
    ProjectStatus,
    Review,
    StatementKind,
)
from registry.core.documents import document_path
from registry.core.models import User
from registry.extensions import db
from registry.i18n import today as helsinki_today


def _seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Application, Review, Project, FollowUp)}


def test_demo_covers_every_state_and_loads_twice_without_duplicates(app, tmp_path):
    app.config["DOCUMENT_FOLDER"] = str(tmp_path)
    output = _seed(app)
    assert "applications added 16" in output and "letters added 8" in output
    assert "pekka.puolto@demo.rise.example" in output  # the second and third reviewers can sign in
    today = helsinki_today()
    with app.app_context():
        before = _counts()
        applications = db.session.scalars(select(Application)).all()
        assert {a.status for a in applications} == set(ApplicationStatus)
        assert len({a.project_name for a in applications}) == len(applications)
        received = [a for a in applications if a.status is ApplicationStatus.RECEIVED]
        assert len(received) >= 2  # new ones waiting for their checks
        company = next(a for a in applications if a.applicant_form is ApplicantForm.COMPANY)
        assert {c.code: c.outcome for c in checks.run_checks(company)}["applicant_eligibility"] == "fail"
        pending = [a for a in applications if a.partner is not None and not a.partner.active]
        assert pending and all(a.reference in (a.partner.notes or "") for a in pending)

        # A likely duplicate pair: each finds the other first.
        pair = [a for a in applications if "tukipolku" in a.project_name.lower()]
        assert len(pair) == 2
        found = checks.possible_duplicates(pair[0])
        assert found and found[0].kind == "application" and found[0].id == pair[1].id

        # Three reviewers scored the reviewed ones against the seeded criteria; one review is still a draft.
        reviewed = [a for a in applications if a.statement is not None]
        assert all(len([r for r in a.reviews if r.submitted_at]) == 3 for a in reviewed)
        assert all(len(r.scores) == len(r.criteria_version.criteria) for a in reviewed for r in a.reviews)
        assert any(r.submitted_at is None for a in applications for r in a.reviews)
        assert {a.statement for a in reviewed} >= {StatementKind.FAVOURABLE, StatementKind.CONDITIONAL}
        for application in reviewed:
            letter = PdfReader(document_path(application.letter_document.sha256))
            text = " ".join(page.extract_text() for page in letter.pages)
            assert application.reference in text and application.project_name[:20] in " ".join(text.split())
        assert any(a.language == "sv" for a in reviewed)

        projects = db.session.scalars(select(Project)).all()
        assert {p.status for p in projects} == set(ProjectStatus)
        assert {p.owner for p in projects} == set(ProjectOwner)
        assert all(p.application is not None for p in projects if p.owner is ProjectOwner.PARTNER)
        assert all(p.responsible is not None for p in projects)
        evaluated = next(p for p in projects if p.status is ProjectStatus.EVALUATED)
        assert evaluated.recommendation and evaluated.evaluation_outputs and evaluated.evaluation_wider_use
        assert evaluated.application.status is ApplicationStatus.EVALUATED
        ended = next(p for p in projects if p.status is ProjectStatus.ENDED)
        assert ended.evaluated_at is None and all(f.due_on <= ended.ends_on for f in ended.follow_ups)
        assert any(f.submitted_at for p in projects for f in p.follow_ups)
        overdue = portfolio.overdue_follow_ups(today)
        assert overdue and all(f.project.status in (ProjectStatus.RUNNING, ProjectStatus.ENDED) for f in overdue)
        # The staff demo user is a responsible person with an overdue follow-up on their dashboard.
        sami = db.session.scalar(select(User).where(User.email == "sami.sihvonen@demo.rise.example"))
        assert portfolio.dashboard_panel(sami, today).mine
        for project in projects:  # what the daily job would compute is what the demo stored
            expected = project.next_follow_up_on
            assert portfolio.schedule(project, today) == expected, project.name
        db.session.rollback()

    again = _seed(app)
    assert "applications added 0, reviews added 0, letters added 0, projects added 0, follow-ups added 0" in again
    with app.app_context():
        assert _counts() == before
