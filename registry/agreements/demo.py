"""Agreement demo data: regional and local agreements of every sanction centre in every state.

`load_agreements_demo()` needs the reference data and the directory demo. For every sanction centre it adds
regional agreements for the counterpart kinds of policy §7.4 (per centre, or per wellbeing services county
for the per-region kinds) with deliberate gaps in the coverage matrix, and local agreements of the centre's
first prison in every lifecycle state: some expire within 30 or 90 days, some have a notice deadline soon,
one is in force without a Rise liaison, drafts have stalled, one has an amendment, one a new version. Each
comes with its transitions, liaisons and small PDF documents (one with two versions, one confidential). All
dates are relative to today; agreements are recognised by their Finnish name, so a second run adds nothing.
Synthetic volume for benchmarks is made by `scale.generate_agreements`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..core.models import Region, Unit, UnitKind, User, utcnow
from ..core.services import scope_unit_ids
from ..directory import services as directory_services
from ..directory.exports import register_fonts
from ..directory.models import (
    Contact,
    ContactKind,
    LiaisonRole,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
)
from ..directory.rules import fold
from ..extensions import db
from ..i18n import today as helsinki_today
from . import documents
from .models import (
    Agreement,
    AgreementKind,
    AgreementLevel,
    AgreementStatus,
    AgreementTransition,
    CounterpartKind,
    DocumentRole,
    RelationKind,
    RenewalType,
)

S = AgreementStatus
PATHS = {  # the lifecycle steps that lead to each status
    S.PLANNED: [S.PLANNED], S.IN_PREPARATION: [S.PLANNED, S.IN_PREPARATION],
    S.IN_FORCE: [S.PLANNED, S.IN_PREPARATION, S.IN_FORCE],
    S.UNDER_RENEWAL: [S.PLANNED, S.IN_PREPARATION, S.IN_FORCE, S.UNDER_RENEWAL],
    S.EXPIRED: [S.PLANNED, S.IN_PREPARATION, S.IN_FORCE, S.EXPIRED],
    S.TERMINATED: [S.PLANNED, S.IN_PREPARATION, S.IN_FORCE, S.TERMINATED],
    S.SUPERSEDED: [S.PLANNED, S.IN_PREPARATION, S.IN_FORCE, S.SUPERSEDED],
}
SIGNED = frozenset({S.IN_FORCE, S.UNDER_RENEWAL, S.EXPIRED, S.TERMINATED, S.SUPERSEDED})
# Regional counterparts the directory demo does not have (authorities; matched by name, created if missing).
AUTHORITIES = {
    "kela-etela": "Kela, Etelän vakuutuspiiri", "kela-lansi": "Kela, Lännen vakuutuspiiri",
    "kela-ita": "Kela, Idän ja pohjoisen vakuutuspiiri", "police-ESRSK": "Helsingin poliisilaitos",
    "police-LSRSK": "Lounais-Suomen poliisilaitos", "police-IPRSK": "Oulun poliisilaitos",
    "enforcement": "Ulosottolaitos", "legal-aid": "Oikeusapu- ja edunvalvontavirasto",
}
NATIONAL_PARENTS = {"kela_district": "Kelan ja Rikosseuraamuslaitoksen valtakunnallinen yhteistyömalli",
                    "employment": "Työ- ja elinkeinohallinnon yhteistyölinjaukset",
                    "police": "Poliisihallitus ja Poliisiammattikorkeakoulu",
                    "debt_enforcement": "Talouden ja velan hoito"}


@dataclass
class Plan:
    """One demo agreement: what it is, where it stands and what comes with it."""

    name_fi: str
    name_sv: str | None
    kind: AgreementKind
    level: AgreementLevel
    status: AgreementStatus
    owner: Unit
    parties: list[Partner]
    centres: list[Unit] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    counterpart: str | None = None
    until: int | None = 400  # valid_until in days from today (None: open-ended)
    started: int = 700  # valid_from, days ago
    notice_months: int | None = 3
    lead_time_days: int | None = 30
    renewal: RenewalType = RenewalType.BY_DECISION
    review_interval_months: int | None = None
    changed_days_ago: int = 60  # when the status last changed
    rise_liaison: bool = True
    partner_liaison: bool = True
    annex: bool = False
    confidential_annex: bool = False
    second_version: bool = False
    amendment: bool = False
    new_version: bool = False  # superseded: a new version in force replaces it
    note: str | None = None


# --- partners, contacts and people the demo needs ---------------------------------------------------


def _partners() -> dict[str, Partner]:
    """Demo partners by key: the directory demo's (by name), counties by region code, authorities."""
    by_name = {fold(p.name_fi): p for p in db.session.scalars(
        select(Partner).where(Partner.merged_into_id.is_(None)).order_by(Partner.id))}
    wanted = {"paihdesaatio": "Päihdekuntoutussäätiö sr", "kotipolku": "Vapautuvien asumisyhdistys Kotipolku ry",
              "kivikyla-srk": "Kivikylän seurakunta", "ammattiopisto": "Järvilaakson ammattiopisto",
              "kansanopisto": "Kansanopisto Tuulimylly", "amk": "Itärannikon ammattikorkeakoulu",
              "tutkimus": "Seuraamustutkimuksen instituutti", "verstas": "Työpaja Verstas Oy",
              "tyollisyys": "Lounaisrannikon työllisyysvirasto", "velkakeskus": "Valtakunnallinen velkaneuvontakeskus",
              "kolikko": "Velkaneuvonnan tukiyhdistys Kolikko ry", "sylikko": "Läheisverkosto Sylikkö ry"}
    found = {key: by_name[fold(name)] for key, name in wanted.items() if fold(name) in by_name}
    for key, name in AUTHORITIES.items():
        partner = by_name.get(fold(name))
        if partner is None:
            partner = directory_services.save_partner(Partner(), {
                "name_fi": name, "category": PartnerCategory.STATE_AUTHORITY, "level": PartnerLevel.REGIONAL,
                "legal_form": "valtion virasto", "business_id": ""})
            by_name[fold(name)] = partner
        found[key] = partner
    for region in db.session.scalars(select(Region)):
        if fold(region.name_fi) in by_name:
            found[f"county-{region.code}"] = by_name[fold(region.name_fi)]
    missing = {k for k in wanted if k not in found}
    if missing:
        raise RuntimeError(f"the directory demo is missing: {', '.join(sorted(missing))}")
    return found


