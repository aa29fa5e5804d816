"""Agreement demo data: every sanction centre in every state, deadlines and gaps to work on, documents and
history; idempotent; synthetic volume for benchmarks."""

from __future__ import annotations

from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from registry.agreements import rules, scale, services
from registry.agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementLevel,
    AgreementStatus,
    AgreementTransition,
    CounterpartKind,
    RelationKind,
)
from registry.core.documents import document_path
from registry.core.models import AuditEvent, Unit, UnitKind, utcnow
from registry.core.services import scope_unit_ids
from registry.directory.models import LiaisonRole
from registry.extensions import db
from registry.i18n import today as helsinki_today


def _seed(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["seed", "--demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _counts() -> dict[str, int]:
    return {name: db.session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("agreement", Agreement), ("document", AgreementDocument),
                                ("transition", AgreementTransition), ("role", LiaisonRole))}


def test_demo_has_every_centre_in_every_state_with_work_to_do(app, tmp_path):
    app.config["DOCUMENT_FOLDER"] = str(tmp_path)
    output = _seed(app)
    assert "Demo agreements: agreements added" in output
    today, now = helsinki_today(), utcnow()
    with app.app_context():
        before = _counts()
        agreements = db.session.scalars(select(Agreement)).all()
        centres = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE)).all()
        assert len(centres) == 3
        for centre in centres:
            scope = scope_unit_ids(centre)
            mine = [a for a in agreements if a.owner_unit_id in scope or any(c.id == centre.id for c in a.centres)]
            assert {a.status for a in mine} == set(AgreementStatus), centre.code
            assert {AgreementLevel.REGIONAL, AgreementLevel.LOCAL} <= {a.level for a in mine}, centre.code

        sides = services.liaison_sides([a.id for a in agreements], today)
        facts = {a.id: services.facts(a, sides[a.id]) for a in agreements}
        active = [a for a in agreements if a.status.value in rules.ACTIVE]
        assert any(rules.expires_within(a.valid_until, today, 30) for a in active)
        assert any(rules.expires_within(a.valid_until, today, 90) and not rules.expires_within(a.valid_until, today, 30)
                   for a in active)
        notices = [rules.deadlines(facts[a.id], today).notice for a in active]
        assert any(n is not None and today <= n <= today + timedelta(days=30) for n in notices)
        assert any(rules.lacks_liaison(facts[a.id]) for a in agreements)
        assert any(rules.is_stalled(a.status, a.status_changed_at.date(), today) for a in agreements)
        for a in active:  # the daily job would change nothing today: statuses agree with the dates
            assert rules.due_transitions(facts[a.id], today) == []

        kinds = {k.code: k.id for k in db.session.scalars(select(CounterpartKind))}
        covered = {(c.id, a.counterpart_kind_id) for a in agreements for c in a.centres if a.counterpart_kind_id}
        per_centre = [kinds[c] for c in ("kela_district", "police", "prison_education", "debt_enforcement")]
        assert any((c.id, k) not in covered for c in centres for k in per_centre)  # gaps in the matrix
        shared = [a for a in agreements if a.counterpart_kind_id == kinds["kela_district"] and len(a.centres) > 1]
        assert shared  # a Kela district shared by two centres
        assert any(a.regions for a in agreements if a.counterpart_kind_id == kinds["social_welfare"])
        assert any(a.parent is not None and a.parent.level is AgreementLevel.NATIONAL for a in agreements)

        assert {a.relation for a in agreements if a.amends_id} == {RelationKind.AMENDMENT, RelationKind.NEW_VERSION}
        assert all(a.transitions and a.transitions[-1].to_status == a.status for a in agreements
                   if a.level is not AgreementLevel.NATIONAL)
        assert all(a.status_changed_at <= now for a in agreements)
        docs = db.session.scalars(select(AgreementDocument)).all()
        assert any(d.version_no == 2 and d.replaces_id for d in docs) and any(d.confidential for d in docs)
        for doc in docs:
            reader = PdfReader(document_path(doc.document.sha256))
            assert len(reader.pages) == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.object_type == "agreement", AuditEvent.action == "update")), "a readable diff in the history"

    again = _seed(app)
    assert "Demo agreements: agreements added 0, liaison roles added 0, documents added 0" in again
    with app.app_context():
        assert _counts() == before


def test_scale_generates_agreements_once_in_bulk(app, tmp_path):
    app.config["DOCUMENT_FOLDER"] = str(tmp_path)
    output = _seed(app, "--scale", "60")
    assert "Generated agreements (--scale 60: 30): agreements added 30" in output
    with app.app_context():
        assert scale.generated_agreements() == 30
        generated = db.session.scalars(select(Agreement).where(Agreement.dnro.like("GEN-%"))).all()
        assert all(a.transitions and a.transitions[0].to_status == a.status for a in generated)
        today = helsinki_today()
        for a in generated:
            if a.status.value in rules.ACTIVE and a.valid_until is not None:
                assert a.valid_until >= today
            if a.level is not AgreementLevel.NATIONAL:
                assert a.centres and a.parties
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "generate", AuditEvent.object_type == "agreement")) == 1
        total = db.session.scalar(select(func.count(Agreement.id)))
    assert "agreements added 0" in _seed(app, "--scale", "60").split("Generated agreements")[1]
    assert "agreements added 10" in _seed(app, "--scale", "80").split("Generated agreements")[1]
    with app.app_context():
        assert db.session.scalar(select(func.count(Agreement.id))) == total + 10
        # The id sequences were moved past the bulk rows: an ordinary insert still works.
        owner = db.session.scalar(select(Unit).where(Unit.code == "ESRSK"))
        db.session.add(Agreement(name_fi="Uusi sopimus", kind="agreement", level="regional", owner_unit=owner))
        db.session.commit()
