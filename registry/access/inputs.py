"""The eligibility engine's input: codes, the facts it reads, and strict validation of the input JSON.

`parse` accepts exactly the JSON object of the specification. Fields that may be null may also be left
out (they then count as null); every other field is required. Booleans must be JSON booleans, dates must
be strings YYYY-MM-DD, codes must be known, and unknown keys are refused. An `InputError` names the field
with a path such as `sentences[1].left_prison` (positions count from 0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

ROLES = ("expert_by_experience", "volunteer", "partner_employee")
SETTINGS = ("in_premises", "direct_contact", "remote_expert_led", "remote_independent", "remote_staff_led_group",
            "outside_units")
CLOSE_PAIRS = ("none", "rise_official", "trusted_partner_employee")
SANCTIONS = ("unconditional_prison", "fine_conversion_prison", "community_service", "monitoring_sentence",
             "juvenile_punishment", "conditional_prison", "fine")
# policy §10.3: a conversion sentence of fines served in prison counts as unconditional imprisonment.
CUSTODIAL = frozenset({"unconditional_prison", "fine_conversion_prison"})
COMMUNITY = frozenset({"community_service", "monitoring_sentence", "juvenile_punishment"})
OFFENCE_DATED = frozenset({"conditional_prison", "fine"})
CLEARANCE_RESULTS = ("no_remarks", "remarks")

# Dates outside this range are typing errors; the bound also keeps date arithmetic far from year 9999.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
MAX_SENTENCES = 200
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

TOP_FIELDS = ("as_of", "role", "setting", "close_pair", "sentences", "open_criminal_case", "concern_reported",
              "security_clearance", "training_verified", "confidentiality_undertaking", "inducted")
SENTENCE_FIELDS = ("offence_date", "sanction", "enforcement_start", "left_prison", "supervision_end",
                   "serious_breach", "completed")
CLEARANCE_FIELDS = ("completed", "valid_until", "result")
_MISSING = object()


class InputError(ValueError):
    """Invalid engine input; `field` is the path of the offending field (None: the input as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Sentence:
    """The facts of one sentence (dates and the sanction kind only)."""

    offence_date: date
    sanction: str
    enforcement_start: date | None = None
    left_prison: date | None = None
    supervision_end: date | None = None
    serious_breach: bool = False
    completed: date | None = None

    def to_json(self) -> dict[str, Any]:
        """The sentence as engine input JSON."""
        return {"offence_date": self.offence_date.isoformat(), "sanction": self.sanction,
                "enforcement_start": _iso(self.enforcement_start), "left_prison": _iso(self.left_prison),
                "supervision_end": _iso(self.supervision_end), "serious_breach": self.serious_breach,
                "completed": _iso(self.completed)}


@dataclass(frozen=True)
class Clearance:
    """A security clearance as the engine sees it."""

    completed: date
    valid_until: date | None
    result: str

    def to_json(self) -> dict[str, Any]:
        """The clearance as engine input JSON."""
        return {"completed": self.completed.isoformat(), "valid_until": _iso(self.valid_until),
                "result": self.result}


@dataclass(frozen=True)
class Facts:
    """Everything the engine reads about one person, one assignment and one assessment date."""

    as_of: date
    role: str
    setting: str
    close_pair: str
    sentences: tuple[Sentence, ...]
    open_criminal_case: bool
    concern_reported: bool
    security_clearance: Clearance | None
    training_verified: bool
    confidentiality_undertaking: bool
    inducted: bool

    def to_json(self) -> dict[str, Any]:
        """The facts as engine input JSON (`parse(facts.to_json()) == facts`): store this as the snapshot."""
        return {"as_of": self.as_of.isoformat(), "role": self.role, "setting": self.setting,
                "close_pair": self.close_pair, "sentences": [s.to_json() for s in self.sentences],
                "open_criminal_case": self.open_criminal_case, "concern_reported": self.concern_reported,
                "security_clearance": self.security_clearance.to_json() if self.security_clearance else None,
                "training_verified": self.training_verified,
                "confidentiality_undertaking": self.confidentiality_undertaking, "inducted": self.inducted}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _object(value: Any, path: str | None, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    where = path or "The input"
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a JSON object.", path)
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        prefix = f"{path}." if path else ""
        raise InputError(f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
                         f"(allowed: {', '.join(allowed)}).", prefix + unknown[0])
    return value


def _get(obj: Mapping[str, Any], key: str, path: str, *, nullable: bool = False) -> Any:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        if nullable:
            return None
        raise InputError(f"{path} is missing.", path)
    if value is None and not nullable:
        raise InputError(f"{path} must not be null.", path)
    return value


def _date(obj: Mapping[str, Any], key: str, path: str, *, nullable: bool = False) -> date | None:
    value = _get(obj, key, path, nullable=nullable)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InputError(f"{path} must be a date written YYYY-MM-DD{' or null' if nullable else ''}.", path)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{path} is not a real date: {value}.", path) from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise InputError(f"{path} must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.", path)
    return day


def _required_date(obj: Mapping[str, Any], key: str, path: str) -> date:
    day = _date(obj, key, path)
    assert day is not None  # _date raises for a missing or null required date
    return day


def _bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = _get(obj, key, path)
    if not isinstance(value, bool):
        raise InputError(f"{path} must be true or false.", path)
    return value


def _code(obj: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...]) -> str:
    value = _get(obj, key, path)
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{path} must be one of: {', '.join(allowed)}.", path)
    return value


def _not_before(later: date | None, later_path: str, earlier: date | None, earlier_path: str) -> None:
    if later is not None and earlier is not None and later < earlier:
        raise InputError(f"{later_path} ({later.isoformat()}) is before {earlier_path} ({earlier.isoformat()}).",
                         later_path)


def _sentence(value: Any, path: str) -> Sentence:
    obj = _object(value, path, SENTENCE_FIELDS)
    names = {key: f"{path}.{key}" for key in SENTENCE_FIELDS}
    offence = _required_date(obj, "offence_date", names["offence_date"])
    sanction = _code(obj, "sanction", names["sanction"], SANCTIONS)
    enforcement = _date(obj, "enforcement_start", names["enforcement_start"], nullable=True)
    left = _date(obj, "left_prison", names["left_prison"], nullable=True)
    supervision = _date(obj, "supervision_end", names["supervision_end"], nullable=True)
    breach = _bool(obj, "serious_breach", names["serious_breach"])
    completed = _date(obj, "completed", names["completed"], nullable=True)
    # The order of events: offence, enforcement, release (or completion), end of supervision.
    _not_before(enforcement, names["enforcement_start"], offence, names["offence_date"])
    _not_before(left, names["left_prison"], offence, names["offence_date"])
    _not_before(left, names["left_prison"], enforcement, names["enforcement_start"])
    if supervision is not None and left is None:
        raise InputError(f"{names['supervision_end']} is given but {names['left_prison']} is not: supervision "
                         f"follows release from prison.", names["supervision_end"])
    _not_before(supervision, names["supervision_end"], left, names["left_prison"])
    _not_before(completed, names["completed"], offence, names["offence_date"])
    _not_before(completed, names["completed"], enforcement, names["enforcement_start"])
    return Sentence(offence, sanction, enforcement, left, supervision, breach, completed)


def _clearance(value: Any) -> Clearance | None:
    if value is None:
        return None
    obj = _object(value, "security_clearance", CLEARANCE_FIELDS)
    completed = _required_date(obj, "completed", "security_clearance.completed")
    valid_until = _date(obj, "valid_until", "security_clearance.valid_until", nullable=True)
    result = _code(obj, "result", "security_clearance.result", CLEARANCE_RESULTS)
    _not_before(valid_until, "security_clearance.valid_until", completed, "security_clearance.completed")
    return Clearance(completed, valid_until, result)


def parse(data: Any) -> Facts:
    """Validate the engine's input JSON (already decoded) and return its facts; raises InputError."""
    obj = _object(data, None, TOP_FIELDS)
    as_of = _required_date(obj, "as_of", "as_of")
    role = _code(obj, "role", "role", ROLES)
    setting = _code(obj, "setting", "setting", SETTINGS)
    close_pair = _code(obj, "close_pair", "close_pair", CLOSE_PAIRS)
    raw_sentences = _get(obj, "sentences", "sentences")
    if not isinstance(raw_sentences, list):
        raise InputError("sentences must be a list (empty when there are none).", "sentences")
    if len(raw_sentences) > MAX_SENTENCES:
        raise InputError(f"sentences can hold at most {MAX_SENTENCES} items.", "sentences")
    sentences = tuple(_sentence(item, f"sentences[{n}]") for n, item in enumerate(raw_sentences))
    open_case = _bool(obj, "open_criminal_case", "open_criminal_case")
    concern = _bool(obj, "concern_reported", "concern_reported")
    clearance = _clearance(obj.get("security_clearance"))
    return Facts(as_of=as_of, role=role, setting=setting, close_pair=close_pair, sentences=sentences,
                 open_criminal_case=open_case, concern_reported=concern, security_clearance=clearance,
                 training_verified=_bool(obj, "training_verified", "training_verified"),
                 confidentiality_undertaking=_bool(obj, "confidentiality_undertaking",
                                                   "confidentiality_undertaking"),
                 inducted=_bool(obj, "inducted", "inducted"))
