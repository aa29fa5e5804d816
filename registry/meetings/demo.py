"""Network and meeting demo data: the stakeholder networks of every sanction centre and the national meetings.

`load_meetings_demo()` needs the reference data and the directory demo (`registry seed --demo` runs it after
the agreement demo). Every sanction centre gets a network for each theme a–e of policy §7.2, convened by the
centre, with 4–6 member partners and their named liaisons (one member has not named one yet), goals, the agreed
cadence, a series and the evaluation of 2025; and the yearly meetings with the local prosecutors (with the
national agenda, seed/national_agenda_prosecutors.txt) and the courts (DOMAIN §7.1). National: the Migri meetings
(quarterly), the yearly KRP meeting (§7.2), the child-welfare forum 3–4 times a year, the monthly policy steering
group (§7.3–7.4), the Nordic meetings (§7.5). Series start 1–1.5 years back: past meetings (some with minutes)
and upcoming ones, one cancelled and one moved; the demo staff user follows a network. All is computed from
today's date (the same data for the same day). Networks are recognised by their Finnish name and series by their
UID ("demo-…@rise-registry"), so a second run adds nothing. Benchmark volume: `scale.generate_meetings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from ..core.models import Region, Unit, UnitKind, User, utcnow
from ..core.services import scope_unit_ids
from ..directory import services as directory_services
from ..directory.models import Contact, ContactKind, Partner, PartnerCategory, PartnerLevel, Theme
from ..directory.rules import fold
from ..extensions import db
from ..i18n import today as helsinki_today
from . import rules
from .models import (
    Cadence,
    GoalsMet,
    MeetingSeries,
    Network,
    NetworkEvaluation,
    NetworkLevel,
    NetworkMember,
    Occurrence,
    OccurrenceStatus,
)
from .scale import first_meeting

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "seed"
AGENDA_FILE = SEED_DIR / "national_agenda_prosecutors.txt"
UID_DOMAIN = "rise-registry"
STAFF_EMAIL = "sami.sihvonen@demo.rise.example"  # seed/demo_users.csv: the demo staff user follows one network
VIDEO = "https://kokous.rise.example/j/"  # fictional video meeting addresses
WEEKDAYS = ("TU", "WE", "TH")  # varied from centre to centre
SHORT = {"ESRSK": "Etelä-Suomi", "LSRSK": "Länsi-Suomi", "IPRSK": "Itä- ja Pohjois-Suomi"}


@dataclass(frozen=True)
class ThemePlan:
    """A theme of policy §7.2 a–e: the network's names, cadence, rule, goals and candidate partners."""

    code: str
    name_fi: str
    name_sv: str
    name_en: str
    title: str
    cadence: Cadence
    rule: str  # {wd}: the centre's weekday
    cadence_note: str
    goals: str
    partners: tuple[str, ...]  # directory demo partners by Finnish name


