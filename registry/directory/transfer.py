"""Import of partners and contacts from spreadsheets: column mapping, a dry-run report, an all-or-nothing commit.

The dry run and the commit run the same checks (`check_import`); the commit then saves every row through
`services.save_partner` / `services.save_contact`, so an imported row obeys the same rules as a form. Reading
the files and keeping them between the steps is in `uploads.py`; exports (CSV, XLSX, vCard, PDF, open data)
are built in `exports.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..config import LANGUAGES
from ..core.models import Region, Unit
from ..core.services import ServiceError, in_scope
from ..extensions import db
from . import rules, services
from .models import (
    CATEGORY_LABELS,
    LEVEL_LABELS,
    Contact,
    ContactKind,
    Partner,
    PartnerCategory,
    PartnerLevel,
    Theme,
)
from .uploads import Table

KINDS = ("partners", "contacts")

PARTNER_FIELDS = {
    "name_fi": _l("Name in Finnish"), "name_sv": _l("Name in Swedish"), "name_en": _l("Name in English"),
    "business_id": _l("Business ID"), "category": _l("Category"), "legal_form": _l("Legal form"),
    "level": _l("Level"), "website": _l("Web site"), "regions": _l("Regions served"), "themes": _l("Themes"),
}
CONTACT_FIELDS = {
    "name": _l("Name"), "title": _l("Title"), "email": _l("E-mail address"), "phone": _l("Phone"),
    "mobile": _l("Mobile phone"), "keywords": _l("Competence keywords"),
    "partner_business_id": _l("Partner's business ID"), "partner_name": _l("Partner's name"),
    "unit_code": _l("Rise unit code"), "public": _l("Public"),
}
FIELDS = {"partners": PARTNER_FIELDS, "contacts": CONTACT_FIELDS}
REQUIRED = {"partners": ("name_fi",), "contacts": ("name",)}

# Header names seen in existing spreadsheets (Finnish, Swedish, English), compared after `_header_key`.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "partners": {
        "name_fi": ("nimi", "nimi fi", "nimi suomeksi", "suomenkielinen nimi", "name", "name fi", "finnish name",
                    "name in finnish", "organisaatio", "organisaation nimi", "kumppani", "kumppanin nimi",
                    "namn", "namn fi", "organisation", "organization", "partner"),
        "name_sv": ("nimi sv", "nimi ruotsiksi", "ruotsinkielinen nimi", "name sv", "swedish name",
                    "name in swedish", "namn sv", "svenskt namn", "namn pa svenska"),
        "name_en": ("nimi en", "nimi englanniksi", "englanninkielinen nimi", "name en", "english name",
                    "name in english", "namn en", "engelskt namn", "namn pa engelska"),
        "business_id": ("y tunnus", "ytunnus", "business id", "businessid", "business identity code",
                        "fo nummer", "fo nr", "organisationsnummer"),
        "category": ("kategoria", "luokka", "tyyppi", "organisaatiotyyppi", "category", "type", "kategori", "typ"),
        "legal_form": ("oikeudellinen muoto", "oikeusmuoto", "yhtiomuoto", "juridinen muoto", "legal form",
                       "juridisk form", "bolagsform"),
        "level": ("taso", "toiminnan taso", "level", "niva"),
        "website": ("verkkosivut", "verkkosivu", "verkkosivusto", "kotisivu", "kotisivut", "www", "www sivut",
                    "website", "web site", "url", "webbplats", "hemsida"),
        "regions": ("alueet", "alue", "hyvinvointialue", "hyvinvointialueet", "toiminta alue", "toimintaalue",
                    "regions", "region", "area", "regioner", "valfardsomrade", "valfardsomraden", "omrade"),
        "themes": ("teemat", "teema", "themes", "theme", "teman", "tema"),
    },
    "contacts": {
        "name": ("nimi", "henkilo", "yhteyshenkilo", "kokonimi", "name", "full name", "contact", "contact person",
                 "namn", "kontaktperson"),
        "title": ("titteli", "nimike", "tehtavanimike", "asema", "title", "job title", "position", "titel",
                  "befattning"),
        "email": ("sahkoposti", "sahkopostiosoite", "email", "e mail", "mail", "email address", "epost", "e post"),
        "phone": ("puhelin", "puhelinnumero", "puh", "tyopuhelin", "phone", "telephone", "tel", "work phone",
                  "telefon", "telefonnummer"),
        "mobile": ("matkapuhelin", "kannykka", "gsm", "mobiili", "mobile", "mobile phone", "cell", "mobil",
                   "mobiltelefon"),
        "keywords": ("asiasanat", "osaaminen", "osaamisalueet", "osaamisprofiili", "avainsanat", "keywords",
                     "competence", "skills", "nyckelord", "kompetens"),
        "partner_business_id": ("y tunnus", "ytunnus", "kumppanin y tunnus", "business id", "partner business id",
                                "fo nummer", "organisationsnummer"),
        "partner_name": ("organisaatio", "kumppani", "kumppanin nimi", "yhteiso", "partner", "partner name",
                         "organisation", "organization", "company", "yritys"),
        "unit_code": ("yksikko", "yksikon tunnus", "yksikkokoodi", "unit", "unit code", "enhet", "enhetskod"),
        "public": ("julkinen", "julkaistaan", "public", "offentlig"),
    },
}
# Finnish and Swedish words people write for categories and levels, besides the labels of the UI.
_CATEGORY_WORDS = {
    "yhdistys": "association", "ry": "association", "forening": "association", "saatio": "foundation",
    "stiftelse": "foundation", "kunta": "municipality", "kaupunki": "municipality", "kommun": "municipality",
    "seurakunta": "parish", "kirkko": "parish", "forsamling": "parish", "oppilaitos": "educational_institution",
    "yritys": "company", "oy": "company", "hyvinvointialue": "wellbeing_county", "viranomainen": "state_authority",
    "valtion viranomainen": "state_authority", "kuntayhtyma": "joint_municipal_authority",
    "tutkimuslaitos": "research_body", "yhteiskunnallinen yritys": "social_enterprise", "muu": "other",
}
_LEVEL_WORDS = {
    "valtakunnallinen": "national", "alueellinen": "regional", "paikallinen": "local",
    "kansainvalinen": "international", "nationell": "national", "regional": "regional", "lokal": "local",
    "internationell": "international",
}
_TRUE = {"1", "x", "yes", "y", "true", "kylla", "k", "ja", "public", "julkinen", "offentlig"}
_FALSE = {"0", "no", "n", "false", "ei", "e", "nej", ""}


# --- column mapping -------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", rules.fold(text)).split())


header_key = _header_key  # the comparison form of a header or a cell; other modules' imports use it too


def guess_mapping(kind: str, headers: list[str], *, fields: dict[str, Any] | None = None,
                  known: dict[str, tuple[str, ...]] | None = None) -> dict[str, int]:
    """Target field → column index, guessed from the header names (each column used at most once).

    Another module's import passes its own `fields` (target → label) and `known` header names (target → names).
    """
    fields = FIELDS[kind] if fields is None else fields
    names_by_target = _ALIASES[kind] if known is None else known
    aliases = {target: {_header_key(a) for a in (*names_by_target.get(target, ()), target)} for target in fields}
    for target, label in fields.items():  # our own export headers, in every UI language
        for language in LANGUAGES:
            with force_locale(language):
                aliases[target].add(_header_key(str(label)))
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for index, header in enumerate(headers):
        key = _header_key(header)
        for target in fields:
            if target not in mapping and index not in used and key in aliases[target]:
                mapping[target] = index
                used.add(index)
    return mapping


def mapping_problems(kind: str, mapping: dict[str, int], *, fields: dict[str, Any] | None = None,
                     required: tuple[str, ...] | None = None) -> dict[str, str]:
    """Field → message for a mapping that cannot work (a required field unmapped, a column used twice)."""
    fields = FIELDS[kind] if fields is None else fields
    problems: dict[str, str] = {}
    for target in REQUIRED[kind] if required is None else required:
        if target not in mapping:
            problems[target] = _("Choose the column that holds this field.")
    if kind == "contacts" and not {"partner_business_id", "partner_name", "unit_code"} & set(mapping):
        problems["partner_name"] = _("Choose a column for the partner (business ID or name) or for the Rise unit.")
    seen: dict[int, str] = {}
    for target, column in mapping.items():
        if column in seen:
            problems[target] = _("This column is already used for “%(field)s”.",
                                 field=str(fields[seen[column]]))
        seen.setdefault(column, target)
    return problems


# --- checking rows --------------------------------------------------------------------------------


@dataclass
class Issue:
    """One finding of the check: row number as in the spreadsheet (header = row 1), column name, message."""

    row: int
    column: str
    message: str


@dataclass
class RowPlan:
    """What will happen to one row: create, update, skip (empty or unchanged) or error."""

    row: int
    action: str
    label: str
    target_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    """The result of checking (or committing) an import."""

    kind: str
    plans: list[RowPlan] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    committed: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Rows to create, update and skip, and rows with errors."""
        counts = {"create": 0, "update": 0, "skip": 0, "error": 0}
        for plan in self.plans:
            counts[plan.action] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (kept in the job's result)."""
        return {"kind": self.kind, "counts": self.counts, "committed": self.committed,
                "errors": [asdict(i) for i in self.errors[:1000]], "error_total": len(self.errors),
                "warnings": [asdict(i) for i in self.warnings[:1000]], "warning_total": len(self.warnings)}


class _Lookups:
    """Reference data resolved once per check: regions, themes, categories, levels, units."""

    def __init__(self) -> None:
        self.regions = self._named(db.session.scalars(select(Region)))
        self.themes = self._named(db.session.scalars(select(Theme)))
        self.categories = self._labels(PartnerCategory, CATEGORY_LABELS, _CATEGORY_WORDS)
        self.levels = self._labels(PartnerLevel, LEVEL_LABELS, _LEVEL_WORDS)

    @staticmethod
    def _named(rows: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for obj in rows:
            for key in (obj.code, obj.name_fi, obj.name_sv, obj.name_en):
                if key:
                    found.setdefault(_header_key(key), obj)
        return found

    @staticmethod
    def _labels(enum_cls: Any, labels: dict[Any, Any], words: dict[str, str]) -> dict[str, Any]:
        found: dict[str, Any] = {_header_key(k): enum_cls(v) for k, v in words.items()}
        for member in enum_cls:
            found[_header_key(member.value)] = member
            for language in LANGUAGES:
                with force_locale(language):
                    found.setdefault(_header_key(str(labels[member])), member)
        return found


def _length_error(model: Any, name: str, value: str) -> str | None:
    length = getattr(model.__table__.c[name].type, "length", None)
    if length and len(value) > length:
        return _("The value is too long (at most %(n)d characters).", n=length)
    return None


def _website(value: str) -> str | None:
    """A web address with a scheme (https:// added when missing), or None when it cannot be one."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I) and not value.lower().startswith(("http://", "https://")):
        return None
    url = value if value.lower().startswith(("http://", "https://")) else f"https://{value}"
    host = url.split("://", 1)[1].split("/", 1)[0]
    if " " in url or "." not in host or not re.match(r"^[\w.-]+(:\d+)?$", host):
        return None
    return url


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]


class _Checker:
    """Checks rows one by one, remembering what earlier rows of the same file contained."""

    def __init__(self, kind: str, table: Table, mapping: dict[str, int], user: Any, similar: bool) -> None:
        self.kind, self.table, self.mapping, self.user, self.similar = kind, table, mapping, user, similar
        self.report = Report(kind)
        self.lookups = _Lookups()
        self.seen_ids: dict[str, int] = {}
        self.seen_names: dict[tuple[Any, ...], tuple[int, str | None]] = {}
        self.seen_emails: dict[str, int] = {}

    def column(self, target: str) -> str:
        index = self.mapping.get(target)
        return self.table.headers[index] if index is not None else str(FIELDS[self.kind][target])

    def error(self, row: int, target: str, message: str) -> None:
        self.report.errors.append(Issue(row, self.column(target), message))

    def warn(self, row: int, target: str, message: str) -> None:
        self.report.warnings.append(Issue(row, self.column(target), message))

    def values(self, cells: list[str]) -> dict[str, str]:
        return {target: cells[index] for target, index in self.mapping.items() if index < len(cells)}

    def check(self, number: int, cells: list[str]) -> RowPlan:
        values = self.values(cells)
        if not any(values.values()):
            return RowPlan(number, "skip", "")
        errors_before = len(self.report.errors)
        plan = self.partner_row(number, values) if self.kind == "partners" else self.contact_row(number, values)
        if len(self.report.errors) > errors_before:
            plan.action, plan.values = "error", {}
        return plan

    # partners

    def partner_row(self, n: int, raw: dict[str, str]) -> RowPlan:
        data: dict[str, Any] = {}
        for name in ("name_fi", "name_sv", "name_en", "legal_form"):
            if raw.get(name):
                problem = _length_error(Partner, name, raw[name])
                if problem:
                    self.error(n, name, problem)
                data[name] = raw[name]
        if not raw.get("name_fi"):
            self.error(n, "name_fi", _("The name is missing."))
        existing = None
        business_id = None
        if raw.get("business_id"):
            business_id = rules.normalise_business_id(raw["business_id"])
            if business_id is None:
                self.error(n, "business_id", _("This is not a valid business ID (check digit or format 1234567-8)."))
            elif business_id in self.seen_ids:
                self.error(n, "business_id", _("The same business ID is also on row %(row)d.",
                                               row=self.seen_ids[business_id]))
            else:
                self.seen_ids[business_id] = n
                existing = services.partner_by_business_id(business_id)
                data["business_id"] = business_id
        for name, lookup, message in (
                ("category", self.lookups.categories, _("Unknown category “%(value)s”.")),
                ("level", self.lookups.levels, _("Unknown level “%(value)s”."))):
            if raw.get(name):
                member = lookup.get(_header_key(raw[name]))
                if member is None:
                    self.error(n, name, message % {"value": raw[name]})
                data[name] = member
        if raw.get("website"):
            url = _website(raw["website"])
            if url is None or len(url) > 500:
                self.error(n, "website", _("This is not a web address (for example https://www.example.fi)."))
            data["website"] = url
        for name, lookup, message in (
                ("regions", self.lookups.regions, _("Unknown region “%(value)s”.")),
                ("themes", self.lookups.themes, _("Unknown theme “%(value)s”."))):
            if raw.get(name):
                found = []
                for part in _split(raw[name]):
                    obj = lookup.get(_header_key(part))
                    if obj is None:
                        self.error(n, name, message % {"value": part})
                    elif obj not in found:
                        found.append(obj)
                data[name] = found
        name = raw.get("name_fi", "")
        if name:
            self.duplicate_name(n, (rules.fold(name),), business_id, "name_fi")
        if existing is None:
            data.setdefault("category", PartnerCategory.OTHER)
            if "category" not in raw or not raw["category"]:
                self.warn(n, "category", _("No category given: the partner is saved as “Other”."))
            data.setdefault("level", PartnerLevel.REGIONAL if data.get("regions") else PartnerLevel.NATIONAL)
            if name and self.similar:
                for similar in services.similar_partners(name, limit=3):
                    self.warn(n, "name_fi", _("A partner with a similar name exists: %(name)s.", name=similar.name_fi))
            return RowPlan(n, "create", name, None, data)
        changed = any(getattr(existing, k) != v if k not in ("regions", "themes")
                      else {o.id for o in getattr(existing, k)} != {o.id for o in v} for k, v in data.items())
        return RowPlan(n, "update" if changed else "skip", name or existing.name_fi, existing.id, data)

    def duplicate_name(self, n: int, key: tuple[Any, ...], distinct_id: str | None, target: str) -> None:
        earlier = self.seen_names.get(key)
        if earlier is None:
            self.seen_names[key] = (n, distinct_id)
        elif distinct_id and earlier[1] and distinct_id != earlier[1]:
            self.warn(n, target, _("The same name is also on row %(row)d.", row=earlier[0]))
        else:
            self.error(n, target, _("The same name is also on row %(row)d.", row=earlier[0]))

    # contacts

    def contact_row(self, n: int, raw: dict[str, str]) -> RowPlan:
        data: dict[str, Any] = {}
        for name in ("name", "title"):
            if raw.get(name):
                problem = _length_error(Contact, name, raw[name])
                if problem:
                    self.error(n, name, problem)
                data[name] = raw[name]
        if not raw.get("name"):
            self.error(n, "name", _("The name is missing."))
        if raw.get("email"):
            try:
                data["email"] = validate_email(raw["email"], check_deliverability=False).normalized
            except EmailNotValidError:
                self.error(n, "email", _("This is not a valid e-mail address."))
            else:
                key = data["email"].lower()
                if key in self.seen_emails:
                    self.error(n, "email", _("The same e-mail address is also on row %(row)d.",
                                             row=self.seen_emails[key]))
                self.seen_emails.setdefault(key, n)
        for name in ("phone", "mobile"):
            if raw.get(name):
                if services.normalise_phone(raw[name]) is None:
                    self.error(n, name, _("This is not a valid phone number."))
                data[name] = raw[name]
        if raw.get("keywords"):
            data["keywords"] = services.keywords_from_text(raw["keywords"])
        if raw.get("public"):
            flag = rules.fold(raw["public"])
            if flag not in _TRUE | _FALSE:
                self.error(n, "public", _("Write yes or no (kyllä/ei) in this column."))
            data["public"] = flag in _TRUE
        organisation = self.organisation(n, raw)
        if organisation is None:
            return RowPlan(n, "error", raw.get("name", ""))
        data["partner"] = organisation if isinstance(organisation, Partner) else None
        data["unit"] = organisation if isinstance(organisation, Unit) else None
        if raw.get("name"):
            self.duplicate_name(n, (rules.fold(raw["name"]), type(organisation).__name__, organisation.id),
                                None, "name")
        existing = self.existing_contact(organisation, data)
        if existing is None:
            data.setdefault("public", False)
            return RowPlan(n, "create", raw.get("name", ""), None, data)
        changed = any((getattr(existing, k) != services.normalise_phone(v)) if k in ("phone", "mobile")
                      else ([kw.name for kw in existing.keywords] != v) if k == "keywords"
                      else getattr(existing, k) != v for k, v in data.items())
        return RowPlan(n, "update" if changed else "skip", raw.get("name", ""), existing.id, data)

    def organisation(self, n: int, raw: dict[str, str]) -> Partner | Unit | None:
        partner = unit = None
        if raw.get("partner_business_id"):
            business_id = rules.normalise_business_id(raw["partner_business_id"])
            if business_id is None:
                self.error(n, "partner_business_id",
                           _("This is not a valid business ID (check digit or format 1234567-8)."))
                return None
            partner = services.partner_by_business_id(business_id)
            if partner is None:
                self.error(n, "partner_business_id", _("No partner in the registry has this business ID."))
                return None
        elif raw.get("partner_name"):
            key = rules.fold(raw["partner_name"])
            candidates = db.session.scalars(select(Partner).where(
                Partner.merged_into_id.is_(None),
                func.lower(Partner.name_fi) == raw["partner_name"].lower()).limit(3)).all() or [
                p for p in services.similar_partners(raw["partner_name"], limit=5) if rules.fold(p.name_fi) == key]
            if not candidates:
                self.error(n, "partner_name", _("No partner in the registry has this name."))
                return None
            if len(candidates) > 1:
                self.error(n, "partner_name", _("Several partners have this name; give the business ID instead."))
                return None
            partner = candidates[0]
        if raw.get("unit_code"):
            unit = db.session.scalar(select(Unit).where(func.upper(Unit.code) == raw["unit_code"].upper()))
            if unit is None:
                self.error(n, "unit_code", _("No Rise unit has this code."))
                return None
            if not in_scope(self.user, unit.id):
                self.error(n, "unit_code", _("This unit is outside your units; you cannot change its contacts."))
                return None
        if partner is not None and unit is not None:
            self.error(n, "unit_code", _("A contact belongs either to a partner or to a Rise unit."))
            return None
        if partner is None and unit is None:
            target = "partner_name" if "partner_name" in self.mapping else (
                "partner_business_id" if "partner_business_id" in self.mapping else "unit_code")
            self.error(n, target, _("Give the partner or the Rise unit the contact belongs to."))
            return None
        return partner or unit

    def existing_contact(self, organisation: Partner | Unit, data: dict[str, Any]) -> Contact | None:
        """The contact this row updates: same organisation and same e-mail (or same name when no e-mail)."""
        column = Contact.partner_id if isinstance(organisation, Partner) else Contact.unit_id
        stmt = select(Contact).where(column == organisation.id)
        if data.get("email"):
            stmt = stmt.where(func.lower(Contact.email) == data["email"].lower())
        else:
            stmt = stmt.where(func.lower(Contact.name) == (data.get("name") or "").lower())
        return db.session.scalars(stmt.order_by(Contact.id).limit(1)).first()


Progress = Callable[[int], None]


def check_import(kind: str, table: Table, mapping: dict[str, int], user: Any,
                 progress: Progress | None = None, *, similar: bool = True) -> Report:
    """The dry run: every row checked against the same rules as the forms; nothing is written.

    `similar=False` leaves out the similar-name warnings (they never block a row and cost a query each).
    """
    checker = _Checker(kind, table, mapping, user, similar)
    with db.session.no_autoflush:
        for offset, cells in enumerate(table.rows):
            checker.report.plans.append(checker.check(offset + 2, cells))
            if progress is not None:
                progress(offset + 1)
    checker.report.errors.sort(key=lambda i: i.row)
    checker.report.warnings.sort(key=lambda i: i.row)
    return checker.report


class ImportFailed(Exception):
    """The commit found errors; nothing was saved. The report says which rows and columns."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"{len(report.errors)} errors")
        self.report = report


def _save(kind: str, plan: RowPlan) -> None:
    values = dict(plan.values)
    if kind == "partners":
        partner = db.session.get(Partner, plan.target_id) if plan.target_id else Partner()
        if partner is None:
            raise ServiceError(_("The partner was removed meanwhile."))
        services.save_partner(partner, values)
        return
    keywords = values.pop("keywords", None)
    contact = db.session.get(Contact, plan.target_id) if plan.target_id else Contact(kind=ContactKind.PERSON)
    if contact is None:
        raise ServiceError(_("The contact was removed meanwhile."))
    if plan.target_id:
        # Columns left empty keep what the registry has (save_contact re-reads the stored E.164 phones).
        values = {"phone": contact.phone or "", "mobile": contact.mobile or "", **values}
        if keywords is None:
            keywords = [k.name for k in contact.keywords]
    services.save_contact(contact, values, keywords or [])


def apply_import(kind: str, table: Table, mapping: dict[str, int], user: Any,
                 progress: Progress | None = None) -> Report:
    """Check every row again, then save them all; raises ImportFailed (the caller rolls back) on any error.

    Progress counts up to twice the number of rows: once while checking, once while saving.
    """
    total = len(table.rows)
    # The warnings were shown in the dry run; skipping them here keeps the write transaction short.
    report = check_import(kind, table, mapping, user, progress, similar=False)
    if report.errors:
        raise ImportFailed(report)
    for done, plan in enumerate(report.plans, start=1):
        if plan.action in ("create", "update"):
            try:
                with db.session.no_autoflush:
                    _save(kind, plan)
            except ServiceError as error:
                target = {"partner": "partner_name", "unit": "unit_code"}.get(error.field or "", error.field or "")
                target = target if target in FIELDS[kind] else REQUIRED[kind][0]
                report.errors.append(Issue(plan.row, _column_name(table, mapping, kind, target), error.message))
                raise ImportFailed(report) from error
        if progress is not None:
            progress(total + done)
    report.committed = True
    return report


def _column_name(table: Table, mapping: dict[str, int], kind: str, target: str) -> str:
    index = mapping.get(target)
    return table.headers[index] if index is not None else str(FIELDS[kind][target])
