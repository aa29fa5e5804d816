"""Pure project-partnership checks (Sidosryhmäyhteistyön linjaukset 8.2 §; DOMAIN §5.2, §2.3) and text similarity.

Nothing here reads the clock, the database or the request. Each check returns a `Check` naming the policy rule it
comes from, so the working group sees why an application is flagged. Legal forms are the string values of
`models.ApplicantForm` (a StrEnum compares and hashes equal to them), so this module needs no models.

This is the *project-partnership* eligibility rule (policy §8.2). The community-service placement organiser rule
(Yks-asetus 26 §, 34 §: public bodies, public-law associations, other non-profit communities and foundations, and
social enterprises even when for-profit) is a different rule and deliberately not here (DESIGN §4).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Literal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_babel.speaklater import LazyString

Outcome = Literal["ok", "fail", "attention", "info"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "fail", "attention", "info")

# Policy citations shown with each check (the policy is Finnish; the citation is not translated).
POLICY = "Sidosryhmäyhteistyön linjaukset"
RULE_ELIGIBILITY = f"{POLICY} 8.2 §, kriteerit 1–2"
RULE_NEED = f"{POLICY} 8.2 §, kriteeri 3"
RULE_UNITS = f"{POLICY} 8.2 §, kriteeri 3"
RULE_PRISON_WORK = f"{POLICY} 8.2 §, kriteeri 5; 16 §"
RULE_E_SERVICES = f"{POLICY} 8.2 §, kriteeri 6"
RULE_PARTNER = f"{POLICY} 8.2 §, kriteeri 1; kumppanin soveltuvuuden varmistaminen"
RULE_DUPLICATES = f"{POLICY} 8.2 §: päällekkäisyyksien välttäminen"

# Policy §8.2 criterion 1: "oikeuskelpoiset yhteisöt (kuten järjestöt, yhdistykset tai säätiöt), oppilaitokset,
# kunnat, kuntayhtymät, seurakunnat sekä yhteiskunnalliset yritykset".
ALLOWED_FORMS = frozenset({"association", "foundation", "other_legal_entity", "educational_institution",
                           "municipality", "joint_municipal_authority", "parish", "social_enterprise"})
# Criterion 2: "Kumppanuutta ei solmita yksityishenkilöiden tai voittoa tavoittelevien yritysten kanssa."
EXCLUDED_FORMS = frozenset({"company", "private_person"})


@dataclass(frozen=True)
class Check:
    """One automatic check of an application: a code, the outcome, a translated message and the policy rule."""

    code: str
    outcome: Outcome
    message: LazyString | str
    rule: str


def applicant_eligibility(form: str) -> Check:
    """Whether the applicant's legal form may be a project partner (policy §8.2 criteria 1–2; DOMAIN §2.3).

    `form` is an `ApplicantForm` (or its value). Unknown values need a person's look (attention), never pass.
    """
    code = "applicant_eligibility"
    if form in ALLOWED_FORMS:
        return Check(code, "ok", _l("The applicant's legal form may be a project partner (associations, "
                                    "foundations and other legal entities, educational institutions, "
                                    "municipalities, joint municipal authorities, parishes, social enterprises)."),
                     RULE_ELIGIBILITY)
    if form == "company":
        return Check(code, "fail", _l("Not eligible: a project partnership is not concluded with for-profit "
                                      "companies."), RULE_ELIGIBILITY)
    if form == "private_person":
        return Check(code, "fail", _l("Not eligible: a project partnership is not concluded with private "
                                      "persons."), RULE_ELIGIBILITY)
    return Check(code, "attention", _l("The applicant's legal form is unknown: check it before the statement."),
                 RULE_ELIGIBILITY)


def need_stated(need: str | None) -> Check:
    """Whether the application states the need for the activity (policy §8.2 criterion 3)."""
    if need and need.strip():
        return Check("need", "ok", _l("The application describes the need for the activity."), RULE_NEED)
    return Check("need", "attention", _l("The need for the activity is not described: a partnership requires "
                                         "a need for the activity. Ask the applicant."), RULE_NEED)


def unit_cooperation(unit_count: int) -> Check:
    """At least one Rise unit with planned cooperation (policy §8.2 criterion 3)."""
    if unit_count >= 1:
        return Check("unit_cooperation", "ok",
                     lazy_ngettext("Cooperation is planned with %(num)d Rise unit.",
                                   "Cooperation is planned with %(num)d Rise units.", unit_count), RULE_UNITS)
    return Check("unit_cooperation", "fail", _l("No Rise unit is named: a partnership requires cooperation "
                                                "planned with at least one Rise unit."), RULE_UNITS)


def prison_work(prison_work: bool) -> Check:
    """Prison work needs the security clearance of the organisation and of its prison-work staff (§8.2 crit. 5)."""
    if prison_work:
        return Check("prison_work", "attention",
                     _l("The project involves work in prisons: a security clearance of the organisation and of "
                        "its staff doing prison work is required."), RULE_PRISON_WORK)
    return Check("prison_work", "ok", _l("The project does not involve work in prisons."), RULE_PRISON_WORK)


def e_services(e: bool) -> Check:
    """E-services need the position of Rise's experts on security, devices and network (§8.2 criterion 6)."""
    if e:
        return Check("e_services", "attention",
                     _l("The project involves electronic services: the position of Rise's experts and a report on "
                        "the possibilities for cooperation (security, devices, network) are required."),
                     RULE_E_SERVICES)
    return Check("e_services", "ok", _l("The project does not involve electronic services."), RULE_E_SERVICES)