THEMES = (
    ThemePlan("education_work", "Koulutus- ja työelämäverkosto", "Nätverket för utbildning och arbetsliv",
              "Education and working life network", "Koulutus- ja työelämäverkoston kokous", Cadence.QUARTERLY,
              "FREQ=MONTHLY;INTERVAL=3;BYDAY=2{wd}", "Neljännesvuosittain, sovittu verkoston aloituskokouksessa.",
              "Vankilaopetuksen ja työelämäpolkujen jatkumot vapautumisen jälkeen; oppilaitosten ja "
              "työllisyyspalveluiden yhteiset ohjauskäytännöt; yhteinen koulutus kerran vuodessa.",
              ("Järvilaakson ammattiopisto", "Kansanopisto Tuulimylly", "Itärannikon ammattikorkeakoulu",
               "Työpaja Verstas Oy", "Lounaisrannikon työllisyysvirasto", "Vankilakirjastojen ystävät -verkosto")),
    ThemePlan("substance_mental", "Päihde- ja mielenterveysverkosto", "Nätverket för missbruk och mental hälsa",
              "Substance abuse and mental health network", "Päihde- ja mielenterveysverkoston kokous",
              Cadence.THREE_FOUR_A_YEAR, "FREQ=YEARLY;BYMONTH=2,4,9,11;BYDAY=3{wd}",
              "Neljä kertaa vuodessa; kesäkuukausina ei kokouksia.",
              "Hoitoon ja kuntoutukseen ohjaamisen yhteiset käytännöt jo rangaistusaikana; palvelutarpeiden "
              "tiedot kotikunnittain ja hyvinvointialueittain; vertaistuen ja kokemusasiantuntijoiden käyttö.",
              ("Päihdekuntoutussäätiö sr", "Päihdetyön kehittämisyhdistys Kivijalka ry", "Föreningen Steg för steg rf",
               "Äänekosken Vertaistupa ry", "Sinisiltasäätiö sr")),
    ThemePlan("housing", "Asumisen ja asunnottomuustyön verkosto",
              "Nätverket för boende och arbete mot bostadslöshet", "Housing and homelessness work network",
              "Asumisverkoston kokous", Cadence.MONTHLY, "FREQ=MONTHLY;BYDAY=3{wd}",
              "Kuukausittain; kiireelliset asumisasiat myös kokousten välillä.",
              "Kukaan ei vapaudu asunnottomaksi: asumisen suunnittelu alkaa rangaistusajan alussa; vuokra- ja "
              "tukiasumisen tarjoajien, asumisneuvonnan ja sosiaalitoimen yhteinen ohjausprosessi.",
              ("Vapautuvien asumisyhdistys Kotipolku ry", "Asunnottomuustyön kattojärjestö ry", "Sinisiltasäätiö sr",
               "Kivikylän kaupunki", "Velkaneuvonnan tukiyhdistys Kolikko ry")),
    ThemePlan("youth_child_welfare", "Lastensuojelun, jälkihuollon ja nuorten verkosto",
              "Nätverket för barnskydd, eftervård och unga", "Child welfare, after-care and young people network",
              "Lastensuojelu- ja jälkihuoltoverkoston kokous", Cadence.THREE_FOUR_A_YEAR,
              "FREQ=YEARLY;BYMONTH=1,5,10;BYDAY=3{wd}", "Kolme kertaa vuodessa (linjaus §7: säännöllisesti).",
              "Nuorten asiakkaiden ja vanhempina vankilassa olevien lasten tuki; lastensuojelun ja jälkihuollon "
              "yhteistyön toimintamalli; nuorisorangaistuksen toimeenpanon kumppanit.",
              ("Nuorten rikoksentorjuntayhdistys Ankkuri ry", "Läheisverkosto Sylikkö ry",
               "Rikosuhrien tukiyhdistys Turvasatama ry", "Kansanopisto Tuulimylly", "Kivikylän kaupunki")),
    ThemePlan("rehabilitation", "Kuntoutuspalveluiden verkosto", "Nätverket för rehabiliteringstjänster",
              "Rehabilitation services network", "Kuntoutusverkoston kokous", Cadence.TWICE_A_YEAR,
              "FREQ=YEARLY;BYMONTH=3,10;BYDAY=2{wd}", "Kahdesti vuodessa, keväällä ja syksyllä.",
              "Kuntoutuspolut laitoksesta avopalveluihin; työ- ja toimintakyvyn arvioinnin tulosten "
              "hyödyntäminen; sijoitusten laatu ja seuranta.",
              ("Säätiö Uudet Tiet sr", "Päihdekuntoutussäätiö sr", "Kokemusasiantuntijatoiminnan tukiyhdistys ry",
               "Äänekosken Vertaistupa ry", "Föreningen Steg för steg rf")),
)
PROSECUTION = {"ESRSK": ["Etelä-Suomen syyttäjäalue"],
               "LSRSK": ["Länsi-Suomen syyttäjäalue", "Sisä-Suomen syyttäjäalue"],
               "IPRSK": ["Itä-Suomen syyttäjäalue", "Pohjois-Suomen syyttäjäalue"]}
COURTS = {"ESRSK": ["Helsingin käräjäoikeus", "Kanta-Hämeen käräjäoikeus"],
          "LSRSK": ["Varsinais-Suomen käräjäoikeus", "Pirkanmaan käräjäoikeus"],
          "IPRSK": ["Oulun käräjäoikeus", "Pohjois-Savon käräjäoikeus"]}
AGENDA_NETWORK = ("1. Avaus ja kuulumiskierros\n2. Jäsenten palvelut ja niiden muutokset\n"
                  "3. Asiakkaiden ohjaus palveluihin: yhteiset käytännöt\n"
                  "4. Palvelu- ja tukitarpeet kotikunnittain ja hyvinvointialueittain\n"
                  "5. Yhteinen koulutus\n6. Seuraava kokous")
COURT_AGENDA = ("1. Avaus ja osallistujat\n2. Ajankohtaiset asiat\n3. Yhdyskuntaseuraamusselvitykset\n"
                "4. Tuomitsemiskäytännöt\n5. Rikosprosessiin liittyvät asiat: tehostettu matkustuskielto, "
                "tutkinta-aresti, keskeytys- ja muuntoesitykset, tuomiotietojen välittäminen\n"
                "6. Istuntojärjestelyt (valtakunnallinen linjaus, paikallinen sopiminen)\n"
                "7. Tuomareiden koulutustarpeet\n8. Seuraava palaveri")
