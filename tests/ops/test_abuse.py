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
    TEXT_KINDS,
    WHOLE_REQUEST,
    Field,
    Form,
    Value,
    encode,
    generated,
    parse_forms,
    path_of,
    values_for,
)

UNREWARDING = 3  # pages of one endpoint in a row without a new form, after which the crawl leaves it
DOWNLOADS = (".pdf", ".ics", ".csv", ".xlsx", ".vcf", ".json")
GENERATED_EXAMPLES = 2  # hypothesis values per field, on top of the curated ones (derandomized: same every run)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# Run last, in this order: they end the session, delete or merge what other forms are on, or lock accounts.
DESTRUCTIVE = ("directory.partner_merge", "access.sentence_delete", "access.retention_erase",
               "meetings.member_remove", "transfer.import_cancel", "applications.import_cancel",
               "transfer.import_commit", "auth.token_revoke", "auth.totp_disable", "admin.user_set_active",
               "admin.user_reset_password", "admin.user_end_sessions", "auth.end_other_sessions",
               "auth.change_password", "auth.logout")
NOT_FORMS = {"api.eligibility_assess": "JSON API: tests/ops/test_api_schema.py (schemathesis)"}
MIN_FORMS = 80  # distinct forms the crawl finds today (POST and GET); it must not quietly shrink


def _post_endpoints() -> list[str]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "collect"})
    found = sorted({r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())} - set(NOT_FORMS))
    return [e for e in found if e not in DESTRUCTIVE] + [e for e in DESTRUCTIVE if e in found]


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
        for form in parse_forms(url, html):
            target = site.endpoint(form.action, form.method.upper())
            if target is None:
                continue
            forms.append((target, form.signature(), tuple(o for f in form.fields if f.kind == "button"
                                                            for o in f.options)))
            if all(f.signature() != form.signature() for f in site.forms.get(target, [])):
                form.who = who  # type: ignore[attr-defined]
                site.forms.setdefault(target, []).append(form)
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
        start["user"] += [f"/people/organisations/{clearance.id}", "/people/retention", "/profile"]
        if cancelled is not None:
            start["user"].append(f"/series/{cancelled.series_id}/occurrences/{occurrence_key(cancelled.recurrence_id)}")
        start["anonymous"].append(f"/confirm/{token}")
    client = site.clients["user"]
    for url, extra in (("/directory/import", {"kind": "partners"}), ("/applications/import", {})):
        response = client.post(url, data={**extra, "csrf_token": csrf_token(client),
                                          "file": (io.BytesIO(_import_csv(url)), "import.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 302, f"upload to {url}: {response.status_code}"
        mapping = path_of(response.headers["Location"])
        (form,) = [f for f in parse_forms(mapping, client.get(mapping).get_data(as_text=True)) if f.method == "post"
                   and f.action.endswith(mapping)]
        form.who = "user"  # type: ignore[attr-defined]
        response = send(site, form)  # the mapping as suggested: on to the preview
        assert response.status_code == 302, f"mapping of {url}: {response.status_code}"
        start["user"] += [mapping, path_of(response.headers["Location"])]
    pending = site.clients["pending"]
    assert pending.post("/login", data={"email": user.email, "password": PASSWORD,
                                        "csrf_token": csrf_token(pending)}).status_code == 302
    assert login(site.clients["staff"], staff_ref).status_code == 302
    return start


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
    started = time.monotonic()
    start = _explicit_states(site)
    roots = [r.rule for r in app.url_map.iter_rules()
             if not r.arguments and "GET" in (r.methods or ()) and r.endpoint != "static"]
    _crawl(site, "user", start["user"] + roots)
    _crawl(site, "anonymous", start["anonymous"] + roots)
    for who in ("pending", "staff"):
        _crawl(site, who, start[who], follow=False)
    site.crawl_seconds = time.monotonic() - started  # type: ignore[attr-defined]
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
    who = form.who  # type: ignore[attr-defined]
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
    response = site.clients[form.who].get(path_of(form.page))  # type: ignore[attr-defined]
    if response.status_code != 200:
        return None
    for fresh in parse_forms(form.page, response.get_data(as_text=True)):
        if fresh.action == form.action and fresh.signature() == form.signature():
            fresh.who = form.who  # type: ignore[attr-defined]
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
    if form.who == "user" and response.status_code in (302, 303) \
            and path_of(response.headers["Location"]).startswith("/login"):  # type: ignore[attr-defined]
        _sign_in_again(site)
        response = send(site, form, name, value)
    return response


def fuzz(site: Site, form: Form) -> None:
    """Every hostile value into every field of the form; each server error goes to `site.failures`. After a
    change was saved the form is read again from its page (a version field, a single-use token); once the
    form is gone (its object deleted), the rest is skipped."""
    state: dict[str, Form | None] = {"form": form}

    def one(name: str | None, label: str, value: Value | None) -> None:
        current = state["form"]
        if current is None:
            return
        try:
            response = submit(site, current, name, value)
        except Exception as error:  # noqa: BLE001  (TESTING propagates the exception instead of a 500 page)
            site.failures.append(f"{current.method.upper()} {current.action} {name}={label}: {error!r}")
            return
        if response.status_code >= 500:
            site.failures.append(f"{current.method.upper()} {current.action} {name}={label}: "
                                 f"{response.status_code}")
        if response.status_code in (302, 303) and current.method == "post":
            state["form"] = refreshed(site, current)

    one(None, "as rendered", None)
    fields = _representatives(form)
    for label in WHOLE_REQUEST if fields else ():
        one(fields[0].name, label, CURATED[label])
    for f in fields:
        for label in values_for(form.method, f.kind):
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
    count = sum(len(forms) for forms in site.forms.values())
    assert count >= MIN_FORMS, f"only {count} forms found"


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_values_never_cause_a_server_error(site, endpoint):
    site.failures.clear()
    for form in site.forms.get(endpoint, []):
        fuzz(site, form)
    assert not site.failures, "\n".join(site.failures[:30])


def test_hostile_values_in_search_and_filter_forms(site):
    site.failures.clear()
    for forms in site.forms.values():
        for form in forms:
            if form.method == "get":
                fuzz(site, form)
    assert not site.failures, "\n".join(site.failures[:30])
