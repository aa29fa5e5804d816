"""The statement letter (lausunto / utlåtande) of the project-partnership working group as a PDF (DOMAIN §5.1
step 3): the applicant can attach it to its funding application. Finnish or Swedish by the applicant's language,
English on request."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import force_locale
from flask_babel import gettext as _

from ..directory.exports import register_fonts
from ..i18n import format_date
from .models import STATEMENT_LABELS, Application

LETTERHEAD = "Rikosseuraamuslaitos / Brottspåföljdsmyndigheten"  # the agency's name in both official languages
PLACE = {"fi": "Helsinki", "sv": "Helsingfors", "en": "Helsinki"}  # where the letter is dated


def _paragraphs(text: str, style: Any) -> list[Any]:
    from reportlab.platypus import Paragraph

    return [Paragraph(escape(part).replace("\n", "<br/>"), style) for part in text.strip().split("\n\n") if part]


def render_statement_pdf(application: Application, *, language: str, summary: Any = None) -> bytes:
    """The letter as an A4 PDF in `language` (fi, sv or en): letterhead, diary number, date in Helsinki,
    addressee, project, the statement, justification, conditions, the criteria summary and the signatory."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from .queries import format_score, letter_date
    from .services import signatory_lines, summary_for

    language = language if language in PLACE else "fi"
    font = register_fonts()
    bold = f"{font}-Bold"
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=14, spaceAfter=6)
    head = ParagraphStyle("head", base, fontName=bold, fontSize=13, leading=16, spaceAfter=2)
    small = ParagraphStyle("small", base, fontSize=9, leading=12, spaceAfter=0)
    h2 = ParagraphStyle("h2", base, fontName=bold, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4)
    statement_style = ParagraphStyle("statement", base, fontName=bold, fontSize=12, leading=16)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text), style)

    with force_locale(language):
        summary = summary if summary is not None else summary_for(application)
        title = _("Statement")
        meeting = application.statement_meeting
        story: list[Any] = []
        left = [p(LETTERHEAD, head), p(_("Project-partnership working group"), small)]
        right = [p(title.upper(), head),
                 p(f"{_('Diary number')}: {application.dnro or '—'}", small),
                 p(f"{_('Reference')}: {application.reference}", small),
                 p(f"{PLACE[language]} {letter_date(application)}", small)]
        top = Table([[left, right]], colWidths=[105 * mm, 65 * mm])
        top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#1f4e79")),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        story += [top, Spacer(1, 8 * mm)]
        addressee = [application.organisation_name, application.contact_name,
                     *[line for line in (application.address or "").splitlines() if line.strip()]]
        story += [p(line, small) for line in addressee] + [Spacer(1, 8 * mm)]
        story.append(p(_("Statement on the project-partnership application: %(project)s",
                         project=application.project_name), h2))
        intro = _("The project-partnership working group of the Prison and Probation Service of Finland has "
                  "handled the application %(reference)s of %(organisation)s, received on %(received)s.",
                  reference=application.reference, organisation=application.organisation_name,
                  received=format_date(application.submitted_at))
        if meeting is not None:
            intro += " " + _("The statement was decided in the working group's meeting on %(date)s (%(title)s).",
                             date=format_date(meeting.held_on), title=meeting.title)
        story.append(p(intro))
        if application.statement is not None:
            story.append(p(f"{_('Statement')}: {STATEMENT_LABELS[application.statement]}", statement_style))
        if application.statement_justification:
            story += [p(_("Justification"), h2), *_paragraphs(application.statement_justification, base)]
        if application.statement_conditions:
            story += [p(_("Conditions"), h2), *_paragraphs(application.statement_conditions, base)]
        story += _criteria_table(summary, p, h2, small, font, bold, format_score)
        story.append(p(_("The statement is not a funding decision: funding is applied for from the funder in a "
                         "separate process. Decisions on project cooperation are made under the rules of "
                         "procedure of the Prison and Probation Service."), small))
        signature = [Spacer(1, 10 * mm)] + [p(line) for line in signatory_lines(application)] + \
            [p(_("Project-partnership working group"), small)]
        story.append(KeepTogether(signature))
        out = io.BytesIO()
        doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=22 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                bottomMargin=18 * mm, title=f"{title} {application.reference}",
                                author=LETTERHEAD, subject=application.project_name, creator="registry",
                                lang=language)
        doc.build(story)
    return out.getvalue()


def _criteria_table(summary: Any, p: Any, h2: Any, small: Any, font: str, bold: str, fmt: Any) -> list[Any]:
    """The criteria summary of the main group of reviews (criterion, weight, mean score, weighted)."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    group = summary.main
    if group is None:
        return []
    rows: list[list[Any]] = [[p(_("Criterion"), small), p(_("Weight"), small), p(_("Mean score"), small),
                              p(_("Weighted"), small)]]
    for c in group.criteria:
        rows.append([p(c.name, small), fmt(c.weight), f"{fmt(c.mean)} ({c.scale_min}–{c.scale_max})",
                     fmt(c.weighted)])
    rows.append([p(_("Total"), small), "", f"{fmt(group.total)} / 100", fmt(group.weighted_sum)])
    table = Table(rows, colWidths=[84 * mm, 22 * mm, 34 * mm, 30 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("FONTNAME", (0, 0), (-1, 0), bold), ("FONTNAME", (0, -1), (-1, -1), bold),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0")),
    ]))
    note = _("%(n)d reviews by working-group members; scores on each criterion's scale, the total on 0–100.",
             n=group.review_count)
    return [p(_("Criteria summary"), h2), table, p(note, small)]