MINUTES = {
    "network": "Läsnä: verkoston jäsenten yhteyshenkilöt ja keskuksen edustajat.\n"
               "1. Päihdekuntoutussäätiö esitteli avokuntoutuksen uudet ryhmät.\n"
               "2. Sovittiin, että hoitoon ohjaus aloitetaan viimeistään kolme kuukautta ennen vapautumista.\n"
               "3. Palvelutarpeiden kooste hyvinvointialueittain jaetaan jäsenille ennen seuraavaa kokousta.\n"
               "Seuraava kokous sääntöjen mukaan.",
    "prosecutors": "Käsiteltiin valtakunnallinen asialista.\n"
                   "3. Seuraamusselvityspyyntöjen käsittelyaika on lyhentynyt; pyynnöt pyritään lähettämään "
                   "syyteharkinnan alkuvaiheessa.\n"
                   "4. Törkeistä rikkomuksista ilmoitetaan syyttäjälle sovitulla lomakkeella.\n"
                   "5. Syyttäjille järjestetään koulutus valvontarangaistuksesta keväällä.\n"
                   "Seuraava palaveri vuoden kuluttua.",
    "courts": "Käsiteltiin ajankohtaiset asiat ja tuomitsemiskäytännöt; sovittiin istuntojärjestelyistä "
              "videoyhteyksin. Tuomiotietojen välittämisen viiveet selvitetään.",
    "steering": "1. Lausuntokierroksen palaute käytiin läpi.\n2. Verkostoja koskevaa lukua täydennetään "
                "teemojen a–e osalta.\n3. Seuraavaan kokoukseen luonnos toimeenpanosuunnitelmasta.",
    "steering_earlier": "1. Valmistelun aikataulu hyväksyttiin.\n2. Sovittiin sidosryhmien kuulemisesta.",
}
EVALUATIONS = (
    (GoalsMet.YES, "Yhteiset ohjauskäytännöt otettiin käyttöön; kaksi yhteistä koulutusta.",
     "Ei muutoksia; jatketaan sovitulla tapaamistiheydellä."),
    (GoalsMet.PARTLY, "Tiedonvaihto toimi; asiakasohjauksen prosessikuvaus jäi kesken.",
     "Prosessikuvaus valmiiksi seuraavan vuoden ensimmäisellä puoliskolla."),
    (GoalsMet.YES, "Uudet jäsenet mukaan; palvelutarpeiden kooste tehtiin hyvinvointialueittain.",
     "Kooste päivitetään vuosittain."),
    (GoalsMet.NO, "Kokouksia peruttiin henkilövaihdosten vuoksi; tavoitteet siirtyivät.",
     "Jokainen jäsen nimeää yhteyshenkilön; tapaamistiheyttä tarkistetaan."),
    (GoalsMet.PARTLY, "Yhteinen koulutus pidettiin; osa jäsenistä ei osallistunut.",
     "Kokoukset myös etäyhteydellä."),
)


def series_uid(key: str) -> str:
    """The stable iCalendar UID of a demo series."""
    return f"demo-{key}@{UID_DOMAIN}"


@dataclass
class SeriesPlan:
    """One demo series and its exceptions (indexes count the upcoming occurrences, 0 = the next one)."""

    key: str
    title: str
    rule: str | None
    hour: int
    duration: int
    anchor_days: int  # the series starts at the first occurrence on or after today minus this many days
    location: str | None = None
    video: bool = False
    agenda: str | None = None
    attendees: list[Contact] = field(default_factory=list)
    cancel: int | None = None
    move_to: str | None = None  # the next occurrence moves a day later, to 10:00 or 13:00, to this place
    minutes: list[str] = field(default_factory=list)  # for the last past occurrences, the latest first


@dataclass
class NetworkPlan:
    """One demo network with its members and series."""

    name_fi: str
    name_sv: str | None
    name_en: str | None
    theme: str | None
    level: NetworkLevel
    centre: Unit | None
    convenor: Unit
    cadence: Cadence
    organizer: User | None
    goals: str
    cadence_note: str | None = None
    facilitator: Unit | None = None
    members: list[tuple[Partner, Contact | None]] = field(default_factory=list)
    evaluation: int | None = None  # index into EVALUATIONS
    series: list[SeriesPlan] = field(default_factory=list)


