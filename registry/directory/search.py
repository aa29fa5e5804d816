"""Finnish-aware search over partners and contacts (more kinds later): the index and the query.

The index is the `search_document` table: one row per searchable record, with the text in its original
spelling (lower case, for ranking exact spellings first) and folded (lower case, no diacritics). SQLite
searches `folded` through an FTS5 trigram table, PostgreSQL through a pg_trgm GIN index (migration 0002).

The index is kept in step by ONE mechanism: a session hook that, after every flush, rewrites the
documents of the partners and contacts that were created, changed or deleted in it, and of those whose
text depends on something that changed (a partner's name shown on its contacts, a renamed keyword,
theme, region or unit, a merge). Changes made with bulk SQL bypass the hook: run `registry search
reindex` (or call `reindex_all()`) after them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    column,
    delete,
    event,
    func,
    inspect,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from ..core.models import Region, Unit
from ..extensions import db
from . import rules
from .models import (
    CATEGORY_LABELS,
    Contact,
    Keyword,
    Partner,
    PartnerCategory,
    PartnerLevel,
    SearchDocument,
    Theme,
    contact_keyword,
    partner_region,
    partner_theme,
)
from .queries import PartnerFilters, partner_conditions

DOC = SearchDocument.__table__
MAX_QUERY = 200  # characters of a query that are looked at (rules.search_terms cuts there too)
FTS_MIN = 3  # the trigram index answers words of at least three characters; shorter ones use LIKE
CHUNK = 1000  # ids per statement when (re)building documents
SEPARATOR = " | "  # between fields, so a phrase never matches across two fields


@dataclass(frozen=True)
class Kind:
    """A kind of searchable record: how it is labelled and where its page is."""

    name: str
    label: Any  # plural, lazy-translated
    endpoint: str
    arg: str
    path: str  # the literal path used until the endpoint exists


KINDS: dict[str, Kind] = {
    "partner": Kind("partner", _l("Partners"), "directory.partner", "partner_id", "/directory/partners/{}"),
    "contact": Kind("contact", _l("Contacts"), "directory.contact", "contact_id", "/directory/contacts/{}"),
}


@dataclass(frozen=True)
class Result:
    """One search hit, ready to show or to serialise."""

    type: str
    id: int
    title: str
    subtitle: str
    url: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (suggestions, API)."""
        return {"type": self.type, "id": self.id, "title": self.title, "subtitle": self.subtitle,
                "url": self.url}


# Search uses the partner filters of the lists: they keep partners that match and contacts of partners
# that match (other kinds drop out); `active` True: active records only (the default), None: both.
Filters = PartnerFilters


def valid_category(value: str) -> bool:
    """Whether the value is a partner category key."""
    return value in PartnerCategory._value2member_map_


def valid_level(value: str) -> bool:
    """Whether the value is a partner level key."""
    return value in PartnerLevel._value2member_map_


# --- URLs and labels --------------------------------------------------------------------------------


def result_url(kind: str, ref_id: int) -> str:
    """The page of a record (its literal path while the page's endpoint does not exist yet)."""
    spec = KINDS.get(kind)
    if spec is None:
        return ""
    if spec.endpoint in current_app.view_functions:
        try:
            values: dict[str, Any] = {spec.arg: ref_id}
            return url_for(spec.endpoint, **values)
        except BuildError:
            pass
    return spec.path.format(ref_id)


def _subtitle(kind: str, subtitle: str | None) -> str:
    if kind == "partner" and subtitle and valid_category(subtitle):
        return str(CATEGORY_LABELS[PartnerCategory(subtitle)])
    return subtitle or ""