def _partner_contact(partner: Partner, added: dict[str, int]) -> Contact:
    """An active contact of the partner to name as its liaison; a shared mailbox is added when it has none."""
    contact = db.session.scalar(select(Contact).where(Contact.partner_id == partner.id, Contact.active.is_(True))
                                .order_by(Contact.kind, Contact.id))
    if contact is None:
        slug = "".join(ch for ch in fold(partner.name_fi) if ch.isalnum())[:30] or "partner"
        contact = directory_services.save_contact(Contact(), {
            "kind": ContactKind.MAILBOX, "partner": partner, "unit": None, "name": "Yhteistyöasiat",
            "email": f"yhteistyo@{slug}.example", "public": True, "last_confirmed_at": utcnow()})
        added["contacts"] += 1
    return contact


def _rise_contact(centre: Unit) -> Contact | None:
    """A Rise contact in the centre's scope (the centre's own first, then its units')."""
    ids = scope_unit_ids(centre)
    return db.session.scalar(select(Contact).where(Contact.unit_id.in_(ids), Contact.active.is_(True))
                             .order_by(Contact.unit_id != centre.id, Contact.id))


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small one-page PDF standing in for a scanned document (the same bytes for the same text)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    font = register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setTitle(title)
    canvas.setFont(f"{font}-Bold", 14)
    canvas.drawString(60, 780, title[:90])
    canvas.setFont(font, 10)
    for number, line in enumerate([*lines, "", "ESIMERKKIASIAKIRJA – demoaineisto, ei todellinen sopimus."]):
        canvas.drawString(60, 750 - 15 * number, line[:110])
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# --- the recipe -------------------------------------------------------------------------------------