# --- partners, contacts and people the demo needs ---------------------------------------------------


class _Directory:
    """The directory demo's partners and contacts by name, and the authorities added when missing."""

    def __init__(self, added: dict[str, int]) -> None:
        self.added = added
        self.by_name = {fold(p.name_fi): p for p in db.session.scalars(
            select(Partner).where(Partner.merged_into_id.is_(None)).order_by(Partner.id))}

    def partner(self, name: str) -> Partner:
        """A partner of the directory demo by its Finnish name (the demo needs it)."""
        found = self.by_name.get(fold(name))
        if found is None:
            raise RuntimeError(f"the directory demo is missing: {name}")
        return found

    def authority(self, name: str, level: PartnerLevel) -> Partner:
        """A state authority by name, added when missing."""
        found = self.by_name.get(fold(name))
        if found is None:
            found = directory_services.save_partner(Partner(), {
                "name_fi": name, "category": PartnerCategory.STATE_AUTHORITY, "level": level,
                "legal_form": "valtion virasto", "business_id": ""})
            self.by_name[fold(name)] = found
            self.added["partners"] += 1
        return found

    def liaison(self, partner: Partner, *, create: bool = False) -> Contact | None:
        """The partner's active contact to name as liaison (persons first); a shared mailbox when `create`."""
        contacts = sorted((c for c in db.session.scalars(select(Contact).where(
            Contact.partner_id == partner.id, Contact.active.is_(True)))),
            key=lambda c: (c.kind is not ContactKind.PERSON, c.id))
        if contacts or not create:
            return contacts[0] if contacts else None
        slug = "".join(ch for ch in fold(partner.name_fi) if ch.isalnum())[:30] or "partner"
        contact = directory_services.save_contact(Contact(), {
            "kind": ContactKind.MAILBOX, "partner": partner, "unit": None,
            "name": f"Yhteistyöasiat, {partner.name_fi}"[:200], "email": f"yhteistyo@{slug}.example",
            "public": True, "last_confirmed_at": utcnow()})
        self.added["contacts"] += 1
        return contact

    def mailbox(self, unit: Unit, name: str, email: str) -> Contact:
        """A Rise unit's task mailbox (policy §14) by its address, added when missing."""
        found = db.session.scalar(select(Contact).where(Contact.unit_id == unit.id, Contact.email == email))
        if found is None:
            found = directory_services.save_contact(Contact(), {
                "kind": ContactKind.MAILBOX, "partner": None, "unit": unit, "name": name, "email": email,
                "public": True, "last_confirmed_at": utcnow()})
            self.added["contacts"] += 1
        return found


def _rise_contacts(unit: Unit) -> list[Contact]:
    """Active Rise contacts in the unit's scope (the unit's own first)."""
    ids = scope_unit_ids(unit)
    return list(db.session.scalars(select(Contact).where(Contact.unit_id.in_(ids), Contact.active.is_(True))
                                   .order_by(Contact.unit_id != unit.id, Contact.id)))


# --- the recipe -------------------------------------------------------------------------------------