# --- building documents -----------------------------------------------------------------------------


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def _document(kind: str, ref_id: int, title: str, subtitle: str | None, parts: Iterable[Any], *,
              active: bool, public: bool) -> dict[str, Any]:
    """A search_document row: the title comes first in the text, so a title prefix is a text prefix."""
    seen: dict[str, None] = {}
    for part in (title, *parts):
        cleaned = _clean(part)
        if cleaned and cleaned.lower() not in seen:
            seen[cleaned.lower()] = None
    body = SEPARATOR.join(seen)
    return {"kind": kind, "ref_id": ref_id, "title": _clean(title)[:300] or "?",
            "subtitle": (_clean(subtitle)[:300] or None), "text": body, "folded": rules.fold(body),
            "active": bool(active), "public": bool(public)}


def _names(conn: Connection, link: Any, owner: Any, model: Any, ids: list[int]) -> dict[int, list[str]]:
    """fi/sv/en names of the themes or regions linked to each owner id."""
    rows = conn.execute(select(owner, model.name_fi, model.name_sv, model.name_en)
                        .select_from(link.join(model.__table__)).where(owner.in_(ids)))
    found: dict[int, list[str]] = defaultdict(list)
    for owner_id, *names in rows:
        found[owner_id].extend(n for n in names if n)
    return found


