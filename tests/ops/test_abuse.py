"""Abuse suite (issue 8): every field of every form gets hostile values; no answer is a server error, and the
text a form accepts is stored exactly as sent (after only the normalisation the form declares).

The forms are found by crawling, not listed: with the demo data loaded, a user holding every role (and an
anonymous visitor) follows every link from every GET route without URL parameters, and every <form> of the
pages reached is parsed with the values it rendered. A few states no link leads to (a pending second-factor
step, an import upload, a confirmation link …) are made explicitly in `_explicit_states`. Each form is then
sent back once per field and hostile value, every other field as rendered.
"""

from __future__ import annotations

import io
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from registry import create_app
from registry.config import ROLES
from registry.core.models import utcnow
from registry.core.services import create_user, unit_by_code
from registry.extensions import db
from tests.conftest import PASSWORD, TOTP_SECRET, UserRef, _truncate, csrf_token, login
from tests.ops.hostile import (
    CURATED,
    FORMULAS,
    ROUND_TRIP,
    TEXT_KINDS,
    VEVENT,
    WHOLE_REQUEST,
    Field,
    Form,
    Value,
    encode,
    generated,
    parse_forms,
    path_of,
    values_for,
    with_field,
)

INSTANCES = 3  # forms kept per endpoint and set of fields: other objects' forms, in case one cannot be saved
UNREWARDING = 3  # pages of one endpoint in a row without a new form, after which the crawl leaves it
DOWNLOADS = (".pdf", ".ics", ".csv", ".xlsx", ".vcf", ".json")
GENERATED_EXAMPLES = 2  # hypothesis values per field, on top of the curated ones (derandomized: same every run)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# Fuzzed last (the last test of this file), in this order: they end the session, delete or merge what other
# forms are on, or lock accounts.
DESTRUCTIVE = ("directory.partner_merge", "access.sentence_delete", "access.retention_erase",
               "meetings.member_remove", "transfer.import_cancel", "applications.import_cancel",
               "transfer.import_commit", "auth.token_revoke", "auth.totp_disable", "admin.user_set_active",
               "admin.user_reset_password", "admin.user_end_sessions", "auth.end_other_sessions",
               "auth.change_password", "auth.logout")
NOT_FORMS = {"api.eligibility_assess": "JSON API: tests/ops/test_api_schema.py (schemathesis)"}
MIN_FORMS = 120  # distinct forms (endpoint and fields) the crawl finds: 126 in the demo data today


def _post_endpoints() -> list[str]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "collect"})
    return sorted({r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())} - set(NOT_FORMS))


POST_ENDPOINTS = _post_endpoints()