def _centre_plans(centre: Unit, index: int, directory: _Directory, organizer: User | None) -> list[NetworkPlan]:
    """A sanction centre's theme networks a–e and its yearly meetings with prosecutors and courts."""
    short = SHORT.get(centre.code, centre.code)
    rise = _rise_contacts(centre)
    counties = [directory.by_name[fold(r.name_fi)] for r in db.session.scalars(
        select(Region).where(Region.sanction_centre_id == centre.id).order_by(Region.code))
        if fold(r.name_fi) in directory.by_name]  # the wellbeing services counties of the centre's area
    facilitators = sorted((u for u in db.session.scalars(select(Unit).where(Unit.parent_id == centre.id))
                           if u.kind is UnitKind.COMMUNITY_SANCTIONS_OFFICE), key=lambda u: u.code)
    plans: list[NetworkPlan] = []
    for t, theme in enumerate(THEMES):
        weekday = WEEKDAYS[(index + t) % len(WEEKDAYS)]
        count = 3 + (index + t) % 3  # partners from the theme's list, plus the wellbeing services county
        candidates = theme.partners[index % len(theme.partners):] + theme.partners[:index % len(theme.partners)]
        members: list[tuple[Partner, Contact | None]] = []
        for name in candidates[:count]:
            partner = directory.partner(name)
            members.append((partner, directory.liaison(partner)))
        if counties:
            county = counties[t % len(counties)]
            members.append((county, directory.liaison(county, create=True)))
        if index == 0 and theme.code == "housing":
            members[-1] = (members[-1][0], None)  # has not named its liaison yet: the network page warns
        liaisons = [c for _p, c in members if c is not None]
        attendees = liaisons + [rise[(t + k) % len(rise)] for k in range(min(2, len(rise)))] if rise else liaisons
        series = SeriesPlan(
            key=f"{centre.code.lower()}-{theme.code}", title=f"{theme.title} ({short})",
            rule=theme.rule.format(wd=weekday), hour=10 if (index + t) % 2 == 0 else 13, duration=120,
            anchor_days=540, location=f"{centre.name_fi}, neuvotteluhuone {t + 1}" if t % 2 == 0 else None,
            video=t % 2 == 1, agenda=AGENDA_NETWORK, attendees=list(dict.fromkeys(attendees)),
            minutes=[MINUTES["network"]] if index == 0 and theme.code == "substance_mental" else [])
        plans.append(NetworkPlan(
            name_fi=f"{theme.name_fi} – {centre.name_fi}", name_sv=f"{theme.name_sv} – {centre.name_sv}",
            name_en=f"{theme.name_en} – {centre.name_en}", theme=theme.code, level=NetworkLevel.CENTRE,
            centre=centre, convenor=centre, facilitator=facilitators[t % len(facilitators)] if t % 2 and
            facilitators else None, cadence=theme.cadence, cadence_note=theme.cadence_note, goals=theme.goals,
            organizer=organizer, members=members, evaluation=(index * 5 + t) % len(EVALUATIONS), series=[series]))
        if index == 0 and theme.code == "housing":
            plans[-1].series.append(SeriesPlan(
                key="esrsk-housing-workshop", title="Työpaja: vapautuvien asumispolut (Etelä-Suomi)", rule=None,
                hour=13, duration=180, anchor_days=-20, location="Vapautuvien asumisyhdistys Kotipolku ry",
                agenda="1. Asumispolut vapautuessa: nykytila\n2. Asunnottomuuden ennaltaehkäisy ennen vapautumista\n"
                       "3. Yhteiset toimintatavat ja vastuut\n4. Sovitut jatkotoimet", attendees=liaisons[:3]))
    agenda = AGENDA_FILE.read_text(encoding="utf-8").strip()
    for kind, names, title, month, week, agenda_text in (
            ("prosecutors", PROSECUTION, "Yhteistyöpalaveri paikallisten syyttäjien kanssa", (3, 4, 5)[index % 3], 3,
             agenda),
            ("courts", COURTS, "Yhteistyöpalaveri tuomioistuinten kanssa", (9, 10, 11)[index % 3], 2, COURT_AGENDA)):
        members = []
        for name in names.get(centre.code, []):
            partner = directory.authority(name, PartnerLevel.REGIONAL)
            members.append((partner, directory.liaison(partner, create=True)))
        liaisons = [c for _p, c in members if c is not None]
        label = "Syyttäjäyhteistyö" if kind == "prosecutors" else "Tuomioistuinyhteistyö"
        label_sv = "Samarbete med åklagarna" if kind == "prosecutors" else "Samarbete med domstolarna"
        label_en = "Cooperation with the prosecutors" if kind == "prosecutors" else "Cooperation with the courts"
        plans.append(NetworkPlan(
            name_fi=f"{label} – {centre.name_fi}", name_sv=f"{label_sv} – {centre.name_sv}",
            name_en=f"{label_en} – {centre.name_en}", theme="criminal_justice", level=NetworkLevel.CENTRE,
            centre=centre, convenor=centre, cadence=Cadence.YEARLY, organizer=organizer, members=members,
            cadence_note="Vuosittain; valtakunnallinen asialista (linjaus §6.1)." if kind == "prosecutors"
            else "Vuosittain; istuntojärjestelyt linjataan valtakunnallisesti ja sovitaan paikallisesti.",
            goals="Ajankohtaiset asiat, yhdyskuntaseuraamusselvitykset ja rikosprosessiin liittyvät asiat "
                  "käsitellään yhdenmukaisesti" + (" valtakunnallisen asialistan mukaan." if kind == "prosecutors"
                                                   else "; tuomitsemiskäytännöistä keskustellaan."),
            evaluation=(index + (0 if kind == "prosecutors" else 2)) % len(EVALUATIONS),
            series=[SeriesPlan(
                key=f"{centre.code.lower()}-{kind}", title=f"{title} ({short})",
                rule=f"FREQ=YEARLY;BYMONTH={month};BYDAY={week}{WEEKDAYS[index % len(WEEKDAYS)]}", hour=13,
                duration=180, anchor_days=400, location=f"{centre.name_fi}, kokoustila", agenda=agenda_text,
                attendees=liaisons + rise[:1],
                minutes=[MINUTES[kind]] if index == 0 else [])]))
    return plans