# --- text similarity (duplicate detection, policy §8.2: "päällekkäisyyksien välttäminen") ------------------------
#
# Method, chosen to be deterministic, dependency-free and tolerant of Finnish and Swedish inflection:
# 1. Fold: lower case, diacritics removed (ä→a, ö→o, å→a), so spelling variants meet.
# 2. Words: runs of letters and digits; stop words (fi/sv/en function words and words every application uses,
#    such as "hanke" and "projekti") and words shorter than three letters are dropped.
# 3. Stemming: one common case or plural ending is cut from words of six letters or more, leaving at least
#    four letters ("asumisen" → "asumis", "vankien" → "vank"). This is crude on purpose: it only has to bring
#    inflected forms of the same word closer, not to be linguistically right.
# 4. Features: character trigrams of each stem with boundary marks ("^vank$" → ^va, van, ank, nk$), so
#    consonant gradation and compounds still share most features, plus the stem itself as a whole-word feature.
# 5. Weights: 1 + log(count) per feature (a repeated word does not dominate); score = cosine of the two vectors,
#    summed with math.fsum (exactly rounded, so independent of order) and rounded to 6 decimals: similarity(a, b)
#    == similarity(b, a) exactly, and the same texts always give the same score.
# Identical texts score 1.0, texts sharing no word stem score close to 0; empty texts score 0.

_STOP = frozenset("""
ja tai on ei se ne sen jotka joka etta kanssa myos seka kuin mutta niin tama naiden nama jos kun eli mm ym
ovat olla oli ole voi sita siita siihen jossa jolla jonka joita niita heidan meidan heille
och att for med som en ett det den pa till av i ar om fran eller har inte
the and of for to in with a an on by from or at as is are be this that
hanke hankkeen hankkeessa hankkeella hankkeet hankkeiden hankkeessa hankkeeseen projekti projektin projektissa
projektit projekt projektet project
""".split())
_SUFFIXES = tuple(sorted("""
seen iseen nen issa ista iksi illa ilta ille ihin iden itten ien jen den ten sen ssa sta lla lta lle ksi na ta ja ia
an en in on un yn ansa ensa nsa mme nne ni si n t a i e
ar er or na en et ens arna erna ornas
s
""".split(), key=len, reverse=True))
_MIN_STEM = 4


def fold(text: str) -> str:
    """Lower case without diacritics, whitespace collapsed (the comparison form of a text)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A crude stem: one common Finnish/Swedish/English ending cut from words of six letters or more."""
    if len(word) >= 6:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65_536)
def _features(word: str) -> tuple[str, ...]:
    """The features of one lower-case word: its stem and the stem's marked trigrams; none for a stop word."""
    folded = fold(word)
    if len(folded) < 3 or folded in _STOP:
        return ()
    stemmed = stem(folded)
    marked = f"^{stemmed}$"
    return ("w:" + stemmed, *(marked[i:i + 3] for i in range(len(marked) - 2)))


def _raw_words(text: str) -> list[str]:
    # NFC first, so a letter typed as base + combining mark stays one word character.
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).casefold())


def words(text: str) -> list[str]:
    """The folded, stemmed content words of a text (stop words and words under three letters dropped)."""
    return [features[0][2:] for features in map(_features, _raw_words(text)) if features]


def profile(text: str) -> dict[str, float]:
    """The weighted feature vector of a text (see the method above); empty for a text without content words."""
    counts = Counter(chain.from_iterable(map(_features, _raw_words(text))))
    return {feature: 1.0 + math.log(n) if n > 1 else 1.0 for feature, n in counts.items()}


def cosine(p: dict[str, float], q: dict[str, float]) -> float:
    """Cosine of two profiles in 0..1; symmetric and deterministic (math.fsum is exact, so order cannot matter)."""
    if not p or not q:
        return 0.0
    small, large = (p, q) if len(p) <= len(q) else (q, p)
    dot = math.fsum(v * large[k] for k, v in small.items() if k in large)
    norm = math.sqrt(math.fsum(v * v for v in p.values())) * math.sqrt(math.fsum(v * v for v in q.values()))
    return round(min(1.0, dot / norm), 6) if norm else 0.0


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0..1: cosine of stemmed-word and trigram profiles (see the method above)."""
    return cosine(profile(a), profile(b))
