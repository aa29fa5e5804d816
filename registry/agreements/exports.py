"""Exports of the agreement list as bytes: CSV and XLSX (formula-safe, by the directory's builders) and the
agreement register as a PDF. Views only send what these functions return; the rows are the list's rows
(`queries.agreement_conditions`, the one definition of the list's filters)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..directory.exports import build_csv, build_xlsx, register_fonts
from ..directory.models import Contact, LiaisonRole, LiaisonSide
from ..extensions import db
from ..i18n import format_date, format_datetime
from ..i18n import today as helsinki_today
from . import queries, rules, services
from .models import (
    KIND_LABELS,
    LEVEL_LABELS,
    RENEWAL_LABELS,
    STATUS_LABELS,
    Agreement,
)

MAX_REGISTER_ROWS = 10_000  # a longer register is cut (it would take minutes to build and no one prints it)
WRAP_CACHE = 20_000  # wrapped cell texts kept while one register is laid out
MAX_CELL_LINES = 40  # a register cell longer than this is cut, so that every row fits on a page


# --- the rows -------------------------------------------------------------------------------------


def agreements_for_export(filters: queries.AgreementFilters, limit: int | None = None, *,
                          register: bool = False) -> list[Agreement]:
    """Agreements matching the list's filters, in the list's order (the first `limit`), with what the
    spreadsheets show loaded (`register`: only what the PDF register shows)."""
    stmt = queries.agreements_query(filters, helsinki_today())
    if not register:
        stmt = stmt.options(selectinload(Agreement.themes), selectinload(Agreement.legal_bases),
                            selectinload(Agreement.parent))
    return list(db.session.scalars(stmt.limit(limit) if limit is not None else stmt))


def count_for_export(filters: queries.AgreementFilters) -> int:
    """How many agreements match the list's filters."""
    conditions = queries.agreement_conditions(filters, helsinki_today())
    return db.session.scalar(select(func.count(Agreement.id)).where(*conditions)) or 0


def _liaison_names(agreement_ids: list[int], today: date) -> dict[tuple[int, LiaisonSide], list[str]]:
    """Names of the liaisons current today, by agreement and side (one query per thousand agreements)."""
    names: dict[tuple[int, LiaisonSide], list[str]] = {}
    for start in range(0, len(agreement_ids), 1000):
        rows = db.session.execute(
            select(LiaisonRole.agreement_id, LiaisonRole.side, LiaisonRole.valid_from, LiaisonRole.valid_to,
                   Contact.name).join(Contact, Contact.id == LiaisonRole.contact_id)
            .where(LiaisonRole.agreement_id.in_(agreement_ids[start:start + 1000]))
            .order_by(Contact.name))
        for agreement_id, side, valid_from, valid_to, name in rows:
            current = (valid_from is None or valid_from <= today) and (valid_to is None or today <= valid_to)
            if current and agreement_id is not None:
                names.setdefault((agreement_id, side), []).append(name)
    return names


def _period(agreement: Agreement) -> str:
    if agreement.valid_from is None and agreement.valid_until is None:
        return ""
    until = format_date(agreement.valid_until) if agreement.valid_until else _("open-ended")
    return f"{format_date(agreement.valid_from)} – {until}"