def _national_plans(units: dict[str, Unit], directory: _Directory, organizer: dict[str, User | None],
                    centres: list[Unit]) -> list[NetworkPlan]:
    """The national cooperation meetings of DOMAIN §7.1–7.5."""
    oper, keoh, aspr = units["RISE-OPER"], units["RISE-KEOH"], units["RISE-ASPR"]
    from_centres = [c for centre in centres for c in _rise_contacts(centre)[:1]]
    migri = directory.authority("Maahanmuuttovirasto (Migri)", PartnerLevel.NATIONAL)
    krp = directory.authority("Keskusrikospoliisi", PartnerLevel.NATIONAL)
    nordic = [directory.partner("Pohjoismainen uudelleensijoittumisverkosto"),
              directory.partner("Euroopan vankilaopetuksen verkosto"),
              directory.partner("Seuraamustutkimuksen instituutti")]
    nordic_members = [(p, directory.liaison(p, create=True)) for p in nordic]
    nordic_liaisons = [c for _p, c in nordic_members if c is not None]
    migri_liaison, krp_liaison = directory.liaison(migri, create=True), directory.liaison(krp, create=True)
    authorities = directory.mailbox(oper, "Viranomaisyhteistyö", "viranomaisyhteistyo@demo.rise.example")
    international = directory.mailbox(keoh, "Kansainvälinen yhteistyö", "kansainvalinen@demo.rise.example")
    nrn, epln, research = nordic_liaisons if len(nordic_liaisons) == 3 else (None, None, None)
    national = [c for c in _rise_contacts(keoh) + _rise_contacts(aspr) if c not in (authorities, international)]
    level = NetworkLevel.NATIONAL
    return [
        NetworkPlan(
            name_fi="Maahanmuuttoviraston ja Rikosseuraamuslaitoksen yhteistyökokoukset",
            name_sv="Samarbetsmöten mellan Migrationsverket och Brottspåföljdsmyndigheten",
            name_en="Cooperation meetings of the Finnish Immigration Service and the Prison and Probation Service",
            theme="criminal_justice", level=level, centre=None, convenor=oper, cadence=Cadence.QUARTERLY,
            cadence_note="Säännöllisten yhteistyökokousten pitoa jatketaan (linjaus §6.2).",
            goals="Tiedonvaihto; käännytys- ja oleskelulupatilanteet; ulkomaalaisrekisterin käytön koulutus.",
            organizer=organizer["RISE-OPER"], members=[(migri, migri_liaison)], evaluation=1,
            series=[SeriesPlan(key="migri", title="Migrin ja Rikosseuraamuslaitoksen yhteistyökokous",
                               rule="FREQ=MONTHLY;INTERVAL=3;BYDAY=2WE", hour=13, duration=120, anchor_days=500,
                               video=True, attendees=[c for c in (migri_liaison, authorities) if c],
                               move_to="Maahanmuuttovirasto, Helsinki")]),
        NetworkPlan(
            name_fi="Keskusrikospoliisin ja Rikosseuraamuslaitoksen vuosikokous",
            name_sv="Centralkriminalpolisens och Brottspåföljdsmyndighetens årsmöte",
            name_en="Yearly meeting of the National Bureau of Investigation and the Prison and Probation Service",
            theme="criminal_justice", level=level, centre=None, convenor=oper, cadence=Cadence.YEARLY,
            cadence_note="Keskushallintoyksikkö järjestää vuosittain (linjaus §6.3).",
            goals="Järjestäytyneen rikollisuuden vastaisten toimien tehostaminen; exit-toiminnan yhteistyö.",
            organizer=organizer["RISE-OPER"], members=[(krp, krp_liaison)], evaluation=0,
            series=[SeriesPlan(key="krp", title="KRP:n ja Rikosseuraamuslaitoksen vuosikokous",
                               rule="FREQ=YEARLY;BYMONTH=10;BYDAY=2TH", hour=10, duration=240, anchor_days=400,
                               location="Keskusrikospoliisi, Vantaa",
                               attendees=[c for c in (krp_liaison, authorities) if c])]),
        NetworkPlan(
            name_fi="Lastensuojelun ja jälkihuollon kehittämis- ja keskustelufoorumi",
            name_sv="Utvecklings- och diskussionsforum för barnskydd och eftervård",
            name_en="Child welfare and after-care development and discussion forum",
            theme="youth_child_welfare", level=level, centre=None, convenor=aspr, cadence=Cadence.THREE_FOUR_A_YEAR,
            cadence_note="Rikosseuraamuslaitoksen sisäinen foorumi, esim. 3–4 kertaa vuodessa (linjaus §7).",
            goals="Lastensuojelu, jälkihuolto ja nuoret asiakkaat; henkilöstön lastensuojelulain ja päihdetyön "
                  "osaamisen vahvistaminen; rikosseuraamuskeskusten verkostojen tukeminen.",
            organizer=organizer["RISE-ASPR"], evaluation=2,
            series=[SeriesPlan(key="child-welfare-forum", title="Lastensuojelun ja jälkihuollon foorumi",
                               rule="FREQ=YEARLY;BYMONTH=2,5,9,11;BYDAY=2TU", hour=13, duration=150,
                               anchor_days=500, video=True, attendees=from_centres + national[-1:])]),
        NetworkPlan(
            name_fi="Sidosryhmäyhteistyön linjausten valmistelun ohjausryhmä",
            name_sv="Styrgruppen för beredningen av riktlinjerna för intressentsamarbetet",
            name_en="Steering group for preparing the stakeholder cooperation policy",
            theme=None, level=level, centre=None, convenor=keoh, cadence=Cadence.MONTHLY,
            cadence_note="Kokoontuu noin kerran kuukaudessa.",
            goals="Linjausten valmistelu, lausuntokierroksen palautteen käsittely ja toimeenpanon seuranta.",
            organizer=organizer["RISE-KEOH"],
            series=[SeriesPlan(key="policy-steering-group", title="Linjausvalmistelun ohjausryhmä",
                               rule="FREQ=MONTHLY;BYDAY=2MO", hour=13, duration=90, anchor_days=420,
                               location="Rikosseuraamuslaitoksen keskushallinto, Helsinki", video=True,
                               attendees=national + from_centres[:1], cancel=1,
                               minutes=[MINUTES["steering"], MINUTES["steering_earlier"]])]),
        NetworkPlan(
            name_fi="Pohjoismainen asiantuntijayhteistyö", name_sv="Nordiskt expertsamarbete",
            name_en="Nordic expert cooperation", theme="international", level=level, centre=None, convenor=keoh,
            cadence=Cadence.YEARLY,
            cadence_note="Pohjoismaiden asiantuntijat ovat yhteydessä vähintään vuosittain (linjaus §11).",
            goals="Säännölliset pohjoismaiset kokoukset vankilaopetuksesta, tutkimuksesta, turvallisuudesta ja "
                  "terveydenhuollosta; kokemusten ja käytäntöjen vaihto.",
            organizer=organizer["RISE-KEOH"], members=nordic_members,
            series=[SeriesPlan(key=f"nordic-{key}", title=title, rule=f"FREQ=YEARLY;BYMONTH={month};BYDAY={day}",
                               hour=10, duration=360, anchor_days=400, video=True, location=place,
                               attendees=[c for c in (nrn, other, international) if c])
                    for key, title, month, day, place, other in (
                        ("education", "Pohjoismainen vankilaopetuksen kokous", 5, "3TU", "Oslo", epln),
                        ("research", "Pohjoismainen tutkimuskokous", 9, "2WE", "Tukholma", research),
                        ("security", "Pohjoismainen turvallisuuskokous", 3, "4TH", "Kööpenhamina", authorities),
                        ("health", "Pohjoismainen terveydenhuollon kokous", 11, "2TU", "Helsinki", None))]),
    ]


