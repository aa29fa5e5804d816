"""Import of existing applications from a Webropol CSV export (DOMAIN §5.1 step 1: "nothing from the old process
is lost"): column mapping, a per-row check, and the import of the valid rows with a per-row report.

Reading the file (encoding, BOM, delimiter) and keeping it between the steps reuse the directory's import
(`directory.uploads`); the column guesses reuse `directory.transfer.guess_mapping` with this module's fields.
Each valid row goes through `intake.submit_application` (source import, status received, the original submission
date when a column gives it) in a savepoint of its own: a row is imported whole or not at all. A row whose
organisation, project name and submission date (or, without a date column, organisation and project name) match an
existing application is reported as already imported, so importing the same file twice creates nothing new.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..config import LANGUAGES
from ..core.models import Unit
from ..core.services import ServiceError
from ..directory import rules as directory_rules
from ..directory import transfer
from ..directory.exports import build_csv
from ..directory.models import Theme
from ..directory.services import normalise_phone
from ..directory.uploads import Table
from ..extensions import db
from ..i18n import HELSINKI
from . import intake
from .models import APPLICANT_FORM_LABELS, ApplicantForm, Application, ApplicationSource, Funder
from .public_forms import clean_line, clean_text

KIND = "applications"  # the upload's kind in the shared upload folder
MAX_ROWS = 2000  # imported in the request: a Webropol export of applications is far smaller

FIELDS: dict[str, Any] = {
    "organisation_name": _l("Name of the organisation"), "business_id": _l("Business ID (Y-tunnus)"),
    "applicant_form": _l("Legal form"), "address": _l("Postal address"), "contact_name": _l("Contact person"),
    "contact_email": _l("E-mail address"), "contact_phone": _l("Phone"), "project_name": _l("Name of the project"),
    "description": _l("Description of the project"), "need": _l("Need for the activity"),
    "target_groups": _l("Target groups"), "units": _l("Rise units"), "themes": _l("Themes"),
    "planned_start": _l("Planned start"), "planned_end": _l("Planned end"), "funder": _l("Funder"),
    "funding_round": _l("Funding round"), "prison_work": _l("Work in prisons"),
    "e_services": _l("Electronic services"), "submitted_at": _l("Submitted"), "language": _l("Language"),
}
REQUIRED = ("organisation_name", "contact_name", "contact_email", "project_name", "description")

# Header names seen in Webropol exports and spreadsheets (fi, sv, en); compared after `transfer.header_key`.
KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    "organisation_name": ("organisaation nimi", "organisaatio", "hakija", "hakijaorganisaatio", "yhteison nimi",
                          "jarjeston nimi", "organisationens namn", "organisation", "sokande", "organisation name",
                          "organization", "applicant"),
    "business_id": ("y tunnus", "ytunnus", "yritys ja yhteisotunnus", "fo nummer", "business id"),
    "applicant_form": ("organisaatiomuoto", "oikeudellinen muoto", "oikeusmuoto", "yhteisomuoto", "hakijan tyyppi",
                       "organisaation tyyppi", "juridisk form", "organisationsform", "legal form", "type"),
    "address": ("postiosoite", "osoite", "postadress", "adress", "address", "postal address"),
    "contact_name": ("yhteyshenkilo", "yhteyshenkilon nimi", "kontaktperson", "contact person", "contact"),
    "contact_email": ("sahkoposti", "sahkopostiosoite", "yhteyshenkilon sahkoposti", "e post", "epost", "email",
                      "e mail"),
    "contact_phone": ("puhelin", "puhelinnumero", "yhteyshenkilon puhelin", "telefon", "phone", "telephone"),
    "project_name": ("hankkeen nimi", "projektin nimi", "hanke", "projekti", "projektets namn", "project name",
                     "project"),
    "description": ("kuvaus", "hankkeen kuvaus", "projektin kuvaus", "lyhyt kuvaus", "beskrivning",
                    "description"),
    "need": ("tarve", "toiminnan tarve", "tarveperustelu", "behov", "need"),
    "target_groups": ("kohderyhma", "kohderyhmat", "malgrupp", "malgrupper", "target group", "target groups"),
    "units": ("yksikot", "yksikko", "rise yksikot", "yhteistyoyksikot", "enheter", "enhet", "units", "unit"),
    "themes": ("teemat", "teema", "teman", "tema", "themes", "theme"),
    "planned_start": ("alkaa", "alkamispaiva", "suunniteltu alkamispaiva", "hankkeen alkamispaiva", "aloitus",
                      "borjar", "start", "start date"),
    "planned_end": ("paattyy", "paattymispaiva", "suunniteltu paattymispaiva", "hankkeen paattymispaiva",
                    "slutar", "end", "end date"),
    "funder": ("rahoittaja", "rahoitus", "haettava rahoitus", "finansiar", "funder", "funding"),
    "funding_round": ("rahoituskierros", "hakukierros", "haku", "ansokningsomgang", "funding round"),
    "prison_work": ("vankilatyo", "toimintaa vankilassa", "vankilatyota", "fangelsearbete", "prison work"),
    "e_services": ("sahkoiset palvelut", "sahkoinen palvelu", "e palvelut", "elektroniska tjanster",
                   "e services", "electronic services"),
    "submitted_at": ("vastausaika", "vastattu", "lahetetty", "lahetysaika", "paivamaara", "pvm", "aikaleima",
                     "tidpunkt", "skickad", "datum", "submitted", "timestamp", "date", "response time"),
    "language": ("kieli", "vastauskieli", "sprak", "language"),
}

TEXT_LIMITS = {"organisation_name": 300, "address": 1000, "contact_name": 200, "project_name": 300,
               "description": 10_000, "need": 5000, "target_groups": 2000, "funding_round": 100}
_YES = {"1", "x", "yes", "y", "true", "kylla", "k", "ja", "on"}
_NO = {"0", "no", "n", "false", "ei", "e", "nej", ""}
# Words in a legal-form cell or an organisation name, most specific first (folded: ä→a, ö→o).
_FORM_WORDS: tuple[tuple[str, ApplicantForm], ...] = (
    ("yhteiskunnallinen yritys", ApplicantForm.SOCIAL_ENTERPRISE), ("socialt foretag", ApplicantForm.SOCIAL_ENTERPRISE),
    ("social enterprise", ApplicantForm.SOCIAL_ENTERPRISE), ("kuntayhtyma", ApplicantForm.JOINT_MUNICIPAL_AUTHORITY),
    ("samkommun", ApplicantForm.JOINT_MUNICIPAL_AUTHORITY), ("seurakunta", ApplicantForm.PARISH),
    ("forsamling", ApplicantForm.PARISH), ("parish", ApplicantForm.PARISH), ("saatio", ApplicantForm.FOUNDATION),
    ("stiftelse", ApplicantForm.FOUNDATION), ("foundation", ApplicantForm.FOUNDATION),
    ("yhdistys", ApplicantForm.ASSOCIATION), ("forening", ApplicantForm.ASSOCIATION),
    ("association", ApplicantForm.ASSOCIATION), ("oppilaitos", ApplicantForm.EDUCATIONAL_INSTITUTION),
    ("opisto", ApplicantForm.EDUCATIONAL_INSTITUTION), ("korkeakoulu", ApplicantForm.EDUCATIONAL_INSTITUTION),
    ("yliopisto", ApplicantForm.EDUCATIONAL_INSTITUTION), ("laroanstalt", ApplicantForm.EDUCATIONAL_INSTITUTION),
    ("kaupunki", ApplicantForm.MUNICIPALITY), ("kunta", ApplicantForm.MUNICIPALITY),
    ("kommun", ApplicantForm.MUNICIPALITY), ("stad", ApplicantForm.MUNICIPALITY),
    ("yksityishenkilo", ApplicantForm.PRIVATE_PERSON), ("privatperson", ApplicantForm.PRIVATE_PERSON),
    ("osakeyhtio", ApplicantForm.COMPANY), ("yritys", ApplicantForm.COMPANY), ("aktiebolag", ApplicantForm.COMPANY),
    ("company", ApplicantForm.COMPANY), ("oikeuskelpoinen yhteiso", ApplicantForm.OTHER_LEGAL_ENTITY),
    ("muu", ApplicantForm.OTHER_LEGAL_ENTITY),
)
# Legal-form suffixes of organisation names, used only when no legal-form column is mapped.
_NAME_SUFFIXES = {"ry": ApplicantForm.ASSOCIATION, "rf": ApplicantForm.ASSOCIATION, "sr": ApplicantForm.FOUNDATION,
                  "oy": ApplicantForm.COMPANY, "oyj": ApplicantForm.COMPANY, "ab": ApplicantForm.COMPANY}
_LANGUAGE_WORDS = {"suomi": "fi", "finska": "fi", "finnish": "fi", "ruotsi": "sv", "svenska": "sv",
                   "swedish": "sv", "englanti": "en", "engelska": "en", "english": "en"}
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(?:klo\s+)?(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")

# --- column mapping ---------------------------------------------------------------------------------------------


def _clean_header(header: str) -> str:
    """A Webropol question as a header: leading numbering ("3.", "Q3") and required-marks ("*") dropped."""
    return re.sub(r"^\s*(?:q\s*)?\d+[.)]?\s+", "", header, flags=re.I).replace("*", "").strip()


def suggest_mapping(headers: list[str]) -> dict[str, int]:
    """Target field → column index, guessed from the header names in Finnish, Swedish or English."""
    cleaned = [_clean_header(h) for h in headers]
    mapping = transfer.guess_mapping(KIND, cleaned, fields=FIELDS, known=KNOWN_HEADERS)
    used = set(mapping.values())
    # A header that starts with a known name ("Y-tunnus (jos on)") is a good guess too.
    for target in FIELDS:
        if target in mapping:
            continue
        names = [transfer.header_key(n) for n in (*KNOWN_HEADERS.get(target, ()), target)]
        for index, header in enumerate(cleaned):
            key = transfer.header_key(header)
            if index not in used and any(n and key.startswith(n + " ") for n in names):
                mapping[target] = index
                used.add(index)
                break
    return mapping


def mapping_problems(mapping: dict[str, int]) -> dict[str, str]:
    """Field → message for a mapping that cannot work (a required field unmapped, a column used twice)."""
    return transfer.mapping_problems(KIND, mapping, fields=FIELDS, required=REQUIRED)


# --- reading cells ----------------------------------------------------------------------------------------------


def parse_datetime(value: str) -> datetime | None:
    """A Finnish (d.m.yyyy [hh.mm]) or ISO date or timestamp, as an aware datetime in Helsinki; None if neither.

    A date without a time is taken as noon, so it stays the same day in every time zone in use.
    """
    value = value.strip()
    match = _DATE.match(value)
    try:
        if match:
            day, month, year, hour, minute, second = match.groups()
            parts = (int(year), int(month), int(day))
        else:
            match = _ISO.match(value)
            if not match:
                return None
            year, month, day, hour, minute, second = match.groups()
            parts = (int(year), int(month), int(day))
        clock = time(int(hour), int(minute), int(second or 0)) if hour is not None else time(12)
        return datetime.combine(date(*parts), clock, tzinfo=HELSINKI)
    except ValueError:
        return None


def _form_lookup() -> dict[str, ApplicantForm]:
    found = {transfer.header_key(member.value): member for member in ApplicantForm}
    for language in LANGUAGES:
        with force_locale(language):
            for member, label in APPLICANT_FORM_LABELS.items():
                found.setdefault(transfer.header_key(str(label)), member)
    return found


def parse_applicant_form(value: str, lookup: dict[str, ApplicantForm] | None = None) -> ApplicantForm | None:
    """The legal form written in a cell (a label in any UI language, a value, or a telling word), or None."""
    key = transfer.header_key(value)
    if not key:
        return None
    exact = (lookup or _form_lookup()).get(key)
    if exact is not None:
        return exact
    padded = f" {key} "
    for word, member in _FORM_WORDS:
        if f" {word}" in padded:
            return member
    return None


def form_from_name(name: str) -> ApplicantForm | None:
    """The legal form told by an organisation name's suffix or words (ry, sr, oy, säätiö …), or None."""
    words = transfer.header_key(name).split()
    if words and words[-1] in _NAME_SUFFIXES:
        return _NAME_SUFFIXES[words[-1]]
    return parse_applicant_form(name) if words else None


