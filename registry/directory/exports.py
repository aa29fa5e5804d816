"""Exports of the directory as bytes: CSV and XLSX lists, a contact's vCard, a sanction centre's PDF directory,
and the public open-data SQLite file. Views only send what these functions return."""

from __future__ import annotations

import csv
import io
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from ..core.models import Region, Unit, utcnow
from ..core.services import scope_unit_ids
from ..extensions import db
from ..i18n import format_date
from .models import (
    CATEGORY_LABELS,
    LEVEL_LABELS,
    Contact,
    Partner,
    partner_region,
)
from .queries import PartnerFilters as Filters
from .queries import partner_conditions
from .services import format_phone
from .transfer import CONTACT_FIELDS, PARTNER_FIELDS

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
CSV_DELIMITER = ";"  # Finnish Excel uses ; as the list separator (the decimal separator is a comma)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UID_NAMESPACE = uuid.UUID("3f7c1f0e-5b1a-4c55-9a47-6d1f3b2a9e10")  # stable vCard UIDs for our contacts


# --- queries -----------------------------------------------------------------------------------------


def _partner_filter(stmt: Select[Any], filters: Filters) -> Select[Any]:
    """The list filters (category, level, region code, theme code) on a statement that involves Partner."""
    return stmt.where(*partner_conditions(filters))


def partners_for_export(filters: Filters) -> list[Partner]:
    """Partners matching the list filters (merged duplicates never), regions and themes loaded."""
    stmt = select(Partner).where(Partner.merged_into_id.is_(None)).options(
        selectinload(Partner.regions), selectinload(Partner.themes)).order_by(Partner.name_fi, Partner.id)
    if filters.active is not None:
        stmt = stmt.where(Partner.active.is_(filters.active))
    return list(db.session.scalars(_partner_filter(stmt, filters)))


def contacts_for_export(filters: Filters) -> list[Contact]:
    """Contacts matching the list filters; partner filters keep contacts of matching partners only."""
    stmt = select(Contact).options(selectinload(Contact.partner), selectinload(Contact.unit),
                                   selectinload(Contact.keywords)).order_by(Contact.name, Contact.id)
    if filters.active is not None:
        stmt = stmt.where(Contact.active.is_(filters.active))
    if filters.partner_filters:
        stmt = stmt.where(Contact.partner_id.in_(_partner_filter(select(Partner.id), filters)))
    return list(db.session.scalars(stmt))


# --- spreadsheets ------------------------------------------------------------------------------------


def csv_cell(value: str) -> str:
    """A text cell that cannot run as a formula in a spreadsheet: risky first characters get an apostrophe.

    Excel, LibreOffice and Google Sheets start a formula at =, + , - or @ (and some strip a leading tab or
    CR first), so such a cell is written as '=… — spreadsheets show it as text and never evaluate it.
    """
    stripped = value.lstrip(" \u00a0")
    if value.startswith(FORMULA_START) or stripped.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_phone(e164: str | None) -> str:
    """A stored phone number for CSV in the display form.

    Finnish numbers are shown nationally (040 123 4567): they start with 0, so they are safe and readable
    as they are, and the space keeps Excel from turning them into a number without the leading zero.
    Foreign numbers are shown as +46 8 123 456 78. A cell that starts with + is read as a formula by Excel
    (Lotus heritage: +1 2 becomes =+1 2, an #NULL! error with spaces between the groups), so such a number
    gets the same apostrophe as any other risky cell: the number stays readable and is kept as text.
    The display form only ever contains +, digits and spaces, so it can never carry a formula payload.
    """
    return csv_cell(format_phone(e164))


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def partner_rows(partners: Iterable[Partner]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the partner list (headers are the import's field names, so a file can be re-read)."""
    header = [str(PARTNER_FIELDS[k]) for k in ("name_fi", "name_sv", "name_en", "business_id", "category",
                                               "legal_form", "level", "website", "regions", "themes")]
    header.append(_("Active"))
    rows = [[p.name_fi, p.name_sv or "", p.name_en or "", p.business_id or "", str(CATEGORY_LABELS[p.category]),
             p.legal_form or "", str(LEVEL_LABELS[p.level]), p.website or "",
             "; ".join(r.name() for r in p.regions), "; ".join(t.name() for t in p.themes), _yes_no(p.active)]
            for p in partners]
    return header, rows


PHONE_COLUMNS = (3, 4)  # phone and mobile in contact_rows


def contact_rows(contacts: Iterable[Contact]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the contact list; phones stay E.164 here and are formatted per output."""
    header = [str(CONTACT_FIELDS[k]) for k in ("name", "title", "email", "phone", "mobile", "keywords",
                                               "partner_name", "partner_business_id", "unit_code", "public")]
    header += [_("Rise unit"), _("Active"), _("Last confirmed")]
    rows: list[list[Any]] = []
    for c in contacts:
        rows.append([c.name, c.title or "", c.email or "", c.phone, c.mobile, ", ".join(k.name for k in c.keywords),
                     c.partner.name_fi if c.partner else "", c.partner.business_id or "" if c.partner else "",
                     c.unit.code if c.unit else "", _yes_no(c.public), c.unit.name() if c.unit else "",
                     _yes_no(c.active), format_date(c.last_confirmed_at)])
    return header, rows


def build_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], phone_columns: Sequence[int] = ()) -> bytes:
    """CSV as Finnish Excel opens it: UTF-8 with BOM, ; between cells, CRLF lines; no cell runs as a formula."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_phone(v) if i in phone_columns else csv_cell(str(v or ""))
                         for i, v in enumerate(row)])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def build_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
               phone_columns: Sequence[int] = ()) -> bytes:
    """An .xlsx workbook where every cell is a string cell (type s): nothing is ever a formula.

    Cells that look like formulas also get Excel's quote prefix, so editing one later keeps it text.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"

    def cell(value: str, *, bold: bool = False) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value)
        c.data_type = "s"  # openpyxl would make "=…" a formula; force a string cell
        if value.lstrip(" \u00a0").startswith(FORMULA_START):
            c.quotePrefix = True
        if bold:
            c.font = Font(bold=True)
        return c

    sheet.append([cell(h, bold=True) for h in header])
    for row in rows:
        sheet.append([cell(format_phone(v) if i in phone_columns else str(v or "")) for i, v in enumerate(row)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- vCard -------------------------------------------------------------------------------------------


def vcard_escape(value: str) -> str:
    """Escape a text value per RFC 6350 §3.4: backslash, comma, semicolon and newlines."""
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 §3.2) without splitting a UTF-8 character."""
    parts, current, size = [], "", 0
    for char in line:
        length = len(char.encode("utf-8"))
        if size + length > 75:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += length
    parts.append(current)
    return "\r\n".join(parts)


