"""A person's data for a data-subject access request (GDPR art. 15): everything stored, as JSON and as PDF.

Both contain the record, its sentences, clearances, trainings, inductions, assignments with assessments
(inputs and results) and directors' decisions, concerns, the documents' details, and the audit trail of who
viewed, exported or changed any part of the record. Views only send what these functions return.
"""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, inspect, or_, select

from ..core.audit import ACTION_LABELS, OBJECT_LABELS, jsonable, label
from ..core.models import AuditEvent, User, utcnow
from ..extensions import db
from ..i18n import format_date, format_datetime
from .assignment_forms import CONCERN_KIND_LABELS, OUTCOME_LABELS
from .forms import CLEARANCE_KIND_LABELS
from .labels import (
    CLEARANCE_RESULT_LABELS,
    CLOSE_PAIR_LABELS,
    DECISION_LABELS,
    REASON_LABELS,
    ROLE_LABELS,
    SANCTION_LABELS,
    SETTING_LABELS,
)
from .models import Person
from .protection import person_documents, person_objects

FORMAT = "registry-person-export/1"


# --- collecting ------------------------------------------------------------------------------------


def _columns(obj: Any, *, skip: Sequence[str] = ()) -> dict[str, Any]:
    """Every stored column of a row (foreign keys included), as JSON values."""
    return {attr.key: jsonable(getattr(obj, attr.key)) for attr in inspect(type(obj)).column_attrs
            if attr.key not in skip}


def _user(user: User | None) -> str | None:
    return f"{user.name} <{user.email}>" if user is not None else None


def audit_trail(person: Person) -> list[AuditEvent]:
    """Every audit event about the person's record and its parts, oldest first."""
    conditions = [and_(AuditEvent.object_type == table, AuditEvent.object_id.in_(sorted(ids)))
                  for table, ids in person_objects(person).items() if ids]
    return list(db.session.scalars(select(AuditEvent).where(or_(*conditions))
                                   .order_by(AuditEvent.at, AuditEvent.id)))


def person_data(person: Person) -> dict[str, Any]:
    """Everything stored about the person, as plain JSON values."""
    data: dict[str, Any] = {"format": FORMAT, "generated_at": jsonable(utcnow())}
    data["person"] = _columns(person)
    data["person"]["partner_name"] = person.partner.name_fi if person.partner else None
    data["trainings"] = [{**_columns(t), "verified_by": _user(t.verified_by)} for t in person.trainings]
    data["security_clearances"] = [_columns(c) for c in person.clearances]
    data["inductions"] = [{**_columns(i), "unit_code": i.unit.code, "unit_name": i.unit.name_fi}
                          for i in person.inductions]
    data["sentences"] = [_columns(s) for s in person.sentences]
    data["assignments"] = [{
        **_columns(a), "unit_code": a.unit.code, "unit_name": a.unit.name_fi,
        "assessments": [{**_columns(x), "run_by": _user(x.run_by)} for x in a.assessments],
        "decisions": [{**_columns(d), "decided_by": _user(d.decided_by)} for d in a.decisions],
    } for a in person.assignments]
    data["concerns"] = [{**_columns(c), "recorded_by": _user(c.recorded_by),
                         "reported_by_partner_name": c.reported_by_partner.name_fi if c.reported_by_partner else None}
                        for c in person.concerns]
    data["documents"] = [_columns(d, skip=("uploaded_by_id",)) for d in person_documents(person)]
    data["audit_trail"] = [{"at": jsonable(e.at), "actor": e.actor_label, "action": e.action,
                            "object_type": e.object_type, "object_id": e.object_id, "note": e.note}
                           for e in audit_trail(person)]
    return data


def build_person_json(person: Person) -> bytes:
    """The data-subject export as UTF-8 JSON (indented, keys in a stable order)."""
    return json.dumps(person_data(person), ensure_ascii=False, indent=2).encode("utf-8")


# --- the PDF ---------------------------------------------------------------------------------------


@dataclass
class Block:
    """One item of a section: a title and its (label, value) lines."""

    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Section:
    """A heading with its items (or a sentence saying there are none)."""

    heading: str
    blocks: list[Block]
    empty: str = ""


