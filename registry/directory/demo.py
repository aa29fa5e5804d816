"""Directory demo data: the hand-made fictional partners and contacts, and synthetic volume for benchmarks.

`load_directory_demo()` reads seed/demo_partners.csv, demo_contacts.csv and demo_liaisons.csv and adds what is
missing through the directory services, so the same validation applies as in the user interface. All
organisations, persons, e-mail addresses (*.example) and business IDs are fictional: the business IDs come from
the range 99xxxxx, far above the numbers issued so far, with their check digits computed here.

`generate_partners(n)` adds `n` synthetic partners with about three contacts each, in bulk (a few thousand rows
per statement), for `registry seed --demo --scale N` and scripts/bench. Their business IDs come from the range
9000000–9899999, which is also how they are recognised and counted: a second run with the same `n` adds nothing.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from ..core import audit
from ..core.models import Region, Unit, utcnow
from ..extensions import db
from ..i18n import today as helsinki_today
from . import rules, search, services
from .models import (
    Contact,
    ContactKind,
    Keyword,
    LiaisonRole,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
    SuitabilityOutcome,
    Theme,
    contact_keyword,
    partner_region,
    partner_theme,
)

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "seed"
COUNTY_NUMBERS = 9920001  # business numbers of the demo wellbeing services counties start here
GENERATED_FIRST, GENERATED_LAST = 9000000, 9899999  # the range of generated partners' business numbers
SUITABILITY_CHECKER = "Tiina Työryhmä (projektikumppanuustyöryhmä)"


def with_check_digit(number: int) -> str | None:
    """The business ID (1234567-8) for a seven-digit number, or None when no check digit exists (remainder 1)."""
    digits = f"{number:07d}"
    check = rules.business_id_check_digit(digits)
    return None if check is None else f"{digits}-{check}"


def business_ids(first: int) -> Iterator[str]:
    """Valid business IDs from `first` upwards (numbers that have no check digit are skipped)."""
    number = first
    while True:
        business_id = with_check_digit(number)
        if business_id is not None:
            yield business_id
        number += 1


def _rows(name: str) -> list[dict[str, str]]:
    with (SEED_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the hand-made demo set -----------------------------------------------------------------------


def _partner_rows(regions: list[Region]) -> list[dict[str, str]]:
    """The partners of demo_partners.csv, then every wellbeing services county (and Helsinki) as a partner."""
    rows = _rows("demo_partners.csv")
    numbers = business_ids(COUNTY_NUMBERS)
    for region in sorted(regions, key=lambda r: r.code):
        helsinki = region.code == "HKI"
        rows.append({
            "key": f"county-{region.code}", "name_fi": region.name_fi, "name_sv": region.name_sv or "",
            "name_en": region.name_en or "", "business_id": next(numbers),
            "category": PartnerCategory.MUNICIPALITY if helsinki else PartnerCategory.WELLBEING_COUNTY,
            "legal_form": "kunta" if helsinki else "hyvinvointialue", "level": PartnerLevel.REGIONAL,
            "website": "", "regions": region.code, "themes": "substance_mental housing", "active": "1",
            "suitability": "", "suitability_days_ago": "", "notes": "",
        })
    return rows


def _load_partners(today: date, added: dict[str, int]) -> dict[str, Partner]:
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    themes = {t.code: t for t in db.session.scalars(select(Theme))}
    partners: dict[str, Partner] = {}
    for row in _partner_rows(list(regions.values())):
        existing = db.session.scalar(select(Partner).where(Partner.name_fi == row["name_fi"]).order_by(Partner.id))
        if existing is not None:
            partners[row["key"]] = existing
            continue
        business_id = row.get("business_id") or (with_check_digit(int(row["business_number"]))
                                                 if row.get("business_number") else None)
        if business_id and services.partner_by_business_id(business_id) is not None:
            business_id = None  # taken (e.g. counties numbered anew after an admin added a region)
        data: dict[str, Any] = {
            "name_fi": row["name_fi"], "name_sv": row["name_sv"] or None, "name_en": row["name_en"] or None,
            "business_id": business_id or "", "category": PartnerCategory(row["category"]),
            "legal_form": row["legal_form"] or None, "level": PartnerLevel(row["level"]),
            "website": row["website"] or None, "notes": row["notes"] or None, "active": row["active"] == "1",
        }
        if row["suitability"]:
            data.update(suitability_outcome=SuitabilityOutcome(row["suitability"]),
                        suitability_checked_on=today - timedelta(days=int(row["suitability_days_ago"])),
                        suitability_checked_by=SUITABILITY_CHECKER)
        partner = services.save_partner(Partner(), data)
        partner.regions = [regions[code] for code in row["regions"].split() if code in regions]
        partner.themes = [themes[code] for code in row["themes"].split() if code in themes]
        db.session.flush()
        partners[row["key"]] = partner
        added["partners"] += 1
    return partners


def _load_contacts(now: datetime, partners: dict[str, Partner], added: dict[str, int]) -> dict[str, Contact]:
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    contacts: dict[str, Contact] = {}
    for row in _rows("demo_contacts.csv"):
        partner = partners.get(row["partner"]) if row["partner"] else None
        unit = units.get(row["unit"]) if row["unit"] else None
        if partner is None and unit is None:
            continue  # its organisation is missing (e.g. a unit an admin has removed)
        owner = Contact.partner_id == partner.id if partner is not None else \
            Contact.unit_id == (unit.id if unit is not None else None)
        existing = db.session.scalar(select(Contact).where(Contact.name == row["name"], owner).order_by(Contact.id))
        if existing is not None:
            contacts[row["key"]] = existing
            continue
        data = {
            "kind": ContactKind(row["kind"]), "partner": partner, "unit": unit, "name": row["name"],
            "title": row["title"] or None, "email": row["email"] or None, "phone": row["phone"],
            "mobile": row["mobile"], "public": row["public"] == "1", "notes": row["notes"] or None,
            "active": partner.active if partner is not None else True,
            "last_confirmed_at": now - timedelta(days=int(row["confirmed_days_ago"])),
        }
        contacts[row["key"]] = services.save_contact(Contact(), data, services.keywords_from_text(row["keywords"]))
        added["contacts"] += 1
    return contacts


def _load_liaisons(today: date, partners: dict[str, Partner], contacts: dict[str, Contact],
                   added: dict[str, int]) -> None:
    themes = {t.code: t.id for t in db.session.scalars(select(Theme))}
    for row in _rows("demo_liaisons.csv"):
        contact = contacts.get(row["contact"])
        partner = partners.get(row["partner"]) if row["partner"] else None
        theme_id = themes.get(row["theme"]) if row["theme"] else None
        if contact is None or (row["partner"] and partner is None) or (row["theme"] and theme_id is None):
            continue
        subject, side = LiaisonSubject(row["subject"]), LiaisonSide(row["side"])
        project = row["project"] or None
        exists = db.session.scalar(select(LiaisonRole.id).where(
            LiaisonRole.contact_id == contact.id, LiaisonRole.subject == subject, LiaisonRole.side == side,
            LiaisonRole.partner_id == partner.id if partner else LiaisonRole.partner_id.is_(None),
            LiaisonRole.theme_id == theme_id if theme_id else LiaisonRole.theme_id.is_(None),
            LiaisonRole.project == project if project else LiaisonRole.project.is_(None)))
        if exists is not None:
            continue
        valid_to = today - timedelta(days=int(row["to_days_ago"])) if row["to_days_ago"] else None
        services.add_liaison_role(contact, subject=subject, side=side, partner=partner, theme_id=theme_id,
                                  project=project, valid_from=today - timedelta(days=int(row["from_days_ago"])),
                                  valid_to=valid_to)
        added["liaison roles"] += 1


def load_directory_demo() -> dict[str, int]:
    """Add the missing demo partners, contacts and liaison roles (needs the reference data); returns counts."""
    now = utcnow()
    today = helsinki_today()
    added = {"partners": 0, "contacts": 0, "liaison roles": 0}
    partners = _load_partners(today, added)
    contacts = _load_contacts(now, partners, added)
    _load_liaisons(today, partners, contacts, added)
    db.session.flush()
    return added


# --- synthetic volume (--scale) -------------------------------------------------------------------

# (Finnish genitive, Swedish name or "", region code)
PLACES = [
    ("Helsingin", "Helsingfors", "HKI"), ("Espoon", "Esbo", "LSU"), ("Vantaan", "Vanda", "VAK"),
    ("Keravan", "Kervo", "VAK"), ("Porvoon", "Borgå", "ITU"), ("Loviisan", "Lovisa", "ITU"),
    ("Järvenpään", "Träskända", "KEU"), ("Hyvinkään", "Hyvinge", "KEU"), ("Tuusulan", "Tusby", "KEU"),
    ("Lohjan", "Lojo", "LSU"), ("Raaseporin", "Raseborg", "LSU"), ("Kirkkonummen", "Kyrkslätt", "LSU"),
    ("Hämeenlinnan", "Tavastehus", "KAH"), ("Riihimäen", "Riihimäki", "KAH"), ("Forssan", "", "KAH"),
    ("Lahden", "Lahtis", "PAH"), ("Heinolan", "", "PAH"), ("Kouvolan", "", "KYM"), ("Kotkan", "", "KYM"),
    ("Lappeenrannan", "Villmanstrand", "EKA"), ("Imatran", "", "EKA"), ("Turun", "Åbo", "VSS"),
    ("Salon", "Salo", "VSS"), ("Kaarinan", "S:t Karins", "VSS"), ("Paraisten", "Pargas", "VSS"),
    ("Uudenkaupungin", "Nystad", "VSS"), ("Pöytyän", "", "VSS"), ("Porin", "Björneborg", "SAT"),
    ("Rauman", "Raumo", "SAT"), ("Säkylän", "", "SAT"), ("Tampereen", "Tammerfors", "PIR"),
    ("Nokian", "", "PIR"), ("Ylöjärven", "", "PIR"), ("Kangasalan", "", "PIR"), ("Valkeakosken", "", "PIR"),
    ("Mänttä-Vilppulan", "", "PIR"), ("Vaasan", "Vasa", "POH"), ("Mustasaaren", "Korsholm", "POH"),
    ("Närpiön", "Närpes", "POH"), ("Pietarsaaren", "Jakobstad", "POH"), ("Uudenkaarlepyyn", "Nykarleby", "POH"),
    ("Seinäjoen", "", "EPO"), ("Ähtärin", "Etseri", "EPO"), ("Kauhajoen", "", "EPO"), ("Kokkolan", "Karleby", "KPO"),
    ("Kruunupyyn", "Kronoby", "KPO"), ("Jyväskylän", "Jyväskylä", "KSU"), ("Äänekosken", "", "KSU"),
    ("Jämsän", "", "KSU"), ("Oulun", "Uleåborg", "PPO"), ("Raahen", "Brahestad", "PPO"),
    ("Kärsämäen", "", "PPO"), ("Kajaanin", "Kajana", "KAI"), ("Rovaniemen", "Rovaniemi", "LAP"),
    ("Kemijärven", "", "LAP"), ("Sodankylän", "", "LAP"), ("Inarin", "Enare", "LAP"), ("Utsjoen", "Utsjoki", "LAP"),
    ("Kuopion", "Kuopio", "PSA"), ("Iisalmen", "Idensalmi", "PSA"), ("Joensuun", "Joensuu", "PKA"),
    ("Lieksan", "", "PKA"), ("Mikkelin", "S:t Michel", "ESA"), ("Savonlinnan", "Nyslott", "ESA"),
]
DISTINCT = ["Majakka", "Ankkuri", "Silta", "Polku", "Kipinä", "Tähti", "Kompassi", "Kajo", "Aura", "Virta", "Lyhty",
            "Kaarna", "Tuulenpesä", "Kallio", "Sateenkaari", "Pihlaja", "Kataja", "Välke", "Pilke", "Helmi", "Kaiku",
            "Kumppani", "Lähde", "Verso", "Sarastus", "Aamurusko", "Ahjo", "Kide", "Turva", "Harju", "Niitty",
            "Salmi", "Höylä", "Tervaskanto", "Kivijalka", "Pärske", "Ränni", "Yöpöllö", "Ässä", "Öljylamppu"]
DISTINCT_SV = ["Fyren", "Ankaret", "Bron", "Stigen", "Gnistan", "Stjärnan", "Kompassen", "Källan", "Ljuset", "Hamnen"]
ASSOCIATION_KINDS = ["päihdetyön tukiyhdistys", "asunnottomuustyön yhdistys", "kokemusasiantuntijayhdistys",
                     "vertaistukiyhdistys", "nuorisotyön yhdistys", "rikoksentorjuntayhdistys", "läheistyön yhdistys",
                     "velkaneuvontayhdistys", "mielenterveysyhdistys", "kuntoutusyhdistys", "kriminaalityön yhdistys",
                     "vapautuvien tukiyhdistys", "työllistämisyhdistys", "sovittelutoiminnan yhdistys"]
FOUNDATION_KINDS = ["säätiö", "asumissäätiö", "kuntoutussäätiö", "päihdehuoltosäätiö", "koulutussäätiö"]
COMPANY_KINDS = ["Rakennuspalvelut", "Siivouspalvelut", "Koulutuspalvelut", "Kuljetus", "Konsultointi",
                 "Turvallisuuspalvelut", "Ohjelmistot", "Ravintolapalvelut", "Kiinteistöhuolto", "Työterveys"]
STATE_KINDS = ["työllisyystoimisto", "oikeusaputoimisto", "velkaneuvontatoimisto", "poliisiyksikkö",
               "ulosottoyksikkö", "maistraatin palvelupiste"]
SCHOOL_KINDS = ["ammattiopisto", "kansanopisto", "aikuiskoulutuskeskus", "lukio", "ammattikorkeakoulun kampus"]
RESEARCH_TOPICS = ["kriminologian", "päihdetutkimuksen", "sosiaalitutkimuksen", "asumistutkimuksen",
                   "hyvinvointitutkimuksen"]
INTERNATIONAL = [("Pohjoismainen vankeinhoitoverkosto", "Nordic Prison Service Network"),
                 ("Euroopan kuntoutusfoorumi", "European Rehabilitation Forum"),
                 ("Itämeren rikoksentorjuntaverkosto", "Baltic Crime Prevention Network"),
                 ("Kansainvälinen kokemusasiantuntijaliitto", "International Federation of Experts by Experience"),
                 ("Euroopan vapautumisen tuen verkosto", "European Resettlement Support Network")]
FIRST_FI = ["Aino", "Eero", "Helmi", "Ilmari", "Johanna", "Kalle", "Laura", "Mikko", "Noora", "Olli", "Päivi",
            "Riikka", "Sami", "Tiina", "Ulla", "Veikko", "Anneli", "Harri", "Jenni", "Kimmo", "Liisa", "Markku",
            "Minna", "Niko", "Outi", "Pasi", "Reija", "Seppo", "Taru", "Vesa", "Satu", "Jukka", "Elina", "Antti",
            "Heli", "Tuomas", "Kaisa", "Jarmo", "Sirpa", "Janne", "Marjut", "Ville", "Hanna", "Juha", "Katja",
            "Lauri", "Merja", "Petteri", "Sanna", "Toni", "Anu", "Erkki", "Iida", "Joonas", "Kirsi", "Mervi"]
FIRST_SV = ["Anders", "Birgitta", "Christer", "Ebba", "Fredrik", "Gunilla", "Henrik", "Ida", "Johan", "Karin",
            "Linnea", "Mats", "Nina", "Oskar", "Pia", "Rasmus", "Sofia", "Tove", "Ulf", "Viktoria"]
LAST_FI = ["Aaltonen", "Heikkinen", "Hämäläinen", "Jääskeläinen", "Kärkkäinen", "Laaksonen", "Mäkinen",
           "Nyström", "Ojanen", "Pöllänen", "Räsänen", "Salminen", "Tähtinen", "Väisänen", "Ylinen", "Åkerlund",
           "Hyvärinen", "Kettunen", "Lehtonen", "Manninen", "Nurmi", "Pesonen", "Rautiainen", "Saarela",
           "Tolvanen", "Vähäkangas", "Hakkarainen", "Ikonen", "Jokela", "Kinnunen", "Lappalainen", "Miettinen",
           "Niskanen", "Oksanen", "Partanen", "Rantala", "Seppälä", "Turunen", "Valtonen", "Peltola",
           "Honkanen", "Kauppinen", "Leinonen", "Mustonen", "Pulkkinen", "Ruotsalainen", "Sillanpää", "Vuorinen"]
LAST_SV = ["Lindqvist", "Sjöberg", "Grönroos", "Holmström", "Westerlund", "Björkman", "Lindholm", "Sundqvist",
           "Forsström", "Ekström"]
TITLES = ["Toiminnanjohtaja", "Projektipäällikkö", "Sosiaaliohjaaja", "Asumisohjaaja", "Vertaisohjaaja",
          "Kouluttaja", "Työvalmentaja", "Palvelupäällikkö", "Kehittämispäällikkö", "Erityisasiantuntija",
          "Nuorisotyöntekijä", "Diakoniatyöntekijä", "Velkaneuvoja", "Sairaanhoitaja", "Opettaja", "Tutkija",
          "Koordinaattori", "Toimitusjohtaja", "Rehtori", "Sosiaalityöntekijä"]
MAILBOXES = ["Neuvonta", "Vertaistuki", "Kokemusasiantuntijapalvelut", "Yhteistyöpyynnöt", "Asumisneuvonta",
             "Koulutuspalvelut"]
KEYWORDS = ["kokemusasiantuntijuus", "päihdetyö", "asunnottomuus", "vankilaopetus", "velkaneuvonta",
            "mielenterveystyö", "nuorisotyö", "perhetyö", "läheistyö", "työllistyminen", "työvalmennus", "kuntoutus",
            "vapautumisen tuki", "rikoksentorjunta", "rikosuhrityö", "diakonia", "vankilasielunhoito", "sosiaalityö",
            "asumisneuvonta", "tutkimus", "ammatillinen koulutus", "digitaidot", "ruotsinkielinen palvelu",
            "vertaistuki", "yhdyskuntaseuraamukset", "sovittelu", "maahanmuuttajatyö", "naisvangit", "liikunta",
            "kulttuuritoiminta", "taloudenhallinta", "huumetyö", "peliriippuvuus", "väkivaltatyö",
            "lähisuhdeväkivalta", "kriisityö", "luovat menetelmät", "eläinavusteinen työ"]
THEME_CODES = ["education_work", "substance_mental", "housing", "youth_child_welfare", "rehabilitation",
               "criminal_justice", "crime_prevention", "loved_ones", "experts_by_experience", "spiritual_work",
               "third_sector", "research", "international", "employment"]
CATEGORY_WEIGHTS = [
    (PartnerCategory.ASSOCIATION, 40), (PartnerCategory.FOUNDATION, 9), (PartnerCategory.PARISH, 8),
    (PartnerCategory.MUNICIPALITY, 5), (PartnerCategory.EDUCATIONAL_INSTITUTION, 8), (PartnerCategory.COMPANY, 9),
    (PartnerCategory.SOCIAL_ENTERPRISE, 5), (PartnerCategory.STATE_AUTHORITY, 4),
    (PartnerCategory.WELLBEING_COUNTY, 2), (PartnerCategory.JOINT_MUNICIPAL_AUTHORITY, 2),
    (PartnerCategory.RESEARCH_BODY, 3), (PartnerCategory.INTERNATIONAL_ORGANISATION, 2), (PartnerCategory.OTHER, 3),
]
_CATEGORIES = [c for c, _w in CATEGORY_WEIGHTS]
_CUMULATIVE = [sum(w for _c, w in CATEGORY_WEIGHTS[:i + 1]) for i in range(len(CATEGORY_WEIGHTS))]
_FOLD_TABLE = str.maketrans({"ä": "a", "ö": "o", "å": "a", "é": "e", " ": "-", ":": ""})


def _slug(text_: str) -> str:
    return text_.lower().translate(_FOLD_TABLE)


def _synthetic_partner(index: int, rng: random.Random) -> dict[str, Any]:
    """The fields of generated partner number `index` (names by category, level, legal form, regions)."""
    category = rng.choices(_CATEGORIES, cum_weights=_CUMULATIVE)[0]
    place, place_sv, region = rng.choice(PLACES)
    word = rng.choice(DISTINCT)
    name_sv = name_en = legal_form = None
    level = PartnerLevel.LOCAL
    if category is PartnerCategory.ASSOCIATION:
        if place_sv and rng.random() < 0.15:
            name_fi = f"Föreningen {rng.choice(DISTINCT_SV)} i {place_sv} rf"
            name_sv, legal_form = name_fi, "registrerad förening"
        else:
            name_fi, legal_form = f"{place} {rng.choice(ASSOCIATION_KINDS)} {word} ry", "rekisteröity yhdistys"
        level = rng.choice([PartnerLevel.LOCAL, PartnerLevel.LOCAL, PartnerLevel.REGIONAL, PartnerLevel.NATIONAL])
    elif category is PartnerCategory.FOUNDATION:
        name_fi, legal_form = f"{word}{rng.choice(FOUNDATION_KINDS).lower()} sr", "säätiö"
        if place_sv and rng.random() < 0.2:
            name_sv = f"Stiftelsen {rng.choice(DISTINCT_SV)} sr"
        level = rng.choice([PartnerLevel.REGIONAL, PartnerLevel.NATIONAL])
    elif category is PartnerCategory.PARISH:
        name_fi = f"{place} {rng.choice(['seurakunta', 'ortodoksinen seurakunta', 'helluntaiseurakunta'])}"
        name_sv = f"{place_sv} församling" if place_sv else None
        legal_form = "seurakunta"
    elif category is PartnerCategory.MUNICIPALITY:
        name_fi, name_sv, legal_form = f"{place} kaupunki", f"{place_sv} stad" if place_sv else None, "kunta"
    elif category is PartnerCategory.EDUCATIONAL_INSTITUTION:
        name_fi, level = f"{place} {rng.choice(SCHOOL_KINDS)}", rng.choice([PartnerLevel.LOCAL, PartnerLevel.REGIONAL])
    elif category is PartnerCategory.COMPANY:
        surname = rng.choice(LAST_FI + LAST_SV)
        name_fi = rng.choice([f"{word} {rng.choice(COMPANY_KINDS)} Oy", f"{rng.choice(COMPANY_KINDS)} {surname} Oy"])
        legal_form, level = "osakeyhtiö", rng.choice([PartnerLevel.LOCAL, PartnerLevel.REGIONAL, PartnerLevel.NATIONAL])
    elif category is PartnerCategory.SOCIAL_ENTERPRISE:
        name_fi, legal_form = rng.choice([(f"Työpaja {word} Oy", "osakeyhtiö"),
                                          (f"Osuuskunta {word}", "osuuskunta")])
    elif category is PartnerCategory.STATE_AUTHORITY:
        name_fi, legal_form, level = f"{place} {rng.choice(STATE_KINDS)}", "valtion virasto", PartnerLevel.REGIONAL
    elif category is PartnerCategory.WELLBEING_COUNTY:
        service = rng.choice(["sosiaalipalvelukeskus", "päihdepalvelut", "aikuissosiaalityö", "mielenterveyspalvelut"])
        name_fi, legal_form, level = f"{place} {service}", "hyvinvointialue", PartnerLevel.REGIONAL
    elif category is PartnerCategory.JOINT_MUNICIPAL_AUTHORITY:
        name_fi, legal_form = f"{place} seudun koulutuskuntayhtymä", "kuntayhtymä"
        level = PartnerLevel.REGIONAL
    elif category is PartnerCategory.RESEARCH_BODY:
        name_fi, level = f"{place} {rng.choice(RESEARCH_TOPICS)} tutkimuskeskus", PartnerLevel.NATIONAL
    elif category is PartnerCategory.INTERNATIONAL_ORGANISATION:
        name_fi, name_en = rng.choice(INTERNATIONAL)
        name_fi, name_en, level = f"{name_fi} {word}", f"{name_en} {word}", PartnerLevel.INTERNATIONAL
    else:
        name_fi, legal_form = f"{place} {rng.choice(['yhteistyöverkosto', 'vapaaehtoisverkosto'])}", "verkosto"
    domain = f"{_slug(word)}-{index}.example"
    themes = rng.sample(THEME_CODES, rng.choice([1, 1, 2, 2, 3]))
    regions = [] if level in (PartnerLevel.NATIONAL, PartnerLevel.INTERNATIONAL) else \
        list(dict.fromkeys([region] + ([rng.choice(PLACES)[2]] if rng.random() < 0.3 else [])))
    return {"name_fi": name_fi, "name_sv": name_sv, "name_en": name_en, "category": category,
            "legal_form": legal_form, "level": level, "website": f"https://www.{domain}", "domain": domain,
            "regions": regions, "themes": themes, "active": rng.random() > 0.03}


def _synthetic_contacts(partner: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """Two to four contacts of a generated partner (persons, now and then a mailbox)."""
    contacts = []
    swedish = partner["name_sv"] is not None and partner["name_sv"] == partner["name_fi"]
    for _n in range(rng.choice([2, 3, 3, 4])):
        if rng.random() < 0.06:
            name = rng.choice(MAILBOXES)
            kind, title = ContactKind.MAILBOX, None
            email = f"{_slug(name)}@{partner['domain']}"
        else:
            first = rng.choice(FIRST_SV if swedish or rng.random() < 0.07 else FIRST_FI)
            last = rng.choice(LAST_SV if swedish or rng.random() < 0.07 else LAST_FI)
            name, kind, title = f"{first} {last}", ContactKind.PERSON, rng.choice(TITLES)
            email = f"{_slug(first)}.{_slug(last)}@{partner['domain']}"
        mobile = f"+358{rng.choice(['40', '50', '44'])}{rng.randrange(1000000, 9999999)}"
        phone = f"+3589{rng.randrange(2000000, 8999999)}" if rng.random() < 0.3 else None
        days = rng.randrange(0, 330) if rng.random() < 0.85 else rng.randrange(380, 700)
        contacts.append({"kind": kind, "name": name, "title": title, "email": email, "phone": phone,
                         "mobile": None if kind is ContactKind.MAILBOX else mobile,
                         "public": kind is ContactKind.MAILBOX or rng.random() < 0.25,
                         "active": partner["active"], "days": days,
                         "keywords": rng.sample(KEYWORDS, rng.choice([1, 2, 2, 3]))})
    return contacts


def generated_count() -> int:
    """How many generated partners exist (recognised by their business-ID range)."""
    return db.session.scalar(select(func.count()).select_from(Partner).where(
        Partner.business_id >= f"{GENERATED_FIRST:07d}-0", Partner.business_id <= f"{GENERATED_LAST:07d}-9")) or 0


def _next_id(model: Any) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _keyword_ids() -> dict[str, int]:
    """The ids of the generator's keywords, adding the missing ones."""
    existing = {k.name: k.id for k in db.session.scalars(select(Keyword).where(Keyword.name.in_(KEYWORDS)))}
    missing = [{"name": name} for name in KEYWORDS if name not in existing]
    if missing:
        db.session.execute(insert(Keyword), missing)
        existing = {k.name: k.id for k in db.session.scalars(select(Keyword).where(Keyword.name.in_(KEYWORDS)))}
    return existing