def _stamp(value: datetime | None) -> str:
    return (value or utcnow()).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def build_vcard(contact: Contact) -> bytes:
    """A vCard 4.0 of the contact: FN, N, ORG, TITLE, EMAIL, TEL (E.164 tel: URIs), CATEGORIES, REV."""
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"UID:urn:uuid:{uuid.uuid5(UID_NAMESPACE, f'contact/{contact.id}')}"]
    lines.append(f"FN:{vcard_escape(contact.name)}")
    if contact.kind.value == "person":
        given, _space, family = contact.name.rpartition(" ")
        lines.append(f"N:{vcard_escape(family)};{vcard_escape(given)};;;")
    else:
        lines.append("KIND:group")  # a theme or task mailbox, not a person
    if contact.partner is not None:
        lines.append(f"ORG:{vcard_escape(contact.partner.name_fi)}")
    elif contact.unit is not None:
        lines.append(f"ORG:{vcard_escape(_('Prison and Probation Service of Finland'))};"
                     f"{vcard_escape(contact.unit.name())}")
    if contact.title:
        lines.append(f"TITLE:{vcard_escape(contact.title)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=work:{vcard_escape(contact.email)}")
    if contact.phone:
        lines.append(f"TEL;VALUE=uri;TYPE=work,voice:tel:{contact.phone}")
    if contact.mobile:
        lines.append(f"TEL;VALUE=uri;TYPE=cell:tel:{contact.mobile}")
    if contact.keywords:
        lines.append("CATEGORIES:" + ",".join(vcard_escape(k.name) for k in contact.keywords))
    lines.append(f"REV:{_stamp(contact.last_confirmed_at or contact.created_at)}")
    lines.append("END:VCARD")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


# --- PDF directory of a sanction centre ---------------------------------------------------------------


@dataclass
class CentreDirectory:
    """What the PDF directory of a sanction centre lists."""

    centre: Unit
    units: list[tuple[Unit, list[Contact]]]
    regions: list[Region]
    partners: list[tuple[Partner, list[Contact]]]


def centre_directory(centre: Unit) -> CentreDirectory:
    """Active contacts of the centre and its units, and active partners serving its regions with contacts."""
    ids = scope_unit_ids(centre)
    units = sorted(db.session.scalars(select(Unit).where(Unit.id.in_(ids))),
                   key=lambda u: (u.id != centre.id, u.kind.value, u.name_fi))
    contacts = db.session.scalars(select(Contact).where(Contact.unit_id.in_(ids), Contact.active.is_(True))
                                  .order_by(Contact.kind, Contact.name))
    by_unit: dict[int, list[Contact]] = {}
    for contact in contacts:
        by_unit.setdefault(contact.unit_id or 0, []).append(contact)
    regions = list(db.session.scalars(select(Region).where(Region.sanction_centre_id == centre.id)
                                      .order_by(Region.name_fi)))
    partners = db.session.scalars(
        select(Partner).where(Partner.active.is_(True), Partner.merged_into_id.is_(None),
                              Partner.id.in_(select(partner_region.c.partner_id)
                                             .where(partner_region.c.region_id.in_([r.id for r in regions]))))
        .options(selectinload(Partner.contacts)).order_by(Partner.name_fi)).all()
    return CentreDirectory(centre, [(u, by_unit.get(u.id, [])) for u in units], regions,
                           [(p, [c for c in p.contacts if c.active]) for p in partners])