def _plans(centre: Unit, index: int, partners: dict[str, Partner], regions: list[Region],
           shared_with: list[Unit]) -> list[Plan]:
    """What one sanction centre gets; `index` varies the states and gaps from centre to centre."""
    code, name = centre.code, centre.name_fi
    regional = AgreementLevel.REGIONAL
    plans: list[Plan] = []

    def add(**kwargs: Any) -> None:
        plans.append(Plan(**{"owner": centre, "centres": [centre], "level": regional, **kwargs}))

    kela = [("kela-etela", S.IN_FORCE, 20), ("kela-lansi", S.UNDER_RENEWAL, 45), ("kela-ita", S.IN_PREPARATION, None)]
    key, status, until = kela[index % 3]
    # Kela districts are shared by the centres within them (policy §7.4): the second district has two centres.
    add(name_fi=f"{partners[key].name_fi}: yhteistyömalli ({name})", name_sv=None, kind=AgreementKind.OPERATING_MODEL,
        status=status, parties=[partners[key]], counterpart="kela_district", until=until,
        centres=[centre, *shared_with], changed_days_ago=210 if status is S.IN_PREPARATION else 90, annex=True)
    polices: list[dict[str, Any] | None] = [
        {"status": S.IN_FORCE, "until": 103, "notice_months": 3, "lead_time_days": 10, "second_version": True},
        {"status": S.IN_FORCE, "until": None, "notice_months": None, "rise_liaison": False,
         "review_interval_months": 24, "renewal": RenewalType.NONE},
        None]
    police = polices[index % 3]
    if police is not None:  # the third centre has none: a gap in the coverage matrix
        add(name_fi=f"Poliisiyhteistyö: {partners['police-' + code].name_fi} ja {name}", name_sv=None,
            kind=AgreementKind.AGREEMENT, parties=[partners[f"police-{code}"]], counterpart="police",
            note="Yhteydenpitorajoitukset, virka-apupyynnöt ja vankikuljetukset (§6.3).", **police)
    schools = ["ammattiopisto", "kansanopisto", "amk"]
    add(name_fi=f"Vankilaopetus: {partners[schools[index % 3]].name_fi} ({name})", name_sv=None,
        kind=AgreementKind.AGREEMENT, status=S.IN_FORCE, parties=[partners[schools[index % 3]]],
        counterpart="prison_education", until=[70, None, 500][index % 3], amendment=index % 3 == 2,
        renewal=RenewalType.AUTOMATIC if index % 3 == 2 else RenewalType.BY_DECISION)
    debt = [S.UNDER_RENEWAL, None, S.PLANNED][index % 3]
    if debt is not None:
        add(name_fi=f"Talous- ja velkaneuvonta ja ulosotto ({name})", name_sv=None, kind=AgreementKind.PROCESS,
            status=debt, parties=[partners["legal-aid"], partners["enforcement"], partners["velkakeskus"]],
            counterpart="debt_enforcement", until=45 if debt is S.UNDER_RENEWAL else None,
            changed_days_ago=200 if debt is S.PLANNED else 30)
    cycle = [S.IN_FORCE, S.IN_FORCE, S.IN_PREPARATION, None, S.IN_FORCE, S.PLANNED, S.EXPIRED, S.IN_FORCE, None]
    for r, region in enumerate(regions):
        county = partners.get(f"county-{region.code}")
        if county is None:
            continue
        for k, (counterpart, label, extra) in enumerate((
                ("social_welfare", "Asiakasohjaus ja vapautuvien palvelut", []),
                ("employment", "Työllisyyspalvelut ja TYP", [partners["tyollisyys"]] if r == 0 else []))):
            state = cycle[(r * 2 + k + index) % len(cycle)]
            if state is None:
                continue  # a gap in the matrix
            add(name_fi=f"{label}: {region.name_fi}", name_sv=f"{label} – {region.name_sv}",
                kind=AgreementKind.OPERATING_MODEL, status=state, parties=[county, *extra], regions=[region],
                counterpart=counterpart, until={S.EXPIRED: -40, S.IN_FORCE: 150 + 97 * r}.get(state),
                changed_days_ago=40 + 30 * r)
    prisons = sorted((u for u in db.session.scalars(select(Unit).where(Unit.parent_id == centre.id))
                      if u.kind is UnitKind.PRISON), key=lambda u: u.code)
    local = prisons[0] if prisons else centre
    unit = local.name_fi

    def add_local(**kwargs: Any) -> None:
        plans.append(Plan(owner=local, level=AgreementLevel.LOCAL, centres=[centre], **kwargs))

    add_local(name_fi=f"Hengellisen työn yhteistyö: {unit}", name_sv=None, kind=AgreementKind.AGREEMENT,
              status=S.PLANNED, parties=[partners["kivikyla-srk"]], until=None, changed_days_ago=20)
    add_local(name_fi=f"Tutkimusyhteistyösitoumus: {unit}", name_sv=None, kind=AgreementKind.COMMITMENT,
              status=S.IN_PREPARATION, parties=[partners["tutkimus"]], until=None, changed_days_ago=190)
    add_local(name_fi=f"Sijoitussopimus päihdekuntoutuksesta: {unit}", name_sv=None, kind=AgreementKind.PLACEMENT,
              status=S.IN_FORCE, parties=[partners["paihdesaatio"]], until=300, renewal=RenewalType.AUTOMATIC,
              notice_months=2, confidential_annex=True)
    add_local(name_fi=f"Työtoiminnan yhteistyösopimus: {unit}", name_sv=None, kind=AgreementKind.AGREEMENT,
              status=S.UNDER_RENEWAL, parties=[partners["verstas"]], until=25, changed_days_ago=15)
    add_local(name_fi=f"Läheistyön toimintamalli 2022–2024: {unit}", name_sv=None,
              kind=AgreementKind.OPERATING_MODEL, status=S.EXPIRED, parties=[partners["sylikko"]], until=-40,
              started=1100, changed_days_ago=39)
    add_local(name_fi=f"Velkaneuvontapäivystys: {unit}", name_sv=None, kind=AgreementKind.AGREEMENT,
              status=S.TERMINATED, parties=[partners["kolikko"]], until=200, changed_days_ago=70,
              note="Yhdistys lopetti päivystystoiminnan; sopimus irtisanottiin yhteisellä päätöksellä.")
    add_local(name_fi=f"Asumisen tuen toimintamalli: {unit}", name_sv=None, kind=AgreementKind.OPERATING_MODEL,
              status=S.SUPERSEDED, parties=[partners["kotipolku"]], until=250, changed_days_ago=100,
              new_version=True)
    return plans