# --- building ---------------------------------------------------------------------------------------


def _build_network(plan: NetworkPlan, themes: dict[str, Theme], today: date, now: datetime,
                   added: dict[str, int]) -> Network:
    network = Network(
        name_fi=plan.name_fi, name_sv=plan.name_sv, name_en=plan.name_en, theme=themes.get(plan.theme or ""),
        level=plan.level, centre=plan.centre, convenor_unit=plan.convenor, facilitator_unit=plan.facilitator,
        cadence=plan.cadence, cadence_note=plan.cadence_note, goals=plan.goals, active=True,
        created_at=now - timedelta(days=720))
    for number, (partner, liaison) in enumerate(plan.members):
        network.members.append(NetworkMember(partner=partner, liaison=liaison,
                                             joined_on=today - timedelta(days=700 - 60 * number)))
        added["members"] += 1
    if plan.evaluation is not None:
        goals_met, results, changes = EVALUATIONS[plan.evaluation]
        recorded = min(now, datetime(2026, 1, 20, 9, tzinfo=UTC) + timedelta(days=plan.evaluation * 3))
        network.evaluations.append(NetworkEvaluation(year=2025, goals_met=goals_met, results=results,
                                                     changes=changes, recorded_by=plan.organizer,
                                                     recorded_at=recorded))
        added["evaluations"] += 1
    db.session.add(network)
    db.session.flush()
    added["networks"] += 1
    return network