def _d(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    return format_date(value) or "–"


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _lbl(mapping: dict[Any, Any], value: Any) -> str:
    if value is None:
        return "–"
    key = value.value if isinstance(value, enum.Enum) else value
    return str(mapping.get(key, key))


def _text(value: Any) -> str:
    return "–" if value in (None, "") else str(value)


def _sections(person: Person) -> list[Section]:
    """The record as readable sections in the current language."""
    p = person
    fee = f"{p.hourly_fee} €/h".replace(".", ",") if p.hourly_fee is not None else "–"
    sections = [Section(_("Person"), [Block(p.name, [
        (_("Record number"), str(p.id)), (_("E-mail address"), _text(p.email)), (_("Phone"), _text(p.phone)),
        (_("Role"), _lbl(ROLE_LABELS, p.role)),
        (_("Organisation"), p.partner.name() if p.partner else "–"),
        (_("Peer role"), _yes(p.peer_role)), (_("Developer role"), _yes(p.developer_role)),
        (_("Hourly fee"), fee), (_("Travel costs paid"), _yes(p.travel_costs_paid)),
        (_("Confidentiality undertaking signed"), _d(p.undertaking_signed_on)),
        (_("Open criminal case"), _yes(p.open_criminal_case)), (_("Notes"), _text(p.notes)),
        (_("Record created"), _d(p.created_at)), (_("Kept until"), _d(p.retention_until)),
    ])])]
    sections.append(Section(_("Sentences"), [Block(_lbl(SANCTION_LABELS, s.sanction), [
        (_("Date of the offence"), _d(s.offence_date)), (_("Enforcement started"), _d(s.enforcement_start)),
        (_("Left prison"), _d(s.left_prison)), (_("Supervision ended"), _d(s.supervision_end)),
        (_("Serious breach during supervision"), _yes(s.serious_breach)), (_("Completed"), _d(s.completed)),
    ]) for s in p.sentences], _("No sentences recorded.")))
    sections.append(Section(_("Security clearances"), [Block(_lbl(CLEARANCE_KIND_LABELS, c.kind), [
        (_("Requested"), _d(c.requested_on)), (_("Consent given"), _d(c.consent_on)),
        (_("Completed"), _d(c.completed_on)), (_("Result"), _lbl(CLEARANCE_RESULT_LABELS, c.result)),
        (_("Valid until"), _d(c.valid_until)), (_("Notes"), _text(c.notes)),
    ]) for c in p.clearances], _("No security clearances recorded.")))
    sections.append(Section(_("Trainings"), [Block(f"{t.programme} ({t.provider})", [
        (_("Completed"), _d(t.completed_on)),
        (_("Verified"), f"{_d(t.verified_at)} {_user(t.verified_by) or ''}".strip() if t.verified else _("no")),
        (_("Evidence document"), t.document.filename if t.document else "–"),
    ]) for t in p.trainings], _("No trainings recorded.")))
    sections.append(Section(_("Inductions"), [Block(i.unit.name(), [
        (_("Inducted on"), _d(i.inducted_on)), (_("Inducted by"), i.inducted_by),
    ]) for i in p.inductions], _("No inductions recorded.")))
    assignment_blocks = []
    for a in p.assignments:
        lines = [(_("Task"), a.task), (_("Setting"), _lbl(SETTING_LABELS, a.setting)),
                 (_("Close pair work"), _lbl(CLOSE_PAIR_LABELS, a.close_pair)), (_("Work pair"), _text(a.pair_name)),
                 (_("Starts"), _d(a.starts_on)), (_("Ends"), _d(a.ends_on))]
        for x in a.assessments:
            result = x.result if isinstance(x.result, dict) else {}
            reasons = "; ".join(_lbl(REASON_LABELS, r) for r in result.get("reasons") or [])
            lines += [(_("Eligibility assessment"), f"{_d(x.run_at)}: {_lbl(DECISION_LABELS, x.decision)}"),
                      (_("Assessment date"), _d(x.as_of)),
                      (_("Eligible from"), _text(result.get("eligible_from"))),
                      (_("Reasons"), reasons or "–"),
                      (_("Engine and parameter versions"), f"{x.engine_version} / {x.parameters_version}"),
                      (_("Run by"), _text(_user(x.run_by))),
                      (_("Inputs"), json.dumps(jsonable(x.inputs), ensure_ascii=False, sort_keys=True))]
        for d in a.decisions:
            lines += [(_("Director's decision"), f"{_d(d.decided_at)}: {_lbl(OUTCOME_LABELS, d.outcome)}"),
                      (_("Conditions"), _text(d.conditions)), (_("Reasoning"), d.reasoning),
                      (_("Decided by"), _text(_user(d.decided_by)))]
        assignment_blocks.append(Block(a.unit.name(), lines))
    sections.append(Section(_("Assignments, assessments and decisions"), assignment_blocks,
                            _("No assignments recorded.")))
    sections.append(Section(_("Concerns"), [Block(_lbl(CONCERN_KIND_LABELS, c.kind), [
        (_("Reported on"), _d(c.reported_on)),
        (_("Reporting organisation"), c.reported_by_partner.name() if c.reported_by_partner else "–"),
        (_("Reporter"), _text(c.reporter_name)), (_("Summary"), _text(c.summary)),
        (_("Recorded by"), _text(_user(c.recorded_by))),
        (_("Open"), _yes(c.open)),
    ]) for c in p.concerns], _("No concerns recorded.")))
    sections.append(Section(_("Documents"), [Block(d.filename, [
        (_("Size"), f"{d.size} B"), (_("Uploaded"), _d(d.uploaded_at)), ("SHA-256", d.sha256),
    ]) for d in person_documents(p)], _("No documents.")))
    trail = [(_d(e.at), f"{label(ACTION_LABELS, e.action)} – {label(OBJECT_LABELS, e.object_type)} "
                        f"{e.object_id or ''} – {e.actor_label}") for e in audit_trail(p)]
    sections.append(Section(_("Who has viewed, exported or changed the record"),
                            [Block("", trail)] if trail else [], _("No events.")))
    return sections


def build_person_pdf(person: Person, locale: str) -> bytes:
    """The data-subject export as an A4 PDF in the given language (DejaVu Sans: Finnish and Swedish letters)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ..directory.exports import register_fonts

    font = register_fonts()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=11)
    styles = {
        "title": ParagraphStyle("title", base, fontName=f"{font}-Bold", fontSize=16, leading=20, spaceAfter=4),
        "h2": ParagraphStyle("h2", base, fontName=f"{font}-Bold", fontSize=12.5, leading=15, spaceBefore=10,
                             spaceAfter=4),
        "h3": ParagraphStyle("h3", base, fontName=f"{font}-Bold", fontSize=10, leading=12, spaceBefore=5,
                             spaceAfter=2),
        "small": ParagraphStyle("small", base, fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
        "cell": base,
    }

    def para(text: str, style: str = "cell") -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), styles[style])

    def lines_table(lines: list[tuple[str, str]]) -> Table:
        table = Table([[para(k), para(v)] for k, v in lines], colWidths=[55 * mm, 119 * mm])
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0")),
        ]))
        return table

    with force_locale(locale):
        title = _("Data stored about a person: record %(id)d", id=person.id)
        story: list[Any] = [para(title, "title"),
                            para(_("Printed %(date)s. Prison and Probation Service of Finland, cooperation "
                                   "registry.", date=format_datetime(utcnow())), "small"),
                            Spacer(1, 4 * mm)]
        for section in _sections(person):
            story.append(para(section.heading, "h2"))
            if not section.blocks:
                story.append(para(section.empty, "small"))
            for block in section.blocks:
                parts: list[Any] = [para(block.title, "h3")] if block.title else []
                if block.lines:
                    parts.append(lines_table(block.lines))
                if len(block.lines) < 30:  # a long block (the audit trail) may break across pages
                    story.append(KeepTogether(parts))
                else:
                    story.extend(parts)
        page_label = _("Page")
        author = _("Prison and Probation Service of Finland")

        def footer(canvas: Any, doc: Any) -> None:
            canvas.saveState()
            canvas.setFont(font, 7.5)
            canvas.drawString(18 * mm, 10 * mm, title)
            canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{page_label} {doc.page}")
            canvas.restoreState()

        out = io.BytesIO()
        doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                bottomMargin=18 * mm, title=title, author=author, creator="registry",
                                initialFontName=font, initialFontSize=9)
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
