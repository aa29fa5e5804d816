"""The automatic checks shown to the working group on each application (policy §8.2; DOMAIN §5.2), and the
possible duplicates among other applications and the portfolio's projects (DOMAIN §5.1 step 10: "avoids
duplication both among partnership projects and with Rise's own projects").

The checks themselves are the pure rules in `rules.py`; this module feeds them from the database.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from werkzeug.routing import BuildError

from ..directory.models import Partner
from ..extensions import db
from . import rules
from .models import ApplicantForm, Application, Project, ProjectOwner
from .rules import Check

# Duplicate candidates: applications submitted within this many days before (and any time after) this one,
# at most CANDIDATES of them (the newest first), and every portfolio project (a few hundred at most).
WINDOW = timedelta(days=3 * 365)
CANDIDATES = 3000
MIN_SCORE = 0.3  # below this the texts share little more than the vocabulary every application uses
NAME_WEIGHT = 0.4  # the score blends the project names' similarity with that of name + description
TEXT_CHARS = 3000  # only the start of a long description is compared (enough to tell projects apart)
SHORTLIST = 100  # candidates scored in full, chosen by the words they share with the application
PREFIX = 5
FIRST_LOOK_CHARS = 1500


def partner_check(application: Application) -> Check:
    """How the applicant was linked to the partner directory: matched by business ID, or a pending partner."""
    partner = application.partner
    code, rule = "partner_match", rules.RULE_PARTNER
    if partner is None:
        if application.applicant_form is ApplicantForm.PRIVATE_PERSON:
            return Check(code, "info", _l("A private person is not entered in the partner directory."), rule)
        return Check(code, "attention", _l("The applicant is not linked to a partner in the directory."), rule)
    if not partner.active:
        return Check(code, "info", _l("Created as a pending partner “%(name)s”: activate it on the partner page "
                                      "when the partnership is accepted.", name=partner.name_fi), rule)
    if application.business_id and partner.business_id == application.business_id:
        return Check(code, "ok", _l("Matched to the partner “%(name)s” by business ID.", name=partner.name_fi),
                     rule)
    return Check(code, "ok", _l("Linked to the partner “%(name)s”.", name=partner.name_fi), rule)


def run_checks(application: Application) -> list[Check]:
    """Every automatic check of the application, in the order of the policy's criteria, each citing its rule."""
    return [
        rules.applicant_eligibility(application.applicant_form),
        rules.need_stated(application.need),
        rules.unit_cooperation(len(application.units)),
        rules.prison_work(application.prison_work),
        rules.e_services(application.e_services),
        partner_check(application),
    ]


@dataclass(frozen=True)
class Duplicate:
    """A possibly overlapping application or portfolio project, with its similarity score (0..1)."""

    kind: Literal["application", "project"]
    id: int
    title: str
    organisation: str
    score: float
    url: str


def _url(endpoint: str, path: str, **values: Any) -> str:
    """The page of a candidate; the fixed path (DESIGN: stable URLs) outside a request or before the page exists."""
    if has_request_context():
        try:
            return url_for(endpoint, **values)
        except BuildError:
            pass
    return path


def _text(name: str | None, description: str | None) -> str:
    return f"{name or ''}\n{(description or '')[:TEXT_CHARS]}"


_PREFIX = re.compile(rf"\b\w{{3,{PREFIX}}}")  # the beginning of each word of three letters or more


def _prefixes(text: str) -> frozenset[str]:
    """A cheap first look at a text: the first PREFIX letters of its words (enough to meet most inflections)."""
    return frozenset(_PREFIX.findall(text[:FIRST_LOOK_CHARS].casefold()))


@dataclass(frozen=True)
class _Candidate:
    kind: Literal["application", "project"]
    id: int
    title: str
    organisation: str
    description: str
    url: str


def _candidates(application: Application) -> list[_Candidate]:
    """Recent applications other than this one, and every portfolio project not made from it (two queries)."""
    found: list[_Candidate] = []
    stmt = (select(Application.id, Application.project_name, func.substr(Application.description, 1, TEXT_CHARS),
                   Application.organisation_name)
            .order_by(Application.submitted_at.desc(), Application.id.desc()).limit(CANDIDATES))
    if application.id is not None:
        stmt = stmt.where(Application.id != application.id)
    if application.submitted_at is not None:
        stmt = stmt.where(Application.submitted_at >= application.submitted_at - WINDOW)
    for row_id, name, description, organisation in db.session.execute(stmt):
        found.append(_Candidate("application", row_id, name, organisation, description or "",
                                _url("applications.detail", f"/applications/{row_id}", application_id=row_id)))
    partner = aliased(Partner)
    projects = (select(Project.id, Project.name, func.substr(Project.description, 1, TEXT_CHARS), Project.owner,
                       partner.name_fi)
                .outerjoin(partner, Project.partner_id == partner.id).order_by(Project.id.desc()).limit(CANDIDATES))
    if application.id is not None:
        projects = projects.where((Project.application_id != application.id) | Project.application_id.is_(None))
    for row_id, title, text, owner, partner_name in db.session.execute(projects):
        owner_name = partner_name or (str(_l("Rise's own project")) if owner == ProjectOwner.RISE else "")
        found.append(_Candidate("project", row_id, title, owner_name, text or "",
                                _url("applications.project", f"/portfolio/{row_id}", project_id=row_id)))
    return found


def possible_duplicates(application: Application, limit: int = 5) -> list[Duplicate]:
    """Other applications (any applicant) and portfolio projects (Rise's own and partners') most like this one.

    Score = NAME_WEIGHT × similarity of the project names + (1 − NAME_WEIGHT) × similarity of name and
    description (`rules.similarity`); candidates scoring under MIN_SCORE are left out; ties go to the newer.
    To stay fast with thousands of candidates, only the SHORTLIST sharing the most word beginnings with this
    application are scored in full.
    """
    own_text = _text(application.project_name, application.description)
    name_profile = rules.profile(application.project_name or "")
    text_profile = rules.profile(own_text)
    own_prefixes = _prefixes(own_text)
    if not text_profile or not own_prefixes:
        return []
    first_look = []
    for candidate in _candidates(application):
        prefixes = _prefixes(_text(candidate.title, candidate.description))
        shared = len(own_prefixes & prefixes)
        if shared:
            first_look.append((shared / math.sqrt(len(own_prefixes) * len(prefixes)), candidate))
    first_look.sort(key=lambda item: (-item[0], item[1].kind, -item[1].id))
    found: list[Duplicate] = []
    for _rough, c in first_look[:SHORTLIST]:
        value = round(NAME_WEIGHT * rules.cosine(name_profile, rules.profile(c.title))
                      + (1 - NAME_WEIGHT) * rules.cosine(text_profile, rules.profile(_text(c.title, c.description))),
                      6)
        if value >= MIN_SCORE:
            found.append(Duplicate(c.kind, c.id, c.title, c.organisation, value, c.url))
    found.sort(key=lambda d: (-d.score, d.kind, -d.id))
    return found[:limit]