# --- building one agreement -------------------------------------------------------------------------


def _history(agreement: Agreement, plan: Plan, now: datetime, actor: User | None) -> None:
    steps = PATHS[plan.status]
    for number, status in enumerate(steps):
        days = plan.changed_days_ago + 45 * (len(steps) - 1 - number)
        by_job = status is S.EXPIRED
        note = plan.note if status is S.TERMINATED else ("valid_until passed" if by_job else None)
        agreement.transitions.append(AgreementTransition(
            from_status=steps[number - 1] if number else None, to_status=status, at=now - timedelta(days=days),
            by_id=None if by_job or actor is None else actor.id, note=note))
    agreement.status_changed_at = now - timedelta(days=plan.changed_days_ago)


def _build(plan: Plan, today: date, now: datetime, actor: User | None, parents: dict[str, Agreement],
           kinds: dict[str, CounterpartKind], added: dict[str, int], *, amends: Agreement | None = None,
           relation: RelationKind | None = None) -> Agreement:
    signed = plan.status in SIGNED
    started = today - timedelta(days=plan.started)
    agreement = Agreement(
        name_fi=plan.name_fi, name_sv=plan.name_sv, kind=plan.kind, level=plan.level, status=plan.status,
        owner_unit=plan.owner, parties=plan.parties, centres=plan.centres, regions=plan.regions,
        counterpart_kind=kinds.get(plan.counterpart or ""), parent=parents.get(plan.counterpart or ""),
        dnro=f"{plan.owner.code}/{200 + added['agreements']}/2024" if signed else None,
        signed_on=started - timedelta(days=14) if signed else None, valid_from=started if signed else None,
        valid_until=today + timedelta(days=plan.until) if plan.until is not None else None,
        renewal_type=plan.renewal, renewal_months=12 if plan.renewal is RenewalType.AUTOMATIC else None,
        notice_months=plan.notice_months, lead_time_days=plan.lead_time_days,
        review_interval_months=plan.review_interval_months, notes=plan.note, amends=amends, relation=relation,
        created_at=now - timedelta(days=plan.changed_days_ago + 45 * (len(PATHS[plan.status]) - 1)))
    _history(agreement, plan, now, actor)
    db.session.add(agreement)
    db.session.flush()
    added["agreements"] += 1
    centre = plan.centres[0] if plan.centres else plan.owner
    rise = _rise_contact(centre)
    if plan.rise_liaison and rise is not None and plan.status is not S.PLANNED:
        db.session.add(LiaisonRole(contact=rise, subject=LiaisonSubject.AGREEMENT, side=LiaisonSide.RISE,
                                   agreement_id=agreement.id, valid_from=agreement.valid_from))
        added["liaison roles"] += 1
    if plan.partner_liaison and plan.parties and plan.status is not S.PLANNED:
        db.session.add(LiaisonRole(contact=_partner_contact(plan.parties[0], added), subject=LiaisonSubject.AGREEMENT,
                                   side=LiaisonSide.PARTNER, agreement_id=agreement.id,
                                   valid_from=agreement.valid_from))
        added["liaison roles"] += 1
    if signed:
        _documents(agreement, plan, actor, now, added)
    return agreement