def partner_documents(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Documents of the given partners (names fi/sv/en, business ID, legal form, themes, regions)."""
    themes = _names(conn, partner_theme, partner_theme.c.partner_id, Theme, ids)
    regions = _names(conn, partner_region, partner_region.c.partner_id, Region, ids)
    p = Partner.__table__.c
    rows = conn.execute(select(p.id, p.name_fi, p.name_sv, p.name_en, p.business_id, p.legal_form, p.category,
                               p.active, p.merged_into_id).where(p.id.in_(ids)))
    return [_document("partner", row.id, row.name_fi, row.category,
                      [row.name_sv, row.name_en, row.business_id, row.legal_form, *themes.get(row.id, ()),
                       *regions.get(row.id, ())],
                      active=row.active and row.merged_into_id is None, public=False)
            for row in rows]


def contact_documents(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Documents of the given contacts (name, title, e-mail, organisation names, keywords).

    A contact of an inactive partner counts as inactive.
    """
    keywords: dict[int, list[str]] = defaultdict(list)
    for contact_id, name in conn.execute(
            select(contact_keyword.c.contact_id, Keyword.name).select_from(contact_keyword.join(Keyword.__table__))
            .where(contact_keyword.c.contact_id.in_(ids)).order_by(Keyword.name)):
        keywords[contact_id].append(name)
    c, p, u = Contact.__table__.c, Partner.__table__.alias("p"), Unit.__table__.alias("u")
    rows = conn.execute(
        select(c.id, c.name, c.title, c.email, c.active, c.public, p.c.active.label("partner_active"),
               p.c.name_fi, p.c.name_sv, p.c.name_en,
               u.c.name_fi.label("unit_fi"), u.c.name_sv.label("unit_sv"), u.c.name_en.label("unit_en"))
        .select_from(Contact.__table__.outerjoin(p, p.c.id == c.partner_id).outerjoin(u, u.c.id == c.unit_id))
        .where(c.id.in_(ids)))
    documents = []
    for row in rows:
        organisation = row.name_fi or row.unit_fi
        subtitle = ", ".join(filter(None, [_clean(row.title), _clean(organisation)]))
        documents.append(_document(
            "contact", row.id, row.name, subtitle,
            [row.title, row.email, row.name_fi, row.name_sv, row.name_en, row.unit_fi, row.unit_sv, row.unit_en,
             *keywords.get(row.id, ())],
            active=row.active and row.partner_active is not False, public=row.public))
    return documents


# A new kind of record (agreements, networks …) adds its Kind, its builder and its model here.
BUILDERS = {"partner": partner_documents, "contact": contact_documents}
MODELS: dict[str, Any] = {"partner": Partner, "contact": Contact}


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _upsert(conn: Connection, documents: list[dict[str, Any]]) -> None:
    if not documents:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(DOC)
    stmt = stmt.on_conflict_do_update(index_elements=["kind", "ref_id"], set_={
        k: stmt.excluded[k] for k in ("title", "subtitle", "text", "folded", "active", "public")})
    conn.execute(stmt, documents)


def refresh(conn: Connection, kind: str, ids: Iterable[int]) -> None:
    """Rewrite the documents of these records; records that no longer exist lose their document."""
    for chunk in _chunks(ids):
        documents = BUILDERS[kind](conn, chunk)
        found = {d["ref_id"] for d in documents}
        gone = [i for i in chunk if i not in found]
        if gone:
            conn.execute(delete(DOC).where(DOC.c.kind == kind, DOC.c.ref_id.in_(gone)))
        _upsert(conn, documents)


def reindex_all(conn: Connection | None = None) -> dict[str, int]:
    """Rebuild every document from scratch (after bulk SQL changes or an import); the caller commits."""
    conn = conn or db.session.connection()
    counts = {}
    for kind, model in MODELS.items():
        conn.execute(delete(DOC).where(DOC.c.kind == kind))
        ids = list(conn.scalars(select(model.__table__.c.id)))
        for chunk in _chunks(ids):
            _upsert(conn, BUILDERS[kind](conn, chunk))
        counts[kind] = len(ids)
    return counts


# --- the session hook -------------------------------------------------------------------------------


def _ident(obj: Any) -> int | None:
    # New objects have their key only after the flush is finalised: read the inserted id from the state.
    state = inspect(obj)
    return state.identity[0] if state.identity else state.dict.get("id")


def _changed(obj: Any, *keys: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[key].history.has_changes() for key in keys)


def _ids(session: Session, stmt: Any) -> set[int]:
    return set(session.connection().scalars(stmt))


def _contacts_of_partners(session: Session, partner_ids: set[int]) -> set[int]:
    if not partner_ids:
        return set()
    return _ids(session, select(Contact.__table__.c.id).where(Contact.__table__.c.partner_id.in_(partner_ids)))


def _dependents(session: Session, objects: Iterable[Any]) -> tuple[set[int], set[int]]:
    """Partners and contacts whose documents show something of these themes, regions, keywords or units."""
    themes, regions, keywords, units = set(), set(), set(), set()
    for obj in objects:
        ident = _ident(obj)
        if ident is None:
            continue
        if isinstance(obj, Theme):
            themes.add(ident)
        elif isinstance(obj, Region):
            regions.add(ident)
        elif isinstance(obj, Keyword):
            keywords.add(ident)
        elif isinstance(obj, Unit):
            units.add(ident)
    partners: set[int] = set()
    contacts: set[int] = set()
    if themes:
        partners |= _ids(session, select(partner_theme.c.partner_id).where(partner_theme.c.theme_id.in_(themes)))
    if regions:
        partners |= _ids(session, select(partner_region.c.partner_id)
                         .where(partner_region.c.region_id.in_(regions)))
    if keywords:
        contacts |= _ids(session, select(contact_keyword.c.contact_id)
                         .where(contact_keyword.c.keyword_id.in_(keywords)))
    if units:
        contacts |= _ids(session, select(Contact.__table__.c.id).where(Contact.__table__.c.unit_id.in_(units)))
    return partners, contacts


RENAMED = {Theme: ("name_fi", "name_sv", "name_en"), Region: ("name_fi", "name_sv", "name_en"),
           Unit: ("name_fi", "name_sv", "name_en"), Keyword: ("name",)}


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    # Links to a deleted theme, region, keyword or unit vanish with it: find who showed it while they exist.
    deleted = [obj for obj in session.deleted if type(obj) in RENAMED]
    if deleted:
        partners, contacts = _dependents(session, deleted)
        pending = session.info.setdefault("search_pending", {})
        pending.setdefault("partner", set()).update(partners)
        pending.setdefault("contact", set()).update(contacts)


KIND_OF = {model: kind for kind, model in MODELS.items()}


def _after_flush(session: Session, _ctx: Any) -> None:
    # The session still lists what this flush wrote (new, dirty, deleted) and its attribute history.
    pending = session.info.pop("search_pending", {})
    due: dict[str, set[int]] = {kind: set(pending.get(kind, ())) for kind in MODELS}
    renamed_partners: set[int] = set()
    renamed = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = KIND_OF.get(type(obj))
        if kind is not None:
            ident = _ident(obj)
            if ident is not None:
                due[kind].add(ident)
            if kind == "partner" and ident is not None:
                if obj not in session.new and _changed(obj, "name_fi", "name_sv", "name_en", "active"):
                    renamed_partners.add(ident)  # contacts show the organisation's name and follow its status
                if _changed(obj, "merged_into_id") and obj.merged_into_id:
                    due["partner"].add(obj.merged_into_id)  # a merge moved links and contacts to the survivor
                    renamed_partners.add(obj.merged_into_id)
        elif type(obj) in RENAMED and obj not in session.new and obj not in session.deleted \
                and _changed(obj, *RENAMED[type(obj)]):
            renamed.append(obj)
    if renamed:
        more_partners, more_contacts = _dependents(session, renamed)
        due["partner"] |= more_partners
        due["contact"] |= more_contacts
    due["contact"] |= _contacts_of_partners(session, renamed_partners)
    if any(due.values()):
        conn = session.connection()
        for kind, ids in due.items():
            refresh(conn, kind, ids)


def register_search(app: Flask) -> None:
    """Attach the index hook to every SQLAlchemy session (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


# --- the query --------------------------------------------------------------------------------------
#
# One statement answers a search: the matching rows (at most WINDOW of them, found through the index) are
# ranked and the requested page is returned with the number of matches (counted up to WINDOW) in the same
# statement. Beyond WINDOW matches the ranking is exact within the first WINDOW found; such queries are too
# broad to read through anyway, and ranking every one of 100,000 matches would take far too long.

WINDOW = 2000
FTS = table("search_fts", column("rowid", Integer))


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _raw_words(q: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"\w+", q[:MAX_QUERY].lower())))[:8]


def _partner_match(filters: Filters) -> Any:
    """The partner filters as a condition on a search_document row (checked row by row, as rows are found)."""
    d = DOC.c
    p = Partner.__table__.alias("filter_partner")
    conditions = partner_conditions(filters, p)
    c = Contact.__table__.alias("filter_contact")
    partner = select(p.c.id).where(p.c.id == d.ref_id, *conditions).exists()
    contact = select(c.c.id).select_from(c.join(p, p.c.id == c.c.partner_id)) \
        .where(c.c.id == d.ref_id, *conditions).exists()
    return or_(and_(d.kind == "partner", partner), and_(d.kind == "contact", contact))


def _rank(q: str, terms: list[str]) -> ColumnElement[int]:
    """Exact spelling (the whole phrase, then every word) first, then title prefix, then the rest."""
    d = DOC.c
    words = _raw_words(q)
    tiers: list[tuple[Any, int]] = []
    if len(words) > 1:
        tiers.append((d.text.contains(" ".join(words), autoescape=True), 0))
    if words:
        tiers.append((and_(*(d.text.contains(w, autoescape=True) for w in words)), 1))
    tiers.append((d.folded.startswith(terms[0], autoescape=True), 2))
    return case(*tiers, else_=3)


def _hits(q: str, terms: list[str], *, kinds: Iterable[str] | None, filters: Filters, public_only: bool) -> Any:
    """The matching documents (at most WINDOW), each with its rank: a CTE to page and count from."""
    d = DOC.c
    long_words = [t for t in terms if len(t) >= FTS_MIN]
    short_words = [t for t in terms if len(t) < FTS_MIN]
    stmt = select(d.id, d.kind, d.ref_id, d.title, d.subtitle, _rank(q, terms).label("rank"))
    kind: Any = d.kind
    if db.session.get_bind().dialect.name == "sqlite" and long_words:
        # The trigram index finds the rows; each word is an FTS5 string, so no query syntax reaches FTS5.
        stmt = stmt.select_from(FTS.join(DOC, d.id == FTS.c.rowid)).where(
            literal_column("search_fts").op("MATCH")(" ".join(_fts_string(w) for w in long_words)))
        # Unary + keeps SQLite from walking the kind index and testing MATCH on every record of the kind
        # (100,000 partners: seconds instead of milliseconds).
        kind = literal_column(f"+{DOC.name}.kind")
    else:
        short_words = terms  # PostgreSQL: LIKE on `folded` is served by the pg_trgm GIN index
    stmt = stmt.where(*(d.folded.like(f"%{_like_escape(w)}%", escape="\\") for w in short_words))
    if kinds is not None:
        stmt = stmt.where(kind.in_(list(kinds)))
    if filters.active is not None:
        stmt = stmt.where(d.active.is_(filters.active))
    if public_only:
        stmt = stmt.where(d.public.is_(True))
    if filters.partner_filters:
        stmt = stmt.where(_partner_match(filters))
    return stmt.limit(WINDOW).cte("hits")


def search(q: str, *, kinds: Iterable[str] | None = None, filters: Filters | None = None, limit: int = 20,
           offset: int = 0, public_only: bool = False, count: bool = True) -> tuple[int, list[Result]]:
    """Records whose text contains every word of the query, best first, and how many match.

    The count stops at WINDOW (a total equal to WINDOW means "at least"). Any input is safe: the words are
    letters and digits only, passed as bound parameters. One statement; with count=False the total is
    not counted (it is then the number of results returned).
    """
    terms = rules.search_terms(q, max_length=MAX_QUERY)
    if not terms or offset >= WINDOW:
        return 0, []
    hits = _hits(q, terms, kinds=kinds, filters=filters or Filters(), public_only=public_only)
    columns = [hits.c.kind, hits.c.ref_id, hits.c.title, hits.c.subtitle]
    if count:
        columns.append(select(func.count()).select_from(hits).scalar_subquery().label("total"))
    stmt = select(*columns).order_by(hits.c.rank, hits.c.title, hits.c.id).limit(limit).offset(offset)
    rows = db.session.execute(stmt).all()
    results = [Result(row.kind, row.ref_id, row.title, _subtitle(row.kind, row.subtitle),
                      result_url(row.kind, row.ref_id)) for row in rows]
    if not count:
        return len(results), results
    if rows:
        return rows[0].total, results
    if offset == 0:
        return 0, []
    return db.session.scalar(select(func.count()).select_from(hits)) or 0, []


def count_by_kind(q: str, *, filters: Filters | None = None, public_only: bool = False) -> dict[str, int]:
    """How many records of each kind match the query (each counted up to WINDOW)."""
    terms = rules.search_terms(q, max_length=MAX_QUERY)
    counts = dict.fromkeys(KINDS, 0)
    if not terms:
        return counts
    for kind in KINDS:
        hits = _hits(q, terms, kinds=[kind], filters=filters or Filters(), public_only=public_only)
        counts[kind] = db.session.scalar(select(func.count()).select_from(hits)) or 0
    return counts


def filter_choices() -> dict[str, Any]:
    """Choices for the search filters: categories, levels, regions and themes (code, label)."""
    from ..core import queries
    from .models import LEVEL_LABELS

    themes = db.session.scalars(select(Theme).order_by(Theme.name_fi)).all()
    return {
        "categories": [(c.value, str(label)) for c, label in CATEGORY_LABELS.items()],
        "levels": [(lv.value, str(label)) for lv, label in LEVEL_LABELS.items()],
        "regions": [(r.code, r.name()) for r in queries.regions_ordered()],
        "themes": [(t.code, t.name()) for t in themes],
    }


# --- command line -----------------------------------------------------------------------------------


@click.group("search", cls=AppGroup)
def search_cli() -> None:
    """Maintain the search index."""


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the whole search index from the partners and contacts."""
    from ..core.database import write_intent

    with write_intent():
        counts = reindex_all()
        db.session.commit()
    click.echo("Search index rebuilt: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