def _sync_sequences() -> None:
    """PostgreSQL: move the id sequences past the ids given explicitly by the bulk insert."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("partner", "contact"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def generate_partners(n: int, *, seed: int = 2026, batch_size: int = 2000,
                      progress: Any = None) -> dict[str, int]:
    """Make sure `n` generated partners exist, adding the missing ones with about three contacts each.

    Rows are inserted in bulk (the ORM audit hook does not see them; one audit event summarises the volume),
    together with their region, theme and keyword links; their search documents are then built in bulk by
    search.refresh(). Each partner's data comes
    from random.Random(seed + its number), so the result is the same however the work is split into runs.
    Commits after each batch.
    """
    have = generated_count()
    added = {"partners": 0, "contacts": 0, "search documents": 0}
    if have >= n:
        return added
    regions = {code: rid for code, rid in db.session.execute(select(Region.code, Region.id))}
    themes = {code: tid for code, tid in db.session.execute(select(Theme.code, Theme.id))}
    keywords = _keyword_ids()
    now = utcnow()
    ids = business_ids(GENERATED_FIRST)
    for _skip in range(have):
        next(ids)
    for start in range(have, n, batch_size):
        stop = min(n, start + batch_size)
        partner_id, contact_id = _next_id(Partner), _next_id(Contact)
        partners: list[dict[str, Any]] = []
        contacts: list[dict[str, Any]] = []
        links_region: list[dict[str, int]] = []
        links_theme: list[dict[str, int]] = []
        links_keyword: list[dict[str, int]] = []
        for index in range(start, stop):
            rng = random.Random(seed * 1_000_003 + index)
            data = _synthetic_partner(index, rng)
            partner = {"id": partner_id, "name_fi": data["name_fi"], "name_sv": data["name_sv"],
                       "name_en": data["name_en"], "business_id": next(ids), "category": data["category"],
                       "legal_form": data["legal_form"], "level": data["level"], "website": data["website"],
                       "notes": None, "active": data["active"], "created_at": now}
            partners.append(partner)
            links_region.extend({"partner_id": partner_id, "region_id": regions[code]}
                                for code in data["regions"] if code in regions)
            links_theme.extend({"partner_id": partner_id, "theme_id": themes[code]}
                               for code in data["themes"] if code in themes)
            for contact in _synthetic_contacts(data, rng):
                row = {"id": contact_id, "kind": contact["kind"], "partner_id": partner_id, "unit_id": None,
                       "name": contact["name"], "title": contact["title"], "email": contact["email"],
                       "phone": contact["phone"], "mobile": contact["mobile"], "public": contact["public"],
                       "active": contact["active"], "notes": None,
                       "last_confirmed_at": now - timedelta(days=contact["days"]), "created_at": now}
                contacts.append(row)
                links_keyword.extend({"contact_id": contact_id, "keyword_id": keywords[k]}
                                     for k in contact["keywords"])
                contact_id += 1
            partner_id += 1
        # Core inserts of the tables: one executemany each (the ORM's bulk path splits rows by their None values).
        db.session.execute(insert(Partner.__table__), partners)
        db.session.execute(insert(partner_region), links_region)
        db.session.execute(insert(partner_theme), links_theme)
        db.session.execute(insert(Contact.__table__), contacts)
        db.session.execute(insert(contact_keyword), links_keyword)
        # The search documents are built by the search module from the rows just inserted (one rule, one place).
        conn = db.session.connection()
        search.refresh(conn, "partner", [p["id"] for p in partners])
        search.refresh(conn, "contact", [c["id"] for c in contacts])
        _sync_sequences()
        db.session.commit()
        added["partners"] += len(partners)
        added["contacts"] += len(contacts)
        added["search documents"] += len(partners) + len(contacts)
        if progress is not None:
            progress(stop, n)
    audit.record("generate", object_type="partner",
                 note=f"generated {added['partners']} synthetic partners (numbers {have + 1}–{n}), "
                      f"{added['contacts']} contacts and {added['search documents']} search documents in bulk")
    db.session.commit()
    return added