def agreement_rows(agreements: Sequence[Agreement], *, today: date | None = None,
                   ) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the spreadsheet exports, in the current UI language."""
    today = today or helsinki_today()
    liaisons = _liaison_names([a.id for a in agreements], today)
    header = [_("ID"), _("Name in Finnish"), _("Name in Swedish"), _("Name in English"), _("Kind"), _("Level"),
              _("Status"), _("Owner unit"), _("Sanction centres"), _("Parties"), _("Counterpart kind"),
              _("Diary number"), _("Signed"), _("Valid from"), _("Valid until"), _("Renewal"),
              _("Notice period (months)"), _("Notice deadline"), _("Decision deadline"), _("Next review"),
              _("Rise liaison"), _("Partner liaison"), _("Themes"), _("Legal basis"), _("Under the agreement"),
              _("Amends agreement")]
    rows = []
    for a in agreements:
        due = rules.deadlines(services.facts(a, set()), today)
        rows.append([
            str(a.id), a.name_fi, a.name_sv or "", a.name_en or "", str(KIND_LABELS[a.kind]),
            str(LEVEL_LABELS[a.level]), str(STATUS_LABELS[a.status]), a.owner_unit.name(),
            "; ".join(c.name() for c in a.centres), "; ".join(p.name() for p in a.parties),
            a.counterpart_kind.name() if a.counterpart_kind else "", a.dnro or "", format_date(a.signed_on),
            format_date(a.valid_from), format_date(a.valid_until) if a.valid_until else
            (_("open-ended") if a.valid_from else ""), str(RENEWAL_LABELS[a.renewal_type]),
            str(a.notice_months) if a.notice_months is not None else "", format_date(due.notice),
            format_date(due.decision), format_date(due.review),
            "; ".join(liaisons.get((a.id, LiaisonSide.RISE), [])),
            "; ".join(liaisons.get((a.id, LiaisonSide.PARTNER), [])),
            "; ".join(t.name() for t in a.themes), "; ".join(b.code for b in a.legal_bases),
            a.parent.name() if a.parent else "", str(a.amends_id or ""),
        ])
    return header, rows


def agreements_csv(rows: Sequence[Agreement]) -> bytes:
    """The agreements as CSV for Finnish Excel; no cell can run as a formula (the directory's builder)."""
    header, cells = agreement_rows(rows)
    return build_csv(header, cells)


def agreements_xlsx(rows: Sequence[Agreement]) -> bytes:
    """The agreements as an .xlsx workbook of string cells only (the directory's builder)."""
    header, cells = agreement_rows(rows)
    return build_xlsx(_("Agreements"), header, cells)


# --- the filters in words -------------------------------------------------------------------------


def describe_filters(filters: queries.AgreementFilters) -> str:
    """The list's filters as one line of text for the register's heading (empty when none is set)."""
    return "; ".join(f"{label}: {value}" for label, value in queries.filter_labels(filters))


# --- the PDF register -----------------------------------------------------------------------------


def _register_cells(agreements: Iterable[Agreement], today: date) -> Iterable[list[str]]:
    for a in agreements:
        notice = rules.notice_deadline(a.valid_until, a.notice_months)
        yield [a.name(), str(KIND_LABELS[a.kind]), str(LEVEL_LABELS[a.level]), str(STATUS_LABELS[a.status]),
               a.owner_unit.name(), "; ".join(p.name() for p in a.parties), _period(a), format_date(notice)]


def build_register_pdf(agreements: Sequence[Agreement], *, filters_text: str, now: datetime, locale: str,
                       total: int | None = None) -> bytes:
    """The agreement register as an A4 landscape PDF in `locale`: title, the filters (`describe_filters`),
    generation time (Helsinki), the column headers on every page and "page X of Y". `total`, when more than
    the agreements given, says the register shows only the first ones.

    Cells are plain text wrapped here with the font's metrics and given fixed row heights, so the layout
    needs no Paragraphs and no height search: 5,000 agreements take a few seconds and little memory.
    """
    with force_locale(locale):
        header = [_("Name"), _("Kind"), _("Level"), _("Status"), _("Owner unit"), _("Parties"),
                  _("Valid from – until"), _("Notice deadline")]
        title = _("Agreement register")
        texts = {"filters": _("Filters: %(filters)s", filters=filters_text) if filters_text
                 else _("No filters: all agreements"),
                 "generated": _("Generated %(time)s (Finnish time)", time=format_datetime(now)),
                 "count": _("%(n)d agreements", n=len(agreements)) if not total or total <= len(agreements)
                 else _("The first %(n)d of %(total)d agreements: narrow the filters to see the rest.",
                        n=len(agreements), total=total),
                 "empty": _("No agreements match the filters."),
                 "author": _("Prison and Probation Service of Finland")}
        page_label = _("Page %(page)d of %(pages)d", page=999999, pages=888888)
        rows = list(_register_cells(agreements, helsinki_today()))
    return render_register_pdf(title, header, rows, texts=texts, page_label=page_label)


def render_register_pdf(title: str, header: list[str], rows: list[list[str]], *, texts: dict[str, str],
                        page_label: str) -> bytes:
    """Lay out the register; `page_label` is the translated "Page 999999 of 888888" pattern."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_fonts()
    bold = f"{font}-Bold"
    size, leading, pad = 7.5, 9.0, 2.5
    page = landscape(A4)
    margin, top, bottom = 12 * mm, 11 * mm, 13 * mm
    widths = [m * mm for m in (66, 30, 18, 20, 34, 60, 28, 17)]  # 273 mm: the landscape page less margins
    inner = [w - 2 * pad for w in widths]

    wrapped: dict[tuple[str, float, str], list[str]] = {}  # kinds, statuses, units … repeat from row to row

    def wrap(text: str, width: float, font_name: str = font) -> list[str]:
        key = (text, width, font_name)
        lines = wrapped.get(key)
        if lines is None:
            if "\n" not in text and stringWidth(text, font_name, size) <= width:
                lines = [text]  # most cells fit on one line: one measurement instead of one per word
            else:
                lines = []
                for part in text.splitlines() or [""]:
                    lines.extend(simpleSplit(part, font_name, size, width) or [""])
            if len(wrapped) < WRAP_CACHE:
                wrapped[key] = lines
        return lines

    head_lines = [wrap(h, w, bold)[:MAX_CELL_LINES] for h, w in zip(header, inner, strict=True)]
    head_height = max(len(lines) for lines in head_lines) * leading + 2 * pad
    head = ["\n".join(lines) for lines in head_lines]
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), leading), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad - 1), ("BOTTOMPADDING", (0, 0), (-1, -1), pad + 1),
        ("FONTNAME", (0, 0), (-1, 0), bold), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0")),
    ])

    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=11)
    title_style = ParagraphStyle("title", base, fontName=bold, fontSize=16, leading=20, spaceAfter=3)
    small = ParagraphStyle("small", base, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333"))

    def para(text: str, paragraph_style: ParagraphStyle) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(text), paragraph_style)

    intro: list[Any] = [para(title, title_style), para(texts["filters"], small), para(texts["generated"], small),
                        para(texts["count"], small), Spacer(1, 3 * mm)]
    frame_width = page[0] - 2 * margin - 12  # a frame pads 6 pt on each side
    frame_height = page[1] - top - bottom - 12
    # One table per page, cut here: the row heights are known, so no table ever needs splitting (the costly
    # part of a long reportlab table) and the header row starts every page. A little slack absorbs rounding.
    room = frame_height - sum(f.wrap(frame_width, frame_height)[1] + f.getSpaceAfter() for f in intro) - 4
    story: list[Any] = list(intro)
    if not rows:
        story.append(para(texts["empty"], small))
    body: list[list[str]] = [head]
    heights = [head_height]
    used = head_height

    def flush() -> None:
        table = Table(body, colWidths=widths, rowHeights=heights, repeatRows=1)
        table.setStyle(style)
        story.append(table)

    for row in rows:
        cells = [wrap(value, w)[:MAX_CELL_LINES] for value, w in zip(row, inner, strict=True)]
        height = max(len(lines) for lines in cells) * leading + 2 * pad
        if used + height > room and len(body) > 1:
            flush()
            story.append(PageBreak())
            body, heights, used = [head], [head_height], head_height
            room = frame_height - 4
        body.append(["\n".join(lines) for lines in cells])
        heights.append(height)
        used += height
    if len(body) > 1:
        flush()

    footer_left = f"{title} · {texts['generated']}"

    class NumberedCanvas(Canvas):
        """Keeps each page until the end, so the footer can say how many pages there are."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for number, state in enumerate(self._saved_pages, start=1):
                self.__dict__.update(state)
                self.setFont(font, 7.5)
                self.setFillColor(colors.HexColor("#444444"))
                self.drawString(margin, 7 * mm, footer_left)
                self.drawRightString(page[0] - margin, 7 * mm,
                                     page_label.replace("999999", str(number)).replace("888888", str(total)))
                super().showPage()
            super().save()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=page, leftMargin=margin, rightMargin=margin, topMargin=top,
                            bottomMargin=bottom, title=title, author=texts["author"], subject=texts["filters"],
                            creator="registry", initialFontName=font, initialFontSize=9)
    doc.build(story, canvasmaker=NumberedCanvas)
    return out.getvalue()