def _build_series(network: Network, plan: SeriesPlan, organizer: User | None, today: date,
                  added: dict[str, int]) -> None:
    anchor = datetime.combine(today - timedelta(days=plan.anchor_days), time(plan.hour))
    if plan.rule is None:
        while anchor.weekday() >= 5:
            anchor += timedelta(days=1)
        starts_at = anchor
    else:
        starts_at = first_meeting(plan.rule, anchor)
    series = MeetingSeries(
        network=network, uid=series_uid(plan.key), title=plan.title, starts_at=starts_at,
        duration_minutes=plan.duration, rrule=plan.rule, location=plan.location,
        video_url=f"{VIDEO}{plan.key}" if plan.video else None, agenda=plan.agenda, organizer=organizer,
        attendees=list(dict.fromkeys(plan.attendees)))
    db.session.add(series)
    added["series"] += 1
    cut = datetime.combine(today, time(0))
    past = rules.rule_dates(starts_at, plan.rule, starts_at, cut)
    upcoming = rules.rule_dates(starts_at, plan.rule, cut, cut + timedelta(days=800))
    for text, when in zip(plan.minutes, reversed(past), strict=False):
        series.occurrences.append(Occurrence(recurrence_id=when, minutes=text))
        added["occurrence exceptions"] += 1
    if plan.cancel is not None and len(upcoming) > plan.cancel:
        series.occurrences.append(Occurrence(recurrence_id=upcoming[plan.cancel],
                                             status=OccurrenceStatus.CANCELLED, sequence=1))
        added["occurrence exceptions"] += 1
    if plan.move_to is not None and upcoming:
        moved = datetime.combine(upcoming[0].date() + timedelta(days=1), time(10 if upcoming[0].hour != 10 else 13))
        series.occurrences.append(Occurrence(recurrence_id=upcoming[0], starts_at=moved, location=plan.move_to,
                                             sequence=1))
        added["occurrence exceptions"] += 1
    db.session.flush()


def load_meetings_demo() -> dict[str, int]:
    """Add the missing demo networks, series and their exceptions (needs the directory demo); returns counts."""
    today, now = helsinki_today(), utcnow()
    added = {"networks": 0, "members": 0, "evaluations": 0, "series": 0, "occurrence exceptions": 0,
             "followers": 0, "partners": 0, "contacts": 0}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    directory = _Directory(added)
    themes = {t.code: t for t in db.session.scalars(select(Theme))}
    users = list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
    admin = next((u for u in users if u.has_role("admin")), None)
    directors = {u.home_unit_id: u for u in users if u.has_role("director")}
    at_unit = {code: next((u for u in users if u.home_unit_id == unit.id), None) for code, unit in units.items()}
    organizer = {code: at_unit.get(code) or admin for code in ("RISE-OPER", "RISE-KEOH", "RISE-ASPR")}
    centres = sorted((u for u in units.values() if u.kind is UnitKind.SANCTION_CENTRE), key=lambda u: u.code)
    plans: list[NetworkPlan] = []
    for index, centre in enumerate(centres):
        plans += _centre_plans(centre, index, directory, directors.get(centre.id) or admin)
    plans += _national_plans(units, directory, organizer, centres)
    networks = {n.name_fi: n for n in db.session.scalars(select(Network))}
    uids = set(db.session.scalars(select(MeetingSeries.uid).where(MeetingSeries.uid.like(f"demo-%@{UID_DOMAIN}"))))
    for plan in plans:
        network = networks.get(plan.name_fi)
        if network is None:
            network = networks[plan.name_fi] = _build_network(plan, themes, today, now, added)
        for series in plan.series:
            if series_uid(series.key) not in uids:
                _build_series(network, series, plan.organizer, today, added)
                uids.add(series_uid(series.key))
    staff = next((u for u in users if u.email == STAFF_EMAIL), None)
    followed = networks.get(plans[1].name_fi) if len(plans) > 1 else None  # the first centre's substance network
    if staff is not None and followed is not None and staff not in followed.followers:
        followed.followers.append(staff)
        added["followers"] += 1
    db.session.flush()
    return added