def _documents(agreement: Agreement, plan: Plan, actor: User | None, now: datetime, added: dict[str, int]) -> None:
    parties = "; ".join(p.name_fi for p in plan.parties)
    facts = [f"Osapuolet: Rikosseuraamuslaitos ({plan.owner.name_fi}); {parties}",
             f"Diaarinumero: {agreement.dnro}", f"Allekirjoitettu: {agreement.signed_on}",
             f"Voimassa: {agreement.valid_from} – {agreement.valid_until or 'toistaiseksi'}"]
    signed_at = now - timedelta(days=plan.started + 13)  # scanned the day after signing
    uploads = [("Allekirjoitettu sopimus", "allekirjoitettu-sopimus.pdf", DocumentRole.SIGNED, False,
                demo_pdf(plan.name_fi, facts))]
    if plan.annex:
        uploads.append(("Liite 1: yhteystiedot ja toimintaohjeet", "liite-1.pdf", DocumentRole.ANNEX, False,
                        demo_pdf(f"Liite 1: {plan.name_fi}", ["Yhteystiedot ja toimintaohjeet."])))
    if plan.confidential_annex:
        uploads.append(("Hinnoitteluliite (luottamuksellinen)", "hinnoittelu.pdf", DocumentRole.ANNEX, True,
                        demo_pdf(f"Hinnoitteluliite: {plan.name_fi}", ["Vuorokausihinnat."])))
    first = None
    for title, filename, role, confidential, data in uploads:
        doc = documents.add_document(agreement, data, filename, role=role, title=title, confidential=confidential,
                                     user=actor)
        doc.uploaded_at = doc.document.uploaded_at = signed_at
        first = first or doc
        added["documents"] += 1
    if plan.second_version and first is not None:
        doc = documents.add_document(agreement, demo_pdf(plan.name_fi, [*facts, "Korjattu yhteyshenkilöliite."]),
                                     "sopimus-v2.pdf", role=DocumentRole.SIGNED, title="", confidential=False,
                                     user=actor, replaces_id=first.id)
        doc.uploaded_at = doc.document.uploaded_at = now - timedelta(days=20)
        added["documents"] += 1


def _follow_up(old: Agreement, plan: Plan, today: date, now: datetime, actor: User | None,
               parents: dict[str, Agreement], kinds: dict[str, CounterpartKind], added: dict[str, int]) -> None:
    """An amendment of an agreement in force, or the new version that superseded an agreement."""
    if plan.amendment:
        suffix, relation = "muutos 1", RelationKind.AMENDMENT
        follow = Plan(**{**plan.__dict__, "amendment": False, "annex": False, "started": 60, "changed_days_ago": 55})
    elif plan.new_version:
        suffix, relation = "versio 2", RelationKind.NEW_VERSION
        follow = Plan(**{**plan.__dict__, "new_version": False, "status": S.IN_FORCE, "until": 700,
                         "started": plan.changed_days_ago, "changed_days_ago": plan.changed_days_ago})
    else:
        return
    follow.name_fi = f"{plan.name_fi}, {suffix}"
    if db.session.scalar(select(Agreement.id).where(Agreement.name_fi == follow.name_fi)) is None:
        _build(follow, today, now, actor, parents, kinds, added, amends=old, relation=relation)


def load_agreements_demo() -> dict[str, int]:
    """Add the missing demo agreements of every sanction centre (needs the directory demo); returns counts."""
    today, now = helsinki_today(), utcnow()
    added = {"agreements": 0, "liaison roles": 0, "documents": 0, "contacts": 0}
    partners = _partners()
    kinds = {k.code: k for k in db.session.scalars(select(CounterpartKind))}
    national = {fold(a.name_fi): a for a in db.session.scalars(
        select(Agreement).where(Agreement.level == AgreementLevel.NATIONAL))}
    parents = {code: national[fold(name)] for code, name in NATIONAL_PARENTS.items() if fold(name) in national}
    centres = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE).order_by(Unit.code)).all()
    directors = {u.home_unit_id: u for u in db.session.scalars(select(User).where(User.active.is_(True))
                                                                .order_by(User.id)) if u.has_role("director")}
    admin = next((u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role("admin")), None)
    existing = set(db.session.scalars(select(Agreement.name_fi)))
    for index, centre in enumerate(centres):
        regions = list(db.session.scalars(select(Region).where(Region.sanction_centre_id == centre.id)
                                          .order_by(Region.code)))
        actor = directors.get(centre.id) or admin
        shared_with = [centres[0]] if index == 1 else []
        for plan in _plans(centre, index, partners, regions, shared_with):
            if plan.name_fi in existing:
                continue
            agreement = _build(plan, today, now, actor, parents, kinds, added)
            existing.add(plan.name_fi)
            _follow_up(agreement, plan, today, now, actor, parents, kinds, added)
            if plan.second_version:
                # A later edit, so the change history has a readable diff.
                agreement.lead_time_days, agreement.version = 14, agreement.version + 1
                db.session.flush()
    return added
