"""Project-partnership demo data: applications in every state and the project portfolio.

`load_applications_demo()` needs the reference data (units, themes, the seeded criteria), the demo users and the
directory demo. It adds fictional applications from the directory's demo partners and from new organisations
(pending partners): new ones waiting for their checks, one from a for-profit company (ineligible), a pair of
likely duplicates, one in review, reviewed ones scored by three working-group members against the seeded
criteria (one with visible dissent), statements with their letters (PDF documents), funding granted and denied,
a withdrawn and a rejected one; the funded projects in the portfolio with follow-ups submitted and overdue, an
ended project waiting for its evaluation and an evaluated one; and Rise's own development projects.

Everything is dated relative to today (Helsinki). Applications are recognised by their project name and own
projects by their name, so a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from ..core.documents import store_document
from ..core.models import User, utcnow
from ..core.services import unit_by_code, user_by_email
from ..directory.demo import with_check_digit
from ..directory.models import Partner, Theme
from ..directory.rules import fold
from ..extensions import db
from ..i18n import HELSINKI
from ..i18n import today as helsinki_today
from . import criteria, followups, intake, portfolio
from .models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    FollowUp,
    FundingOutcome,
    Project,
    ProjectOwner,
    Recommendation,
    Review,
    Reviewer,
    ReviewMeeting,
    ReviewScore,
    StatementKind,
)

S = ApplicationStatus
REVIEWERS = ("tiina.tyoryhma@demo.rise.example", "pekka.puolto@demo.rise.example",
             "riitta.arvioija@demo.rise.example")
MEETING = "Projektikumppanuustyöryhmän kokous"
SIGNATORY = "Tiina Työryhmä\nProjektikumppanuustyöryhmän puheenjohtaja"


@dataclass
class Plan:
    """One demo application and what happened to it."""

    project_name: str
    organisation: str  # a directory demo partner's Finnish name, or a new organisation
    form: str
    status: ApplicationStatus
    description: str
    days_ago: int  # when it was received
    units: tuple[str, ...] = ("HELV",)
    themes: tuple[str, ...] = ()
    funder: str = "stea"
    language: str = "fi"
    start_months: int = 4  # planned start, months after receipt
    months: int = 24  # planned length
    prison_work: bool = False
    e_services: bool = False
    business_number: int | None = None  # a new organisation's business ID (seven digits; the check digit added)
    reviews: int = 0  # submitted reviews (of three reviewers)
    base_score: int = 4
    dissent: bool = False
    statement: StatementKind | None = None
    funding: FundingOutcome | None = None
    responsible: str = "sami.sihvonen@demo.rise.example"
    overdue: bool = False  # the latest follow-up is overdue
    ended: bool = False
    evaluated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


HOUSING = ("Hanke tukee vankilasta vapautuvia asunnon hankinnassa ja asumisen alkuvaiheessa: tukiasunnot, "
           "asumisen ohjaus ja yhteistyö vankilan sosiaalityön kanssa ennen vapautumista.")
PLANS = [
    Plan("Digiosallisuutta vapautuville", "Digitaidot kaikille ry", "association", S.RECEIVED,
         "Vapautuville vangeille opetetaan sähköisen asioinnin taitoja: pankkitunnukset, Kela ja työnhaku "
         "verkossa. Ohjaajat käyvät vankilassa ennen vapautumista.", 2, e_services=True, business_number=9930001,
         themes=("education_work",)),
    Plan("Ut ur fängelset – stöd på svenska", "Föreningen Steg för steg rf", "association", S.RECEIVED,
         "Svenskspråkigt stöd för personer som friges: kamratstöd, boende och arbetsliv i Västra Finland.", 5,
         units=("VAAV", "VAAYKS"), funder="esr", language="sv", prison_work=True, themes=("housing",)),
    Plan("Vankilatyön henkilöstöpalvelut", "Turvapalvelu Vartija Oy", "company", S.RECEIVED,
         "Yritys tarjoaa vuokratyövoimaa vankiloiden työtoimintaan ja ohjaajapalveluja maksua vastaan.", 3,
         units=("RIIV",), funder="other", business_number=9930002, extra={"funder_other": "Oma rahoitus"}),
    Plan("Vapautuvien asumisen tukipolku", "Vapautuvien asumisyhdistys Kotipolku ry", "association",
         S.ELIGIBILITY_CHECKED, HOUSING, 20, units=("TURV", "TURYKS"), themes=("housing",)),
    Plan("Asumisen tukipolku vapautuville vangeille", "Asumisensa turvaksi ry", "association", S.RECEIVED,
         HOUSING.replace("Hanke tukee", "Tavoitteena on tukea"), 6, units=("TURV",), business_number=9930003,
         themes=("housing",)),
    Plan("Päihteetön arki -vertaisryhmät", "Päihdetyön kehittämisyhdistys Kivijalka ry", "association",
         S.IN_REVIEW, "Vertaisryhmiä päihteettömyyden tueksi Pirkanmaan yhdyskuntaseuraamustoimistojen "
                      "asiakkaille, vapaaehtoiset ohjaajat koulutetaan.", 45, units=("TREYKS",),
         themes=("substance_mental",), reviews=2),
    Plan("Läheisten tuki vankeuden aikana", "Läheisverkosto Sylikkö ry", "association", S.STATEMENT_GIVEN,
         "Vankien läheisille ryhmiä ja neuvontaa sekä tapaamisten valmistelua yhdessä vankilan kanssa.", 75,
         units=("HELV", "VANV"), themes=("loved_ones",), reviews=3, statement=StatementKind.FAVOURABLE),
    Plan("Kokemusasiantuntijat vankiloihin", "Kokemusasiantuntijatoiminnan tukiyhdistys ry", "association",
         S.STATEMENT_GIVEN, "Koulutetut kokemusasiantuntijat tukevat vankeja vapautumisen valmistelussa.", 80,
         units=("KERV", "HAMV"), themes=("experts_by_experience",), reviews=3, base_score=3, dissent=True,
         prison_work=True, statement=StatementKind.CONDITIONAL, language="sv"),
    Plan("Velkaneuvonnan verkkopalvelu", "Velkaneuvonnan tukiyhdistys Kolikko ry", "association",
         S.FUNDING_DECIDED, "Verkossa toimiva velkaneuvonta vapautuville ja yhdyskuntaseuraamusasiakkaille.", 200,
         units=("HELYKS",), e_services=True, reviews=3, statement=StatementKind.FAVOURABLE,
         funding=FundingOutcome.DENIED),
    Plan("Nuorten harrastuspolku rikoskierteen katkaisuun", "Vapautuvien asumisyhdistys Kotipolku ry",
         "association", S.FUNDING_DECIDED, "Nuorille yhdyskuntaseuraamusasiakkaille harrastuksia ja mentorit.",
         120, units=("TURYKS",), themes=("youth_child_welfare", "crime_prevention"), start_months=6, reviews=3,
         statement=StatementKind.FAVOURABLE, funding=FundingOutcome.GRANTED, responsible=REVIEWERS[2]),
    Plan("Kuntoutuspolku vapautuville", "Päihdekuntoutussäätiö sr", "foundation", S.RUNNING,
         "Laitoskuntoutuksesta avokuntoutukseen: jatkumo vankilasta vapautuville päihdekuntoutujille.", 560,
         units=("HELV",), themes=("substance_mental", "rehabilitation"), start_months=5, months=30, reviews=3,
         base_score=5, prison_work=True, statement=StatementKind.FAVOURABLE, funding=FundingOutcome.GRANTED,
         overdue=True),
    Plan("Työelämävalmiudet vankilassa", "Kansanopisto Tuulimylly", "educational_institution", S.RUNNING,
         "Opintoja ja työelämävalmennusta Turun vankilassa; todistukset opintojen jatkamiseksi vapautumisen "
         "jälkeen.", 330, units=("TURV",), themes=("education_work",), funder="esr", start_months=4, reviews=3,
         statement=StatementKind.CONDITIONAL, funding=FundingOutcome.GRANTED, responsible=REVIEWERS[2]),
    Plan("Vertaistuki yhdyskuntaseuraamuksissa", "Päihdetyön kehittämisyhdistys Kivijalka ry", "association",
         S.ENDED, "Vertaisohjaajat tukivat yhdyskuntapalvelua suorittavia.", 1000, units=("TREYKS",),
         start_months=4, months=24, reviews=3, statement=StatementKind.FAVOURABLE, funding=FundingOutcome.GRANTED,
         responsible="juha.johtaja@demo.rise.example", ended=True),
    Plan("Vankilaopetuksen digiloikka", "Järvilaakson ammattiopisto", "educational_institution", S.EVALUATED,
         "Etäopetuksen välineet ja mallit vankilaopetukseen turvallisesti suljetussa verkossa.", 1200,
         units=("HAMV", "RIIV"), themes=("education_work",), funder="esr", start_months=4, months=24, reviews=3,
         e_services=True, statement=StatementKind.FAVOURABLE, funding=FundingOutcome.GRANTED,
         responsible="juha.johtaja@demo.rise.example", ended=True, evaluated=True),
    Plan("Liikuntaryhmät vankiloihin", "Liikkuva vapaus ry", "association", S.WITHDRAWN,
         "Liikuntaryhmiä vankiloihin vapaaehtoisvoimin.", 60, units=("SUOV",), business_number=9930004),
    Plan("Vertaisryhmä omalla kustannuksella", "Matti Meikäläinen", "private_person", S.REJECTED,
         "Yksityishenkilö haluaa ohjata vertaisryhmää vankilassa.", 90, units=("OULV",), funder="other",
         extra={"funder_other": "Ei rahoitusta"}),
]

OWN_PROJECTS: list[dict[str, Any]] = [  # Rise's own development projects (DOMAIN §5.1 step 7)
    {"name": "Vankien digiosallisuuden kehittäminen", "unit": "PROJ", "months_ago": 3, "months": 24,
     "responsible": REVIEWERS[0], "themes": ("education_work",),
     "description": "Rikosseuraamuslaitoksen oma hanke: vankien sähköisen asioinnin ja digitaitojen "
                    "kehittäminen turvallisesti vankiloissa."},
    {"name": "Kokemusasiantuntijuuden vakiinnuttaminen", "unit": "RISE-KEOH", "months_ago": -1, "months": 18,
     "responsible": REVIEWERS[1], "themes": ("experts_by_experience",),
     "description": "Kokemusasiantuntijoiden käytön yhtenäiset toimintatavat kaikkiin rikosseuraamuskeskuksiin."},
]


def _people() -> dict[str, User]:
    found: dict[str, User] = {}
    emails: set[str] = {*REVIEWERS, *(p.responsible for p in PLANS), *(o["responsible"] for o in OWN_PROJECTS)}
    for email in sorted(emails):
        user = user_by_email(email)
        if user is not None:
            found[email] = user
    return found


def _meeting(title: str, held_on: date) -> ReviewMeeting:
    meeting = db.session.scalar(select(ReviewMeeting).where(ReviewMeeting.title == title,
                                                            ReviewMeeting.held_on == held_on))
    if meeting is None:
        meeting = ReviewMeeting(title=title, held_on=held_on, notes="Demoaineisto.")
        db.session.add(meeting)
        db.session.flush()
    return meeting


def _business_id(plan: Plan, partners: dict[str, Partner]) -> str | None:
    partner = partners.get(fold(plan.organisation))
    if partner is not None:
        return partner.business_id
    return with_check_digit(plan.business_number) if plan.business_number else None


def _submit(plan: Plan, partners: dict[str, Partner], now: datetime, today: date) -> Application:
    units = [u for code in plan.units if (u := unit_by_code(code)) is not None]
    themes = list(db.session.scalars(select(Theme).where(Theme.code.in_(plan.themes))))
    start = today - timedelta(days=plan.days_ago) + relativedelta(months=plan.start_months, day=1)
    slug = "".join(ch for ch in fold(plan.organisation) if ch.isalnum())[:24]
    application = intake.submit_application({
        "organisation_name": plan.organisation, "business_id": _business_id(plan, partners),
        "applicant_form": plan.form, "contact_name": "Kaisa Esimerkki" if plan.language == "fi" else "Kajsa Exempel",
        "contact_email": f"hankkeet@{slug}.example", "contact_phone": "+358401234567",
        "address": f"{plan.organisation}\nEsimerkkikatu 1\n00100 Helsinki", "project_name": plan.project_name,
        "description": plan.description, "need": "Vapautuvien ja yhdyskuntaseuraamusasiakkaiden tarve tuelle.",
        "target_groups": "Vangit, vapautuvat ja yhdyskuntaseuraamusasiakkaat", "funder": plan.funder,
        "funding_round": f"{plan.funder.upper()} {start.year}", "planned_start": start,
        "planned_end": start + relativedelta(months=plan.months, days=-1), "prison_work": plan.prison_work,
        "e_services": plan.e_services, "unit_ids": [u.id for u in units], "theme_ids": [t.id for t in themes],
        "submitted_at": now - timedelta(days=plan.days_ago), **plan.extra},
        source=ApplicationSource.WEB, language=plan.language)
    return application


def _reviews(application: Application, plan: Plan, reviewers: list[User], version: Any, at: datetime) -> None:
    """Three reviewers declared no conflict; `plan.reviews` of them submitted their scores."""
    for n, user in enumerate(reviewers):
        db.session.add(Reviewer(application=application, user_id=user.id, assigned_at=at,
                                coi_declared_at=at + timedelta(hours=1), coi_conflict=False))
        if n >= plan.reviews and plan.status is S.IN_REVIEW:
            review = Review(application=application, reviewer_id=user.id, criteria_version_id=version.id)
            db.session.add(review)  # a draft: this reviewer has not submitted yet
            continue
        review = Review(application=application, reviewer_id=user.id, criteria_version_id=version.id,
                        submitted_at=at + timedelta(days=3 + n), comment="Demoarvio.")
        for k, criterion in enumerate(version.criteria):
            offset = (-3 if plan.dissent and n == 2 else (n % 2) - (k % 2))
            score = max(criterion.scale_min, min(criterion.scale_max, plan.base_score + offset))
            review.scores.append(ReviewScore(criterion_id=criterion.id, score=score))
        db.session.add(review)


def _statement(application: Application, plan: Plan, meeting: ReviewMeeting, actor: User | None,
               at: datetime) -> int:
    """The statement, its letter stored as a document; returns 1 for the letter."""
    from .letter import render_statement_pdf

    application.statement = plan.statement
    application.statement_justification = ("Hanke vastaa tunnistettuun tarpeeseen ja yhteistyö on suunniteltu "
                                           "yksiköiden kanssa (toimintaperiaatteet 8.2 §).")
    if plan.statement is StatementKind.CONDITIONAL:
        application.statement_conditions = ("Vankilatyötä tekevien turvallisuusselvitykset tehdään ennen "
                                            "toiminnan alkua.")
    application.statement_meeting, application.statement_signatory = meeting, SIGNATORY
    application.statement_given_at, application.statement_given_by_id = at, actor.id if actor else None
    application.dnro = f"{application.reference.replace('PK-', 'DNRO/')}"
    db.session.flush()
    pdf = render_statement_pdf(application, language=application.language)
    application.letter_document = store_document(pdf, f"{application.reference}-lausunto.pdf",
                                                 user_id=actor.id if actor else None)
    application.decision_by, application.decision_on = "Kehittämisjohtaja (työjärjestys 12 §)", \
        (at + timedelta(days=7)).date()
    application.decision_outcome = "Kumppanuus hyväksytty lausunnon mukaisesti."
    return 1


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), HELSINKI)


def _follow_ups(project: Project, today: date, until: date, *, overdue_last: bool = False) -> int:
    """The follow-ups due so far, submitted a few days early; the latest left overdue when asked."""
    if project.starts_on is None:
        return 0
    dues = followups.due_dates(project.starts_on, min(until, today))
    for n, due in enumerate(dues):
        overdue = overdue_last and n == len(dues) - 1 and due < today
        submitted = None if overdue else _at(due - timedelta(days=3))
        project.follow_ups.append(FollowUp(
            due_on=due, requested_at=_at(due - timedelta(days=followups.REQUEST_DAYS_BEFORE)),
            submitted_at=submitted, submitted_by=project.responsible if submitted else None,
            progress=None if overdue else f"Puolivuotisraportti {n + 1}: toiminta etenee suunnitellusti.",
            risks=None if overdue else "Vapaaehtoisten saatavuus vaihtelee.",
            next_steps=None if overdue else "Seuraavan jakson ryhmät käynnistyvät."))
    db.session.flush()
    return len(dues)


def _portfolio(application: Application, plan: Plan, today: date, people: dict[str, User],
               added: dict[str, int]) -> None:
    """The funding outcome; granted funding puts the project in the portfolio (then ended, evaluated)."""
    application.funding_outcome = plan.funding
    application.funding_decided_on = (application.statement_given_at or utcnow()).date() + timedelta(days=40)
    application.funding_amount = Decimal("180000.00") if plan.funding is FundingOutcome.GRANTED else None
    if plan.funding is not FundingOutcome.GRANTED:
        return
    application.status = S.FUNDING_DECIDED
    project = portfolio.add_from_application(application, unit=application.units[0],
                                             responsible=people.get(plan.responsible), today=today)
    added["projects"] += 1
    end = project.ends_on or today
    added["follow-ups"] += _follow_ups(project, today, end, overdue_last=plan.overdue)
    if plan.ended:
        portfolio.end_project(project, ends_on=end, today=today)
    portfolio.schedule(project, today)
    if plan.evaluated:
        portfolio.record_evaluation(
            project, "Etäopetuksen toimintamalli, opettajien opas ja tietoturvaohje suljettuun verkkoon.",
            "Malli soveltuu kaikkiin vankiloihin, joissa on opetusta; edellyttää suljetun verkon laitteita.",
            Recommendation.ADOPT_NATIONALLY, people.get(REVIEWERS[0]))
        project.evaluated_at = utcnow() - timedelta(days=20)


def _own_projects(today: date, people: dict[str, User], added: dict[str, int]) -> None:
    existing = set(db.session.scalars(select(Project.name).where(Project.owner == ProjectOwner.RISE)))
    for own in OWN_PROJECTS:
        if own["name"] in existing:
            continue
        starts_on = today - relativedelta(months=own["months_ago"])
        project = portfolio.add_own_project({
            "name": own["name"], "description": own["description"], "funder": None, "starts_on": starts_on,
            "ends_on": starts_on + relativedelta(months=own["months"], days=-1), "unit": unit_by_code(own["unit"]),
            "responsible": people.get(own["responsible"]),
            "themes": list(db.session.scalars(select(Theme).where(Theme.code.in_(own["themes"]))))}, today=today)
        added["projects"] += 1
        added["follow-ups"] += _follow_ups(project, today, today)
        portfolio.schedule(project, today)


def load_applications_demo() -> dict[str, int]:
    """Add the missing demo applications, reviews, letters and portfolio projects; returns counts."""
    today, now = helsinki_today(), utcnow()
    added = {"applications": 0, "reviews": 0, "letters": 0, "projects": 0, "follow-ups": 0}
    version = criteria.current_version()
    people = _people()
    reviewers = [people[e] for e in REVIEWERS if e in people]
    partners = {fold(p.name_fi): p for p in db.session.scalars(
        select(Partner).where(Partner.merged_into_id.is_(None)).order_by(Partner.id))}
    existing = set(db.session.scalars(select(Application.project_name)))
    for plan in PLANS:
        if plan.project_name in existing:
            continue
        application = _submit(plan, partners, now, today)
        received = application.submitted_at
        added["applications"] += 1
        application.status = plan.status
        if plan.status in (S.ELIGIBILITY_CHECKED, S.IN_REVIEW):  # on the agenda of the next meeting
            upcoming = _meeting(MEETING, today + timedelta(days=14))
            application.review_meeting, application.agenda_position = upcoming, added["applications"]
        if plan.reviews and version is not None and len(reviewers) == len(REVIEWERS):
            _reviews(application, plan, reviewers, version, received + timedelta(days=7))
            added["reviews"] += plan.reviews
        if plan.statement is not None:
            given = received + timedelta(days=30)
            meeting = _meeting(MEETING, given.astimezone(HELSINKI).date())
            application.review_meeting = meeting
            added["letters"] += _statement(application, plan, meeting, reviewers[0] if reviewers else None, given)
        if plan.funding is not None:
            _portfolio(application, plan, today, people, added)
        db.session.flush()
    _own_projects(today, people, added)
    db.session.flush()
    return added