@dataclass
class Site:
    """The crawled application: its clients by name and the forms found, by the endpoint they send to."""

    app: Flask
    user: UserRef
    clients: dict[str, FlaskClient]
    forms: dict[str, list[Form]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def variants(self, endpoint: str) -> list[list[Form]]:
        """The forms found for the endpoint, grouped by their fields (each group: the same form of other rows)."""
        groups: dict[tuple[str, ...], list[Form]] = {}
        for form in self.forms.get(endpoint, []):
            groups.setdefault(form.signature(), []).append(form)
        return list(groups.values())

    def endpoint(self, url: str, method: str = "GET") -> str | None:
        """The endpoint a URL of this site reaches, or None."""
        try:
            return self.app.url_map.bind("localhost").match(path_of(url).split("?")[0], method=method)[0]
        except (NotFound, MethodNotAllowed, RequestRedirect):
            return None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.extend(v for k, v in attrs if k == "href" and v and v.startswith("/") and v[1:2] != "/")


def _crawl(site: Site, who: str, start: list[str], *, follow: bool = True) -> None:
    """Visit the start URLs (and, with `follow`, every link on the way); record each page's forms.

    Pages of one endpoint are visited until UNREWARDING of them in a row had a shape seen before (the same forms
    and buttons, links to the same endpoints): the variants of a page (an application in each status …), not
    every row of the data."""
    client, unrewarding, visited = site.clients[who], dict[str, int](), set[str]()
    shapes: set[tuple[str, frozenset[Any], frozenset[Any]]] = set()
    queue = deque(start)
    while queue:
        url = queue.popleft().split("#")[0]
        endpoint = site.endpoint(url)
        if url in visited or url.endswith(DOWNLOADS) or endpoint is None or endpoint == "static" \
                or unrewarding.get(endpoint, 0) >= UNREWARDING:
            continue
        visited.add(url)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url} gave {response.status_code}"
        if response.status_code in (301, 302, 303):
            queue.append(path_of(response.headers["Location"]))
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        forms = []
        for form in parse_forms(url, html, who):
            target = site.endpoint(form.action, form.method.upper())
            if target is None:
                continue
            forms.append((target, form.signature(), tuple(o for f in form.fields if f.kind == "button"
                                                            for o in f.options)))
            known = site.forms.setdefault(target, [])
            if sum(f.signature() == form.signature() for f in known) < INSTANCES:
                known.append(form)
        links = _Links()
        links.feed(html)
        shape = (endpoint, frozenset(forms), frozenset(site.endpoint(link) for link in links.found))
        unrewarding[endpoint] = unrewarding.get(endpoint, 0) + 1 if shape in shapes else 0
        shapes.add(shape)
        if follow:
            queue.extend(links.found)