def parse_funder(value: str) -> tuple[Funder, str | None]:
    """The funder and, for another funder, its name as written."""
    key = transfer.header_key(value)
    if "stea" in key.split() or key.startswith("stea"):
        return Funder.STEA, None
    if "esr" in key.split() or "sosiaalirahasto" in key or "social fund" in key or "socialfond" in key:
        return Funder.ESR, None
    return Funder.OTHER, clean_line(value)[:200] or None


def parse_flag(value: str) -> bool | None:
    """Yes (kyllä, ja, x, 1 …) or no (ei, nej, 0, empty …); None when it is neither."""
    key = transfer.header_key(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    first = key.split()[0] if key else ""
    return True if first in _YES else False if first in _NO else None


def _split(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;,\n]", value) if p.strip()]


def _named(rows: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for obj in rows:
        for key in (obj.code, obj.name_fi, obj.name_sv, obj.name_en):
            if key:
                found.setdefault(transfer.header_key(key), obj)
    return found


# --- checking rows ----------------------------------------------------------------------------------------------


@dataclass
class RowResult:
    """What happens (or happened) to one row: valid, invalid, duplicate or empty; after the import: imported."""

    row: int  # as in the spreadsheet: the header is row 1
    status: str
    label: str
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reference: str | None = None
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The row for the stored report (without the parsed values)."""
        values = asdict(self)
        values.pop("data")
        return values


STATUSES = ("valid", "imported", "invalid", "duplicate", "empty")
STATUS_LABELS = {"valid": _l("Can be imported"), "imported": _l("Imported"), "invalid": _l("Not imported: errors"),
                 "duplicate": _l("Already imported"), "empty": _l("Empty row")}


def _fold(text: str) -> str:
    return directory_rules.fold(text)


def _existing_keys() -> tuple[set[tuple[str, str, date]], set[tuple[str, str]]]:
    """(organisation, project, submission day) and (organisation, project) of every application, folded."""
    dated: set[tuple[str, str, date]] = set()
    undated: set[tuple[str, str]] = set()
    rows = db.session.execute(select(Application.organisation_name, Application.project_name,
                                     Application.submitted_at))
    for organisation, project, submitted_at in rows:
        key = (_fold(organisation), _fold(project))
        undated.add(key)
        dated.add((*key, submitted_at.astimezone(HELSINKI).date()))
    return dated, undated


class _Checker:
    """Checks the rows of one file against the same limits as the public form, and against existing data."""

    def __init__(self, table: Table, mapping: dict[str, int]) -> None:
        self.table, self.mapping = table, mapping
        self.units = _named(db.session.scalars(select(Unit)))
        self.themes = _named(db.session.scalars(select(Theme)))
        self.forms = _form_lookup()
        self.dated, self.undated = _existing_keys()
        self.seen: dict[tuple[Any, ...], int] = {}

    def raw(self, cells: list[str]) -> dict[str, str]:
        return {target: cells[index] for target, index in self.mapping.items() if index < len(cells)}

    def check(self, number: int, cells: list[str]) -> RowResult:
        raw = self.raw(cells)
        if not any(v.strip() for v in raw.values()):
            return RowResult(number, "empty", "")
        data: dict[str, Any] = {}
        result = RowResult(number, "valid", " – ".join(
            v for v in (clean_line(raw.get("organisation_name", "")), clean_line(raw.get("project_name", ""))) if v))
        errors, warnings = result.messages, result.warnings

        def problem(target: str, message: str) -> None:
            errors.append(f"{FIELDS[target]}: {message}")

        for name, limit in TEXT_LIMITS.items():
            multi = name in ("address", "description", "need", "target_groups")
            value = (clean_text if multi else clean_line)(raw.get(name, ""))
            if len(value) > limit:
                problem(name, _("The value is too long (at most %(n)d characters).", n=limit))
            data[name] = value or None
        for name in REQUIRED:
            if name != "contact_email" and not data.get(name):
                problem(name, _("The value is missing."))
        email = clean_line(raw.get("contact_email", ""))
        if not email:
            problem("contact_email", _("The value is missing."))
        else:
            try:
                data["contact_email"] = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                problem("contact_email", _("This is not a valid e-mail address."))
        phone = clean_line(raw.get("contact_phone", ""))
        data["contact_phone"] = normalise_phone(phone) if phone else None
        if phone and data["contact_phone"] is None:
            problem("contact_phone", _("This is not a valid phone number."))
        self.organisation(raw, data, problem, warnings)
        self.choices(raw, data, problem, warnings)
        self.dates(raw, data, problem)
        if errors:
            result.status = "invalid"
            return result
        self.duplicate(result, data)  # may make the row a duplicate, with its message
        if result.status == "valid":
            result.data = data
        return result

    def organisation(self, raw: dict[str, str], data: dict[str, Any], problem: Any, warnings: list[str]) -> None:
        business_id = clean_line(raw.get("business_id", ""))
        data["business_id"] = directory_rules.normalise_business_id(business_id) if business_id else None
        if business_id and data["business_id"] is None:
            problem("business_id", _("This is not a valid business ID (check digit or format 1234567-8)."))
        written = clean_line(raw.get("applicant_form", ""))
        form = parse_applicant_form(written, self.forms) if written else None
        if written and form is None:
            problem("applicant_form", _("Unknown legal form “%(value)s”.", value=written))
        elif form is None:
            form = form_from_name(data.get("organisation_name") or "")
            if form is None:
                problem("applicant_form", _("The legal form is missing and cannot be told from the name."))
            else:
                warnings.append(_("Legal form taken from the organisation's name: %(form)s.",
                                  form=APPLICANT_FORM_LABELS[form]))
        data["applicant_form"] = form
        if form is not None and form is not ApplicantForm.PRIVATE_PERSON and not data["business_id"] and \
                not business_id:
            warnings.append(_("No business ID: the applicant cannot be matched to a partner by it."))

    def choices(self, raw: dict[str, str], data: dict[str, Any], problem: Any, warnings: list[str]) -> None:
        funder_text = clean_line(raw.get("funder", ""))
        data["funder"], data["funder_other"] = parse_funder(funder_text) if funder_text else (Funder.OTHER, None)
        if not funder_text:
            warnings.append(_("No funder given: saved as another funder."))
        for name in ("prison_work", "e_services"):
            flag = parse_flag(raw.get(name, ""))
            if flag is None:
                problem(name, _("Write yes or no (kyllä/ei) in this column."))
            data[name] = bool(flag)
        for name, lookup, message in (("units", self.units, _("Unknown Rise unit “%(value)s”.")),
                                      ("themes", self.themes, _("Unknown theme “%(value)s”."))):
            ids: list[int] = []
            for part in _split(raw.get(name, "")):
                obj = lookup.get(transfer.header_key(part))
                if obj is None:
                    problem(name, message % {"value": part})
                elif obj.id not in ids:
                    ids.append(obj.id)
            data[f"{name[:-1]}_ids"] = ids
        if not data["unit_ids"]:
            warnings.append(_("No Rise unit named: the check of planned cooperation will fail."))
        language = transfer.header_key(raw.get("language", ""))
        data["language"] = language if language in LANGUAGES else _LANGUAGE_WORDS.get(language, "fi")

    def dates(self, raw: dict[str, str], data: dict[str, Any], problem: Any) -> None:
        for name in ("planned_start", "planned_end", "submitted_at"):
            value = clean_line(raw.get(name, ""))
            parsed = parse_datetime(value) if value else None
            if value and parsed is None:
                problem(name, _("This is not a date (for example 31.12.2026)."))
            data[name] = parsed if name == "submitted_at" else (parsed.date() if parsed else None)
        if data["planned_start"] and data["planned_end"] and data["planned_end"] < data["planned_start"]:
            problem("planned_end", _("The end must be after the start."))

    def duplicate(self, result: RowResult, data: dict[str, Any]) -> None:
        key = (_fold(data["organisation_name"] or ""), _fold(data["project_name"] or ""))
        submitted: datetime | None = data["submitted_at"]
        full = (*key, submitted.astimezone(HELSINKI).date()) if submitted else key
        if (submitted and full in self.dated) or (not submitted and key in self.undated):
            result.status = "duplicate"
            result.messages.append(_("An application of this organisation with this project name and submission "
                                     "date is already in the registry."))
        elif full in self.seen:
            result.status = "duplicate"
            result.messages.append(_("The same application is also on row %(row)d.", row=self.seen[full]))
        else:
            self.seen[full] = result.row


def check_rows(table: Table, mapping: dict[str, int]) -> list[RowResult]:
    """Every row checked (nothing is written): valid, invalid (with the reasons), duplicate or empty."""
    checker = _Checker(table, mapping)
    with db.session.no_autoflush:
        return [checker.check(offset + 2, cells) for offset, cells in enumerate(table.rows)]


def counts(results: list[RowResult]) -> dict[str, int]:
    """How many rows have each status."""
    found = dict.fromkeys(STATUSES, 0)
    for result in results:
        found[result.status] += 1
    return found


def import_rows(table: Table, mapping: dict[str, int]) -> list[RowResult]:
    """Check every row again, then import each valid row in its own savepoint; the caller commits.

    Returns the per-row results: imported (with the reference), invalid, duplicate or empty.
    """
    results = check_rows(table, mapping)
    for result in results:
        if result.status != "valid":
            continue
        data = dict(result.data)
        language = data.pop("language")
        try:
            with db.session.begin_nested():
                application = intake.submit_application(data, source=ApplicationSource.IMPORT, language=language)
        except (ServiceError, IntegrityError) as error:
            result.status = "invalid"
            result.messages.append(error.message if isinstance(error, ServiceError)
                                   else _("The row could not be saved."))
            continue
        result.status, result.reference = "imported", application.reference
    return results


def report_csv(rows: list[dict[str, Any]]) -> bytes:
    """The per-row report as CSV (Finnish Excel: UTF-8 with BOM, semicolons; no cell runs as a formula)."""
    header = [_("Row"), _("Application"), _("Result"), _("Reference"), _("Messages")]
    lines = [[row["row"], row["label"], str(STATUS_LABELS.get(row["status"], row["status"])),
              row.get("reference") or "", " | ".join([*row.get("messages", []), *row.get("warnings", [])])]
             for row in rows]
    return build_csv(header, lines)
