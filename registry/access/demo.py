"""Demo people with access to units: one for every situation the waiting-period rule knows (policy §10.3, §16).

`load_access_demo()` adds fictional experts by experience, a volunteer and a partner employee, each with an
assignment at a seeded prison or community sanctions office, runs the eligibility engine on them and records
some unit directors' decisions and a partner's concern. All dates are relative to today, so each situation stays
true whenever the demo is loaded. Everything goes through the same services as the user interface. The people are
recognised by their e-mail domain: when any exists, nothing is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from ..core.models import Unit, User
from ..core.services import unit_by_code, user_by_email
from ..directory.models import Partner
from ..extensions import db
from ..i18n import today as helsinki_today
from . import assignments, services
from .models import Induction, Person, SecurityClearance, Sentence, Training

DEMO_DOMAIN = "kokemus.demo.example"  # fictional addresses; they also mark the demo people
COORDINATOR = "kaisa.koordinaattori@demo.rise.example"  # seed/demo_users.csv
DIRECTOR = "juha.johtaja@demo.rise.example"  # director of ESRSK (Southern Finland) and its units
EXPERT_PARTNER = "Kokemusasiantuntijatoiminnan tukiyhdistys ry"  # directory demo partners
EMPLOYER_PARTNER = "Föreningen Steg för steg rf"
INDUCTOR = "Turvallisuusesimies Mikko Vartija"


@dataclass
class Case:
    """One demo person and the situation they show."""

    situation: str
    name: str
    role: str
    unit: str
    setting: str
    task: str
    sentences: list[dict[str, Any]] = field(default_factory=list)
    close_pair: str = "none"
    pair_name: str = ""
    partner: str = EXPERT_PARTNER
    open_case: bool = False
    clearance: str = "valid"  # valid, expired or none
    trained: bool = True
    undertaking: bool = True
    inducted: bool = True
    assess: bool = True
    decision: tuple[str, str | None, str] | None = None  # outcome, conditions, reasoning
    concern: bool = False
    notes: str = ""


def _prison(offence: date, enforced: date, left: date | None, supervision_end: date | None = None,
            breach: bool = False) -> dict[str, Any]:
    return {"offence_date": offence, "sanction": "unconditional_prison", "enforcement_start": enforced,
            "left_prison": left, "supervision_end": supervision_end, "serious_breach": breach, "completed": None}


def _community(sanction: str, offence: date, enforced: date, completed: date | None) -> dict[str, Any]:
    return {"offence_date": offence, "sanction": sanction, "enforcement_start": enforced, "left_prison": None,
            "supervision_end": None, "serious_breach": False, "completed": completed}


def cases(today: date) -> list[Case]:
    """The demo people, their records and what happens to them, with dates relative to `today`."""

    def ago(years: int = 0, months: int = 0, days: int = 0) -> date:
        result: date = today - relativedelta(years=years, months=months, days=days)
        return result

    expert = "expert_by_experience"
    return [
        Case("waiting", "Pekka Laine", expert, "HELV", "in_premises", "Vertaistukiryhmä vapautuville",
             [_prison(ago(6), ago(5), ago(1, 2), ago(0, 8))], notes="Odotusaika on vielä kesken."),
        Case("eligible", "Marjo Koskinen", expert, "VANV", "in_premises", "Päihdekuntoutuksen vertaisryhmä",
             [_prison(ago(9), ago(8, 6), ago(5, 3), ago(4, 9))],
             decision=("admit", None, "Odotusaika on kulunut ja vähimmäisedellytykset täyttyvät. Työ tehdään "
                                      "ohjaajan valvonnassa.")),
        Case("paired", "Timo Heikkilä", expert, "HELYKS", "direct_contact", "Työparityö yhdyskuntaseuraamustoimistossa",
             [_prison(ago(5), ago(4, 3), ago(2, 3))], close_pair="rise_official",
             pair_name="Rikosseuraamusesimies Riikka Ojala",
             decision=("admit_with_conditions", "Tapaamiset vain työparin kanssa; ei yksin asiakkaan kanssa.",
                       "Tiivis työpari lyhentää odotusajan kahteen vuoteen, ja se on kulunut.")),
        Case("breach", "Janne Salo", expert, "KERV", "in_premises", "Kokemuspuheenvuorot vangeille",
             [_prison(ago(7), ago(6, 2), ago(4), ago(0, 10), breach=True)],
             decision=("refuse", None, "Ehdonalaisen valvonnan aikana oli törkeä velvollisuuksien rikkominen; "
                                       "odotusaika alkaa valvonnan päättymisestä.")),
        Case("earlier_offence", "Minna Rantanen", expert, "TURV", "remote_expert_led",
             "Etäyhteydellä ohjattu vertaisryhmä",
             [_prison(ago(9), ago(8), ago(6)),
              _community("community_service", ago(7), ago(2), ago(1))],
             notes="Yhdyskuntapalvelu rikoksesta, joka tehtiin ennen seuranta-ajan alkua."),
        Case("open_case", "Ville Mäkelä", expert, "OULV", "in_premises", "Vertaistuki vankilassa",
             [_prison(ago(8), ago(7), ago(5))], open_case=True),
        Case("expired_clearance", "Sari Hiltunen", "partner_employee", "SUOV", "in_premises",
             "Järjestön ohjaama työtoiminta", partner=EMPLOYER_PARTNER, clearance="expired", trained=False),
        Case("never_custodial", "Tiina Nieminen", expert, "HELYKS", "in_premises", "Kehittäjäasiakkaiden työpaja",
             [{"offence_date": ago(6), "sanction": "fine", "enforcement_start": None, "left_prison": None,
               "supervision_end": None, "serious_breach": False, "completed": None},
              _community("community_service", ago(2), ago(1, 6), ago(0, 8))],
             decision=("admit", None, "Ei ehdotonta vankeutta: odotusaikasääntö ei koske. Vähimmäisedellytykset "
                                      "täyttyvät.")),
        Case("remote_staff_led_group", "Jukka Karjalainen", expert, "VANYKS", "remote_staff_led_group",
             "Henkilökunnan ohjaama digitaalinen ryhmä", [_prison(ago(3), ago(2, 4), ago(0, 10))],
             inducted=False, undertaking=False, clearance="none",
             decision=("admit", None, "Henkilökunta ohjaa ryhmää ja on läsnä koko ajan: arvioidaan kuten "
                                      "yksikön ulkopuolinen toiminta.")),
        Case("concern", "Hanna Lindroos", expert, "HELV", "in_premises", "Vertaisohjaaja kuntoutusosastolla",
             [_prison(ago(10), ago(9), ago(6))], concern=True,
             decision=("admit", None, "Odotusaika on kulunut ja vähimmäisedellytykset täyttyvät.")),
        Case("still_serving", "Antti Peltonen", expert, "LAHYKS", "remote_independent",
             "Tuettu itsenäinen asiakastyö",
             [_prison(ago(9), ago(8), ago(6)), _community("monitoring_sentence", ago(0, 5), ago(0, 2), None)]),
        Case("never_assessed", "Liisa Järvinen", "volunteer", "HAMV", "in_premises", "Vapaaehtoinen kirjastoapu",
             partner=EMPLOYER_PARTNER, trained=False, assess=False),
    ]


def _email(name: str) -> str:
    local = name.lower().replace(" ", ".").replace("ä", "a").replace("ö", "o").replace("å", "a")
    return f"{local}@{DEMO_DOMAIN}"


def demo_people_exist() -> bool:
    """Whether the demo people have been loaded already."""
    return db.session.scalar(select(Person.id).where(Person.email.like(f"%@{DEMO_DOMAIN}")).limit(1)) is not None


def _records(case: Case, person: Person, unit: Unit, today: date, coordinator: Any) -> None:
    if case.trained:
        services.save_training(Training(), person, {
            "provider": "Valo-Valmennus", "programme": "Keijo-koulutus (kokemusasiantuntijakoulutus)",
            "completed_on": today - relativedelta(years=2, months=1), "verified": True}, today=today,
            user=coordinator or SimpleNamespace(id=None))
    if case.clearance != "none":
        back = relativedelta(years=5, days=40) if case.clearance == "expired" else relativedelta(months=7)
        completed = today - back
        services.save_clearance(SecurityClearance(), person, {
            "kind": "basic", "requested_on": completed - timedelta(days=45),
            "consent_on": completed - timedelta(days=46), "completed_on": completed, "result": "no_remarks",
            "valid_until": completed + relativedelta(years=5)}, today=today)
    if case.inducted:
        db.session.add(Induction(person=person, unit=unit, inducted_on=today - relativedelta(months=5),
                                 inducted_by=INDUCTOR))
    for sentence in case.sentences:
        services.save_sentence(Sentence(), person, sentence, today=today)
    db.session.flush()


def load_access_demo() -> dict[str, int]:
    """Add the demo people, assignments, assessments, decisions and a concern (needs the reference and directory
    demo data; skipped when the demo people exist); returns what was added."""
    added = {"people": 0, "assignments": 0, "assessments": 0, "decisions": 0, "concerns": 0}
    if demo_people_exist():
        return added
    today = helsinki_today()
    coordinator: User | None = user_by_email(COORDINATOR)
    director: User | None = user_by_email(DIRECTOR)
    partners = {p.name_fi: p for p in db.session.scalars(
        select(Partner).where(Partner.name_fi.in_([EXPERT_PARTNER, EMPLOYER_PARTNER])))}
    for case in cases(today):
        unit = unit_by_code(case.unit)
        if unit is None:
            continue  # a unit an admin has removed
        person = services.save_person(Person(), {
            "name": case.name, "email": _email(case.name), "role": case.role, "partner": partners.get(case.partner),
            "peer_role": case.role == "expert_by_experience", "developer_role": case.situation == "never_custodial",
            "hourly_fee": Decimal("35.00") if case.role == "expert_by_experience" else None,
            "travel_costs_paid": case.role == "expert_by_experience", "open_criminal_case": case.open_case,
            "undertaking_signed_on": today - relativedelta(months=6) if case.undertaking else None,
            "notes": case.notes or None}, today=today)
        _records(case, person, unit, today, coordinator)
        assignment = assignments.create_assignment(person, {
            "unit": unit, "setting": case.setting, "close_pair": case.close_pair, "pair_name": case.pair_name,
            "task": case.task, "starts_on": today - relativedelta(months=2), "ends_on": None})
        added["people"] += 1
        added["assignments"] += 1
        if not case.assess:
            continue
        assignments.run_assessment(assignment, coordinator, today)
        added["assessments"] += 1
        if case.decision is not None and director is not None and assignments.may_decide(director, assignment):
            outcome, conditions, reasoning = case.decision
            assignments.record_decision(assignment, director, outcome, conditions, reasoning)
            added["decisions"] += 1
        if case.concern:
            # Reported after the decision: the person is flagged until a new assessment and decision.
            assignments.record_concern(person, coordinator, "substance_problem", today - timedelta(days=3),
                                       partners.get(EXPERT_PARTNER), "Toiminnanjohtaja Outi Rautio",
                                       "Järjestö ilmoitti epäilystä päihteiden ongelmakäytöstä.")
            added["concerns"] += 1
    db.session.flush()
    return added