def _explicit_states(site: Site) -> dict[str, list[str]]:
    """States of the data no link leads to, made here; returns the start URLs per client for the crawl."""
    from registry.access.models import ClearanceKind, Person, SecurityClearance
    from registry.applications.models import Application, ApplicationStatus, Reviewer
    from registry.auth.services import create_api_token
    from registry.core.models import User
    from registry.directory.currency import request_confirmation
    from registry.directory.models import Contact, Partner
    from registry.meetings.models import Occurrence, OccurrenceStatus
    from registry.meetings.rules import occurrence_key

    app, user = site.app, site.user
    start: dict[str, list[str]] = {"user": [], "anonymous": [], "pending": ["/login/verify"], "staff": ["/profile"]}
    with app.test_request_context():
        me = db.session.get(User, user.id)
        create_api_token(me, "abuse")  # the profile lists it with a revoke form
        # Our user reviews the application in review (conflicts declared: the review form) and another one
        # (still to declare a conflict of interest).
        in_review = db.session.scalars(select(Application).where(Application.status == ApplicationStatus.IN_REVIEW)
                                       .order_by(Application.id)).first()
        other = db.session.scalars(select(Application).where(Application.status != ApplicationStatus.IN_REVIEW)
                                   .order_by(Application.id)).first()
        db.session.add_all([Reviewer(application=in_review, user_id=me.id, coi_conflict=False,
                                     coi_declared_at=utcnow()), Reviewer(application=other, user_id=me.id)])
        start["user"] += [f"/applications/{in_review.id}/review", f"/applications/{other.id}/conflict"]
        partner = db.session.scalars(select(Partner).order_by(Partner.id)).first()
        clearance = SecurityClearance(partner=partner, kind=ClearanceKind.ORGANISATION, requested_on=date(2026, 1, 5))
        db.session.add(clearance)
        person = db.session.scalars(select(Person).order_by(Person.id)).first()
        person.retention_until = date.today() - timedelta(days=1)  # the retention page offers to erase it
        cancelled = db.session.scalars(select(Occurrence).where(Occurrence.status == OccurrenceStatus.CANCELLED)
                                       ).first()
        contact = db.session.scalars(select(Contact).where(Contact.email.is_not(None)).order_by(Contact.id)).first()
        _request, token = request_confirmation(contact, me)
        staff = create_user(email="abuse-staff@rise.example", name="Staff With Totp", password=PASSWORD,
                            roles=["staff"])
        staff.totp_secret, staff.totp_enabled_at = TOTP_SECRET, utcnow()  # may turn the second factor off
        db.session.commit()
        staff_ref = UserRef(staff.id, staff.email, staff.name, staff.totp_secret)
        assert cancelled is not None, "the demo data has a cancelled meeting (its page offers to restore it)"
        start["user"] += [f"/people/organisations/{clearance.id}", "/people/retention", "/profile",
                          f"/series/{cancelled.series_id}/occurrences/{occurrence_key(cancelled.recurrence_id)}"]
        start["anonymous"].append(f"/confirm/{token}")
    client = site.clients["user"]
    for url, extra in (("/directory/import", {"kind": "partners"}), ("/applications/import", {})):
        response = client.post(url, data={**extra, "csrf_token": csrf_token(client),
                                          "file": (io.BytesIO(_import_csv(url)), "import.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 302, f"upload to {url}: {response.status_code}"
        mapping = path_of(response.headers["Location"])
        (form,) = [f for f in parse_forms(mapping, client.get(mapping).get_data(as_text=True), "user")
                   if f.method == "post" and f.action.endswith(mapping)]
        response = send(site, form)  # the mapping as suggested: on to the preview
        assert response.status_code == 302, f"mapping of {url}: {response.status_code}"
        start["user"] += [mapping, path_of(response.headers["Location"])]
    _password_step(site)
    assert login(site.clients["staff"], staff_ref).status_code == 302
    return start


def _password_step(site: Site) -> None:
    """The "pending" client: past the password, at the second-factor step (which lasts a few minutes)."""
    pending = site.clients["pending"]
    assert pending.post("/login", data={"email": site.user.email, "password": PASSWORD,
                                        "csrf_token": csrf_token(pending)}).status_code == 302


def _import_csv(url: str) -> bytes:
    if url.startswith("/directory"):
        return b"name_fi;business_id;category\nTuontiyhdistys ry;;association\n"
    from tests.applications.test_import import HEADER, ROWS

    return "\n".join([HEADER, ROWS[0]]).encode("utf-8-sig")


@pytest.fixture(scope="module")
def site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
        "TEMPLATES_STRICT": True, "RATELIMIT_ENABLED": False, "JOBS_SYNCHRONOUS": True,
        "DOCUMENT_FOLDER": str(tmp_path_factory.mktemp("documents")),
        "IMPORT_FOLDER": str(tmp_path_factory.mktemp("imports")),
    })
    result = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = create_user(email="abuse@rise.example", name="Abuse Tester", password=PASSWORD, roles=ROLES,
                           home_unit=unit_by_code("ESRSK"))
        user.totp_secret, user.totp_enabled_at = TOTP_SECRET, utcnow()
        db.session.commit()
        ref = UserRef(user.id, user.email, user.name, user.totp_secret)
    site = Site(app, ref, {name: app.test_client() for name in ("user", "anonymous", "pending", "staff")})
    assert login(site.clients["user"], ref).status_code == 302
    start = _explicit_states(site)
    roots = [r.rule for r in app.url_map.iter_rules()
             if not r.arguments and "GET" in (r.methods or ()) and r.endpoint != "static"]
    _crawl(site, "user", start["user"] + roots)
    _crawl(site, "anonymous", start["anonymous"] + roots)
    for who in ("pending", "staff"):
        _crawl(site, who, start[who], follow=False)
    yield site
    with app.app_context():
        _truncate()
        db.engine.dispose()


# --- sending a form ---------------------------------------------------------------------------------------------


def _token(site: Site, who: str) -> str:
    if who not in site.tokens:
        site.tokens[who] = csrf_token(site.clients[who])
    return site.tokens[who]


def send(site: Site, form: Form, name: str | None = None, value: Value | None = None) -> Any:
    """Send the form as rendered, field `name` set to `value`; a file field's value is its file name."""
    who = form.who
    client = site.clients[who]
    pairs = [(k, _token(site, who) if k == "csrf_token" else v) for k, v in form.pairs(name, value)
             if not (k == name and form.field(k).kind == "file")]
    files = {f.name: (value if f.name == name else "a.pdf", PDF) for f in form.fields if f.kind == "file"}
    if form.method == "get":
        body, _type = encode(pairs, multipart=False)
        return client.get(path_of(form.action).split("?")[0] + "?" + body.decode("ascii"))
    body, content_type = encode(pairs, multipart=form.enctype == "multipart/form-data" or bool(files), files=files)
    return client.post(path_of(form.action), data=body, content_type=content_type)


def _sign_in_again(site: Site) -> None:
    """A new session for the abuse user, whose account a form may have changed (its password reset, the account
    deactivated, the second factor turned off): the account is put back first."""
    from registry.auth.services import set_password
    from registry.core.models import User

    with site.app.app_context():
        user = db.session.get(User, site.user.id)
        set_password(user, PASSWORD)
        user.email, user.active, user.totp_secret, user.totp_enabled_at = site.user.email, True, TOTP_SECRET, utcnow()
        db.session.commit()
    site.clients["user"] = site.app.test_client()
    site.tokens.pop("user", None)
    assert login(site.clients["user"], site.user).status_code == 302, "the abuse user can no longer sign in"


def refreshed(site: Site, form: Form) -> Form | None:
    """The same form as its page renders it now (after a change was saved), or None when it is gone."""
    response = site.clients[form.who].get(path_of(form.page))
    if response.status_code != 200:
        return None
    for fresh in parse_forms(form.page, response.get_data(as_text=True), form.who):
        if fresh.action == form.action and fresh.signature() == form.signature():
            return fresh
    return None


def _representatives(form: Form) -> list[Field]:
    """The editable fields, one per repeated row of a field list (criteria-0-name … criteria-7-name)."""
    seen: set[str] = set()
    chosen = []
    for f in form.editable() + [f for f in form.fields if f.kind == "file"]:
        key = re.sub(r"\d+", "#", f.name)  # as in Form.signature
        if key not in seen:
            seen.add(key)
            chosen.append(f)
    return chosen


def submit(site: Site, form: Form, name: str | None, value: Value | None) -> Any:
    """Send the form (see `send`) as the abuse user signed in anew if a form before ended the session."""
    response = send(site, form, name, value)
    if form.who in ("user", "pending") and response.status_code in (302, 303) \
            and path_of(response.headers["Location"]).split("?")[0] == "/login":
        if form.who == "user":  # a form before ended the session or changed the account
            _sign_in_again(site)
        else:  # the second-factor step timed out
            _password_step(site)
        response = send(site, form, name, value)
    return response


def fuzz(site: Site, group: list[Form]) -> None:
    """Every hostile value into every field of a form; each server error goes to `site.failures`.

    The form is the first of the group (the same form of other rows) that is saved as rendered, so that the
    values reach past the other fields' validation. After a change was saved the form is read again from its
    page (a version field, a single-use token); once the form is gone (its object deleted), the rest is skipped.
    """
    state: dict[str, Form | None] = {}

    def one(name: str | None, label: str, value: Value | None) -> int | None:
        current = state["form"]
        if current is None:
            return None
        try:
            response = submit(site, current, name, value)
        except Exception as error:  # noqa: BLE001  (TESTING propagates the exception instead of a 500 page)
            site.failures.append(f"{current.method.upper()} {current.action} {name}={label}: {error!r}")
            return None
        if response.status_code >= 500:
            site.failures.append(f"{current.method.upper()} {current.action} {name}={label}: "
                                 f"{response.status_code}")
        if response.status_code in (302, 303) and current.method == "post":
            state["form"] = refreshed(site, current)
        return int(response.status_code)

    for candidate in group:
        state["form"] = candidate
        if candidate.method == "get" or one(None, "as rendered", None) in (302, 303):
            break
    fields = _representatives(group[0])
    for label in WHOLE_REQUEST if fields else ():
        one(fields[0].name, label, CURATED[label])
    for f in fields:
        for label in values_for(group[0].method, f.kind):
            one(f.name, label, CURATED[label])

    @settings(derandomize=True, max_examples=GENERATED_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(value=generated())
    def generated_values(value: Value) -> None:
        for f in fields:
            if f.kind in TEXT_KINDS:
                one(f.name, f"generated {value!r}", value)

    generated_values()


# --- the tests --------------------------------------------------------------------------------------------------


def test_the_crawl_reaches_every_form(site):
    """Every POST endpoint has a form found by the crawl, and there are at least as many forms as today."""
    missing = [e for e in POST_ENDPOINTS if e not in site.forms]
    assert not missing, f"no form found for {missing}: link to it, or make its state in _explicit_states"
    count = sum(len(site.variants(endpoint)) for endpoint in site.forms)
    assert count >= MIN_FORMS, f"only {count} forms found"


@pytest.mark.parametrize("endpoint", [e for e in POST_ENDPOINTS if e not in DESTRUCTIVE])
def test_hostile_values_never_cause_a_server_error(site, endpoint):
    site.failures.clear()
    for group in site.variants(endpoint):
        fuzz(site, group)
    assert not site.failures, "\n".join(site.failures[:30])


def test_hostile_values_in_search_and_filter_forms(site):
    site.failures.clear()
    for endpoint in site.forms:
        for group in site.variants(endpoint):
            if group[0].method == "get":
                fuzz(site, group)
    assert not site.failures, "\n".join(site.failures[:30])


# --- round trips ------------------------------------------------------------------------------------------------


def transported(form: Form, name: str, value: Value) -> str:
    """What the server receives as the field's text when `value` is sent (werkzeug's own decoding: bytes that
    are not UTF-8 become U+FFFD)."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    body, content_type = encode([(name, value)], multipart=form.enctype == "multipart/form-data")
    return Request(EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()).form[name]


def _form_classes() -> list[type]:
    from flask_wtf import FlaskForm

    found, todo = [], [FlaskForm]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def declared_filters(form: Form, name: str) -> list[Any]:
    """The filters the form class declares for the field: the form's documented normalisation. The class is
    the one whose fields match the rendered form best."""
    from wtforms.fields.core import UnboundField

    rendered = {f.name for f in form.fields}
    best: tuple[float, list[Any]] | None = None
    for cls in _form_classes():
        fields = {k: v for klass in reversed(cls.__mro__) for k, v in vars(klass).items()
                  if isinstance(v, UnboundField)}
        if name in fields:
            score = len(rendered & set(fields)) / len(rendered | set(fields))
            if best is None or score > best[0]:
                best = (score, list(fields[name].kwargs.get("filters", ())))
    assert best is not None, f"no form class has a field {name}"
    return best[1]


def expected_text(form: Form, name: str, value: Value) -> str:
    """The text the form must store: what arrived, through the field's declared filters, ends trimmed (every
    view and service trims what it stores; fields without a filter of their own are trimmed there)."""
    text: Any = transported(form, name, value)
    for normalise in declared_filters(form, name):
        text = normalise(text)
    return str(text).strip()


def _keyword_set(text: str) -> set[str]:
    from registry.directory.services import keywords_from_text

    return set(keywords_from_text(text))


# Fields whose text the service turns into something else, by the rule its docstring gives: (what the page shows,
# what was sent) -> the same data. Competence keywords are a list (comma-separated, lower case, unique) shown
# in the order of the keyword index.
SERVICE_RULES = {"keywords": lambda shown, sent: _keyword_set(shown) == _keyword_set(sent)}


def saved_as_rendered(site: Site, group: list[Form]) -> Form | None:
    """The first form of the group that is saved as rendered, read again from its page; None if none is."""
    for crawled in group:
        form = refreshed(site, crawled)  # as it is now: an earlier test may have changed it
        if form is not None and submit(site, form, None, None).status_code in (302, 303):
            return refreshed(site, form)
    return None


EDIT_ENDPOINTS = [e for e in POST_ENDPOINTS if e.endswith("edit")]


@pytest.mark.parametrize("endpoint", EDIT_ENDPOINTS)
def test_stored_text_round_trips_exactly(site, endpoint):
    """Every text field of every edit page: a hostile text either is saved and shown back exactly as sent (after
    the field's declared filters), or is refused with a message next to the field and nothing saved."""
    problems: list[str] = []
    for group in site.variants(endpoint):
        form = saved_as_rendered(site, group)
        assert form is not None, f"no form of {endpoint} can be saved as rendered ({[f.page for f in group]})"
        saved = 0
        for name in [f.name for f in form.fields if f.kind in TEXT_KINDS - {"password"}]:
            for label in ROUND_TRIP:
                value, before = CURATED[label], form.field(name)
                response = submit(site, form, name, value)
                fresh = refreshed(site, form)
                assert fresh is not None, f"{form.page} no longer shows its form"
                (stored,) = fresh.field(name).values
                if response.status_code in (302, 303):
                    saved += 1
                    expected = expected_text(form, name, value)
                    same = SERVICE_RULES[name](stored, expected) if name in SERVICE_RULES else stored == expected
                    if not same:
                        problems.append(f"{endpoint} {name}={label}: stored {stored!r}, expected {expected!r}")
                else:
                    if f'id="{before.id}-error"' not in response.get_data(as_text=True):
                        problems.append(f"{endpoint} {name}={label}: refused ({response.status_code}) "
                                        f"without a message next to the field")
                    if [stored] != before.values:
                        problems.append(f"{endpoint} {name}={label}: refused, yet {stored!r} was stored")
                form = fresh
        assert saved or not any(f.kind in TEXT_KINDS for f in form.fields), f"{endpoint}: no text was saved"
    assert not problems, "\n".join(problems)


def _saved(site: Site, endpoint: str, values: dict[str, Value]) -> tuple[Form, Any]:
    """Save the first form of the endpoint that can be saved, with these field values; returns the form as
    its page now shows it and the response (a redirect to where the object is shown)."""
    form = saved_as_rendered(site, site.variants(endpoint)[0])
    assert form is not None, f"no form of {endpoint} can be saved as rendered"
    for name, value in values.items():
        form = with_field(form, name, [value])  # type: ignore[list-item]
    response = submit(site, form, None, None)
    assert response.status_code in (302, 303), f"{endpoint} refused {values}: {response.status_code}"
    fresh = refreshed(site, form)
    assert fresh is not None
    return fresh, response


MARKUP = {"xss-script": "<script>alert(1)", "xss-attribute": "<img src=x onerror"}


@pytest.mark.parametrize("endpoint", EDIT_ENDPOINTS)
def test_stored_markup_is_shown_escaped(site, endpoint):
    """Markup saved in every text field of an edit page appears escaped on the page the save leads to, on the
    edit page itself and on every list page."""
    form = saved_as_rendered(site, site.variants(endpoint)[0])
    assert form is not None
    texts = [f.name for f in form.fields if f.kind in TEXT_KINDS - {"password"}]
    for label, raw in MARKUP.items():
        saved: dict[str, Value] = {}
        for name in texts:  # the fields that accept the markup, all at once
            response = submit(site, with_field(form, name, [CURATED[label]]), None, None)  # type: ignore[list-item]
            if response.status_code in (302, 303):
                saved[name] = CURATED[label]
        if not saved:
            continue
        fresh, response = _saved(site, endpoint, saved)
        for url in (path_of(response.headers["Location"]), path_of(fresh.page)):
            html = site.clients[fresh.who].get(url).get_data(as_text=True)
            assert raw not in html, f"{label} from {endpoint} {sorted(saved)} unescaped on {url}"
        assert all(fresh.field(name).values == [CURATED[label]] for name in saved)


def test_stored_markup_is_escaped_on_every_list_page(site):
    """After the round trips and the markup tests, no page without URL parameters shows markup unescaped."""
    for rule in site.app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()) or rule.rule.endswith(DOWNLOADS) \
                or rule.endpoint == "static":
            continue
        response = site.clients["user"].get(rule.rule, follow_redirects=True)
        if response.mimetype != "text/html":
            continue  # JSON and files are not rendered by a browser
        html = response.get_data(as_text=True)
        for label, raw in MARKUP.items():
            assert raw not in html, f"{label} unescaped on {rule.rule}"


def _vevents(ics: bytes) -> list[str]:
    """The VEVENT blocks of an iCalendar file, unfolded, as text."""
    text = ics.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")
    return re.findall(r"^BEGIN:VEVENT\r\n.*?^END:VEVENT\r\n", text, re.S | re.M)


def test_line_breaks_cannot_add_calendar_events(site):
    """A series whose title, place and agenda carry CR/LF and a VEVENT of their own exports exactly one
    event per series (plus one per moved meeting), in the series' and the network's calendars."""
    from icalendar import Calendar

    from registry.meetings.models import MeetingSeries

    injected = {"title": VEVENT, "location": VEVENT, "agenda": VEVENT}
    form, _response = _saved(site, "meetings.series_edit", injected)
    series_id = int(re.search(r"/series/(\d+)/", form.page).group(1))  # type: ignore[union-attr]
    with site.app.app_context():
        series = db.session.get(MeetingSeries, series_id)
        network_series = len(series.network.series)
        network_id = series.network_id
    client = site.clients["user"]
    for url, masters in ((f"/series/{series_id}/calendar.ics", 1), (f"/networks/{network_id}/calendar.ics",
                                                                    network_series)):
        response = client.get(url)
        assert response.status_code == 200, url
        events = _vevents(response.data)
        assert len([e for e in events if "RECURRENCE-ID" not in e]) == masters, url
        assert not re.search(r"^SUMMARY:x\r$", response.data.decode(), re.M), "an injected line in " + url
        parsed = Calendar.from_ical(response.data).walk("VEVENT")
        assert len(parsed) == len(events) == response.data.split(b"\r\n").count(b"BEGIN:VEVENT"), url
        titles = {str(e["SUMMARY"]) for e in parsed if str(e["UID"]) == series.uid}
        # The whole title, as text; calendars carry line breaks as LF (core.ics.clean_text).
        assert titles == {expected_text(form, "title", VEVENT).replace("\r\n", "\n")}, url


EXPORTS = {  # edit form: (text fields that reach the export, the exports)
    "directory.partner_edit": (("name_fi", "name_sv", "name_en", "legal_form"),
                               ("/directory/partners.csv?active=all", "/directory/partners.xlsx?active=all")),
    "directory.contact_edit": (("name", "title", "keywords"),
                               ("/directory/contacts.csv?active=all", "/directory/contacts.xlsx?active=all")),
    "agreements.edit": (("name_fi", "name_sv", "name_en", "dnro"),
                        ("/agreements/export.csv", "/agreements/export.xlsx")),
    "applications.edit": (("organisation_name", "project_name"),
                          ("/applications/export.csv", "/applications/export.xlsx")),
}


@pytest.mark.parametrize("endpoint", sorted(EXPORTS))
def test_exports_never_run_formulas(site, endpoint):
    """Formula triggers saved in the texts that reach the CSV and XLSX exports come out as text: the CSV cell
    gets an apostrophe in front (directory.exports.csv_cell), the XLSX cell is a string with Excel's quote
    prefix."""
    import csv

    from openpyxl import load_workbook

    fields, exports = EXPORTS[endpoint]
    sent = dict(zip(fields, FORMULAS[::-1], strict=False))
    form, _response = _saved(site, endpoint, sent)
    stored = [expected_text(form, name, value) for name, value in sent.items()]
    stored = [s.lower() if name == "keywords" else s for name, s in zip(fields, stored, strict=True)]
    client = site.clients["user"]
    csv_cells = [c for row in csv.reader(io.StringIO(client.get(exports[0]).data.decode("utf-8-sig")),
                                         delimiter=";") for c in row]
    workbook = load_workbook(io.BytesIO(client.get(exports[1]).data))
    xlsx_cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
    for value in stored:
        assert "'" + value in csv_cells, f"{value!r} not neutralised in {exports[0]}"
        assert value not in csv_cells, f"{value!r} runs as a formula in {exports[0]}"
        found = [c for c in xlsx_cells if c.value == value]
        assert found, f"{value!r} missing from {exports[1]}"
        assert all(c.data_type == "s" and c.quotePrefix for c in found), f"{value!r} is a formula in {exports[1]}"


def test_the_public_application_form_stores_text_exactly(site):
    """The public application form (signed out): each hostile text is stored exactly as its filters make it
    (clean_line, clean_text), or refused next to the field with nothing stored."""
    from sqlalchemy import func

    from registry.applications.models import Application
    from registry.applications.public_forms import issue_token

    form = site.variants("applications.apply")[0][0]
    year = date.today().year
    answers = {  # a person's answers (the units: the first offered; earlier tests may have renamed the demo's)
        "organisation_name": "Uusi Polku ry", "applicant_form": "association", "business_id": "1572860-0",
        "address": "Polkutie 3\n00100 Helsinki", "contact_name": "Ville Virtanen",
        "contact_email": "ville.virtanen@uusipolku.example", "contact_phone": "040 123 4567",
        "project_name": "Polku vapauteen", "description": "Tukea vapautuville.", "need": "Tukiverkosto puuttuu.",
        "target_groups": "Vapautuvat vangit", "units": form.field("units").options[0],
        "planned_start": f"{year + 1}-01-01", "planned_end": f"{year + 2}-12-31", "funder": "other",
        "funder_other": "Kunta", "funding_round": "2027", "prison_work": "no", "e_services": "no", "consent": "y",
    }
    for name, value in answers.items():
        form = with_field(form, name, [value])

    def count() -> int:
        with site.app.app_context():
            return db.session.scalar(select(func.count()).select_from(Application)) or 0

    problems, saved = [], 0
    for f in [f for f in form.fields if f.kind in TEXT_KINDS and hasattr(Application, f.name)]:
        for label in ROUND_TRIP:
            form = with_field(form, "form_token", [issue_token(site.app.secret_key, time.time() - 60)])
            before = count()
            response = submit(site, form, f.name, CURATED[label])
            if response.status_code in (302, 303):
                saved += 1
                with site.app.app_context():
                    stored = getattr(db.session.scalars(select(Application).order_by(Application.id.desc())).first(),
                                     f.name)
                expected = expected_text(form, f.name, CURATED[label])
                if stored != expected:
                    problems.append(f"{f.name}={label}: stored {stored!r}, expected {expected!r}")
            else:
                if f'id="{f.id}-error"' not in response.get_data(as_text=True):
                    problems.append(f"{f.name}={label}: refused ({response.status_code}) without a message")
                if count() != before:
                    problems.append(f"{f.name}={label}: refused, yet stored")
    assert saved >= len(ROUND_TRIP), f"only {saved} applications were saved"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("endpoint", [e for e in DESTRUCTIVE if e in POST_ENDPOINTS])
def test_hostile_values_in_destructive_forms(site, endpoint):
    """Last: forms that delete, merge, erase, revoke or end sessions (the abuse user is signed in again)."""
    test_hostile_values_never_cause_a_server_error(site, endpoint)