_font_lock = threading.Lock()


def register_fonts() -> str:
    """Register DejaVu Sans (shipped in static/fonts: covers Finnish, Swedish and Sámi letters) once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _font_lock:
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_DIR / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf")))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                          italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
    return "DejaVuSans"


def build_centre_pdf(directory: CentreDirectory, *, now: datetime) -> bytes:
    """The contact directory of a sanction centre as an A4 PDF, in the current UI language."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_fonts()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=11)
    styles = {
        "title": ParagraphStyle("title", base, fontName=f"{font}-Bold", fontSize=17, leading=21, spaceAfter=4),
        "h2": ParagraphStyle("h2", base, fontName=f"{font}-Bold", fontSize=13, leading=16, spaceBefore=10,
                             spaceAfter=4),
        "h3": ParagraphStyle("h3", base, fontName=f"{font}-Bold", fontSize=10.5, leading=13, spaceBefore=6,
                             spaceAfter=2),
        "small": ParagraphStyle("small", base, fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
        "cell": base,
    }
    title = _("Contact directory: %(centre)s", centre=directory.centre.name())

    def para(text: str, style: str = "cell") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    def contact_table(contacts: list[Contact]) -> Table | Paragraph:
        if not contacts:
            return para(_("No contacts."), "small")
        head = [para(_("Name and title")), para(_("Phone")), para(_("E-mail address"))]
        body = [[Paragraph("<br/>".join(escape(t) for t in (c.name, c.title) if t), styles["cell"]),
                 Paragraph("<br/>".join(escape(format_phone(p)) for p in (c.phone, c.mobile) if p), styles["cell"]),
                 para(c.email or "")] for c in contacts]
        table = Table([head, *body], colWidths=[75 * mm, 40 * mm, 60 * mm], repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0")),
        ]))
        return table

    story: list[Any] = [para(title, "title"),
                        para(_("Printed %(date)s", date=format_date(now)), "small"), Spacer(1, 4 * mm),
                        para(_("Rise units"), "h2")]
    for unit, contacts in directory.units:
        story.append(KeepTogether([para(unit.name(), "h3"), contact_table(contacts)]))
    story.append(para(_("Partners in the centre's regions"), "h2"))
    if directory.regions:
        story.append(para(", ".join(r.name() for r in directory.regions), "small"))
    if not directory.partners:
        story.append(para(_("No partners serve these regions yet."), "small"))
    for partner, contacts in directory.partners:
        details = " · ".join(filter(None, [str(CATEGORY_LABELS[partner.category]), partner.business_id or "",
                                           partner.website or ""]))
        story.append(KeepTogether([para(partner.name(), "h3"), para(details, "small"), contact_table(contacts)]))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawString(18 * mm, 10 * mm, title)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, _("Page %(page)d", page=doc.page))
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=title, author=_("Prison and Probation Service of Finland"),
                            subject=_("Contact directory"), creator="registry", initialFontName=font,
                            initialFontSize=9)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


# --- open data -------------------------------------------------------------------------------------------


def public_contacts() -> list[Contact]:
    """Active contacts flagged public whose organisation is active (merged partners are never active)."""
    stmt = (select(Contact).outerjoin(Partner, Contact.partner_id == Partner.id)
            .where(Contact.public.is_(True), Contact.active.is_(True),
                   or_(Contact.partner_id.is_(None), Partner.active.is_(True)))
            .options(selectinload(Contact.partner), selectinload(Contact.unit), selectinload(Contact.keywords))
            .order_by(Contact.name, Contact.id))
    return list(db.session.scalars(stmt))


def write_open_data(path: Path, *, force: bool = False) -> int:
    """Write the public directory as a SQLite file with FTS5 full-text search (for Datasette); returns rows.

Open data is published in Finnish (organisation names as registered).

    The file is built beside the target and moved into place, so a reader never sees half a file.
    """
    import sqlite_utils

    if path.exists() and not force:
        raise FileExistsError(str(path))
    rows = [{
        "id": c.id,
        "kind": c.kind.value,
        "name": c.name,
        "title": c.title or "",
        "email": c.email or "",
        "phone": format_phone(c.phone or c.mobile),
        "organisation": c.partner.name_fi if c.partner else (f"Rikosseuraamuslaitos, {c.unit.name_fi}"
                                                              if c.unit else ""),
        "keywords": ", ".join(k.name for k in c.keywords),
    } for c in public_contacts()]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        database = sqlite_utils.Database(temporary)
        table = database.table("contacts")
        table.create({"id": int, "kind": str, "name": str, "title": str, "email": str, "phone": str,
                      "organisation": str, "keywords": str}, pk="id")
        table.insert_all(rows)
        # unicode61 without diacritics: "Hameenlinna" finds "Hämeenlinna"; works on any SQLite with FTS5.
        table.enable_fts(["name", "title", "organisation", "keywords"], fts_version="FTS5",
                         tokenize="unicode61 remove_diacritics 2")
        database.conn.commit()
        database.close()
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return len(rows)
