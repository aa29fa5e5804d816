"""The crime-free waiting-period rule (policy §10.3, §16) and the retention rule: pure functions.

Nothing here reads the clock, the database or the request: the assessment date (`as_of`) and the policy
parameters (`PolicyParameters`, versioned reference data) are passed in.

Reason codes and the rule that produces each (`Result.reasons`, in this order):

- `no_custodial_sentence` (rule 2): the person has no `unconditional_prison` or `fine_conversion_prison`
  sentence, so the waiting rule does not apply (policy §10.3: never sentenced to unconditional imprisonment).
- `rule_not_applicable_in_setting` (rule 2): there is a custodial sentence, but the setting is
  `remote_staff_led_group` or `outside_units`, which the policy assesses like work outside the units.
- `still_serving` (rules 3, 7): the waiting rule applies and a sentence that counts has no anchor yet (no
  `left_prison`; a breach without `supervision_end`; a community sanction without `completed`).
- `breach_during_supervision` (rule 3): the waiting rule applies and the sentence that sets the start of the
  period (or, with `still_serving`, that keeps it from starting) had a serious breach during supervision, so
  its anchor is `supervision_end` instead of `left_prison`.
- `earlier_offence_enforced` (rule 4): the waiting rule applies and a sentence for an offence committed
  before the anchor computed so far was enforced on or after it: the period stays the same, but the case
  needs review (rule 7).
- `waiting_period_running` (rules 5, 7): `as_of` is before `eligible_from`.
- `clearance_missing`, `clearance_expired` (rule 6): the clearance is required and absent, completed after
  `as_of` (not known yet on that date: counted as missing), or valid only until a day before `as_of`.
- `training_not_verified`, `undertaking_missing`, `induction_missing` (rule 6): a required item is missing.
- `clearance_remarks` (rule 7): a clearance completed on or before `as_of` has remarks (whatever the setting).
- `open_criminal_case`, `concern_reported` (rule 7): as given in the input.

Interpretations where the specification leaves room (each documented where it is applied):

- Rule 3: for roles other than `expert_by_experience` only custodial sentences give anchors; other sentences
  are left out of the anchor and of the rule-4 ordering altogether (effect `ignored`), even while served.
- Rule 4: sentences are ordered by (`enforcement_start` or else `offence_date`, position in the input). A
  sentence counts as an earlier offence enforced later only when an anchor exists so far, its `offence_date`
  is before that anchor and its `enforcement_start` is given and on or after it; such a sentence never moves
  the anchor, not even while it is still being served ("the follow-up period stays the same"; the severity is
  weighed in the review that `earlier_offence_enforced` requires). A sentence still being served that is not
  such an earlier offence makes the anchor uncomputable, and every later sentence is then simply absorbed:
  the follow-up has not started, so nothing can be an offence committed before it.
- Because of rule 4, adding a sentence enforced *before* others can turn a later sentence into an earlier
  offence and so make `eligible_from` earlier; the result then always carries `earlier_offence_enforced` and
  so is never better than `needs_review`. Adding a sentence enforced after all others never does.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from .inputs import (
    CLEARANCE_RESULTS,
    CLOSE_PAIRS,
    COMMUNITY,
    CUSTODIAL,
    OFFENCE_DATED,
    ROLES,
    SANCTIONS,
    SETTINGS,
    Clearance,
    Facts,
    InputError,
    Sentence,
    parse,
)

__all__ = [
    "CLEARANCE_RESULTS", "CLOSE_PAIRS", "COMMUNITY", "CUSTODIAL", "DECISIONS", "EFFECTS", "ENGINE_VERSION",
    "OFFENCE_DATED", "REASONS", "REQUIREMENTS", "ROLES", "SANCTIONS", "SETTINGS", "Clearance", "Facts",
    "InputError", "PolicyParameters", "Requirement", "Result", "Sentence", "SentenceTrace", "assess",
    "assess_json", "parameters_on", "parse", "read_parameter_file", "retention_until",
]

ENGINE_VERSION = "1"

DECISIONS = ("eligible", "needs_review", "not_eligible")
REQUIREMENTS = ("security_clearance", "training_verified", "confidentiality_undertaking", "inducted")
REASONS = (
    "no_custodial_sentence", "rule_not_applicable_in_setting", "still_serving", "breach_during_supervision",
    "earlier_offence_enforced", "waiting_period_running", "clearance_missing", "clearance_expired",
    "training_not_verified", "undertaking_missing", "induction_missing", "clearance_remarks",
    "open_criminal_case", "concern_reported",
)
# What a sentence did to the anchor in rule 4 (SentenceTrace.effect).
EFFECTS = ("moved", "no_change", "earlier_offence_enforced", "still_serving", "ignored")

EXPERT = "expert_by_experience"
# policy §10.3: in the premises, in direct contact with prisoners, leading remote work, or more independent
# supervised work; a staff-led digital group is assessed like work outside the units.
WAITING_RULE_SETTINGS = frozenset({"in_premises", "direct_contact", "remote_expert_led", "remote_independent"})
CLEARANCE_SETTINGS = frozenset({"in_premises", "direct_contact"})  # policy §10.3, §16 item 1
PREMISES_SETTINGS = frozenset({"in_premises"})  # policy §16 items 2–3: induction and undertaking
# policy §10.3: work in the premises is always supervised; remote work by the expert is supervised by an official.
SUPERVISED_SETTINGS = frozenset({"in_premises", "remote_expert_led", "remote_independent",
                                 "remote_staff_led_group"})


# --- policy parameters (versioned reference data) -------------------------------------------------------

@dataclass(frozen=True)
class PolicyParameters:
    """One version of the waiting periods and the retention period, in force from `effective_from`."""

    version: str
    effective_from: date
    waiting_years: int  # policy §10.3, §16: three years
    paired_waiting_years: int  # policy §10.3: two years in close pair work
    retention_years: int  # after the last assignment ends
    source: str = ""

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise ValueError("version must not be empty")
        for name in ("waiting_years", "paired_waiting_years", "retention_years"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 50:
                raise ValueError(f"{name} must be a whole number from 0 to 50")
        if self.paired_waiting_years > self.waiting_years:
            # The pair-work period is a reduction (policy §10.3); a longer one would invert the rule.
            raise ValueError("paired_waiting_years must not exceed waiting_years")


def read_parameter_file(path: str | Path) -> list[PolicyParameters]:
    """The rows of a policy-parameter CSV file (version,effective_from,waiting_years,…,source)."""
    rows: list[PolicyParameters] = []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rows.append(PolicyParameters(
                    version=row["version"].strip(), effective_from=date.fromisoformat(row["effective_from"].strip()),
                    waiting_years=int(row["waiting_years"]), paired_waiting_years=int(row["paired_waiting_years"]),
                    retention_years=int(row["retention_years"]), source=(row.get("source") or "").strip()))
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise ValueError(f"{path}, line {line}: {error}") from error
    return rows


def parameters_on(rows: Sequence[PolicyParameters], as_of: date) -> PolicyParameters:
    """The parameters in force on `as_of`: the latest `effective_from` on or before it, else the earliest."""
    if not rows:
        raise ValueError("no policy parameters")
    in_force = [row for row in rows if row.effective_from <= as_of]
    if in_force:
        return max(in_force, key=lambda row: row.effective_from)
    return min(rows, key=lambda row: row.effective_from)


def add_years(day: date, years: int) -> date:
    """`day` plus whole calendar years; 29 February becomes 28 February in a common year."""
    result: date = day + relativedelta(years=years)
    return result


def retention_until(assignment_ends: Sequence[date | None], recorded_on: date,
                    params: PolicyParameters) -> date | None:
    """Until when a person's record is kept: None while an assignment is open, else last end + retention."""
    if any(end is None for end in assignment_ends):
        return None
    ends = [end for end in assignment_ends if end is not None]
    return add_years(max(ends) if ends else recorded_on, params.retention_years)


# --- the result -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    """A minimum condition of rule 6 and whether it is met on `as_of`."""

    code: str
    met: bool


@dataclass(frozen=True)
class SentenceTrace:
    """What one sentence contributed (for the timeline picture; not part of the JSON result)."""

    index: int  # position in the input's `sentences`
    sentence: Sentence
    anchor: date | None  # the sentence's own rule-3 date; None while it is still being served
    effect: str  # one of EFFECTS

    @property
    def moved(self) -> bool:
        """Whether this sentence moved the start of the waiting period."""
        return self.effect == "moved"


@dataclass(frozen=True)
class Result:
    """The engine's answer; `to_json()` gives exactly the fields of the specification."""

    decision: str
    waiting_rule_applies: bool
    waiting_period_years: int | None
    period_start: date | None
    eligible_from: date | None
    supervision_required: bool
    requirements: tuple[Requirement, ...]
    reasons: tuple[str, ...]
    sentences: tuple[SentenceTrace, ...]  # every input sentence, in the order of rule 4
    as_of: date
    parameters_version: str
    engine_version: str = ENGINE_VERSION

    def to_json(self) -> dict[str, Any]:
        """The result as the JSON object of the interface (dates as YYYY-MM-DD)."""
        return {
            "decision": self.decision,
            "waiting_rule_applies": self.waiting_rule_applies,
            "waiting_period_years": self.waiting_period_years,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "eligible_from": self.eligible_from.isoformat() if self.eligible_from else None,
            "supervision_required": self.supervision_required,
            "requirements": [{"code": r.code, "met": r.met} for r in self.requirements],
            "reasons": list(self.reasons),
        }


# --- the rules ------------------------------------------------------------------------------------------

def sentence_anchor(sentence: Sentence) -> date | None:
    """Rule 3: the date from which crime-free time counts after this sentence; None while it is served."""
    if sentence.sanction in CUSTODIAL:
        # policy §10.3: supervised probationary freedom and parole count as time after release only
        # without an intentional or gross breach of obligations.
        if sentence.serious_breach:
            return sentence.supervision_end if sentence.left_prison is not None else None
        return sentence.left_prison
    if sentence.sanction in COMMUNITY:
        return sentence.completed
    return sentence.offence_date  # conditional prison, fine: a new offence ends crime-free life


def _counts(sentence: Sentence, role: str) -> bool:
    # policy §16 ("three years since release from prison") for everyone else: only custodial sentences.
    return role == EXPERT or sentence.sanction in CUSTODIAL


def follow_up(facts: Facts) -> tuple[list[SentenceTrace], date | None, bool]:
    """Rules 3–4: the trace of every sentence, the anchor, and whether a sentence is still being served."""
    order = sorted(range(len(facts.sentences)),
                   key=lambda i: (facts.sentences[i].enforcement_start or facts.sentences[i].offence_date, i))
    traces: list[SentenceTrace] = []
    anchor: date | None = None
    serving = False
    for index in order:
        sentence = facts.sentences[index]
        own = sentence_anchor(sentence)
        if not _counts(sentence, facts.role):
            effect = "ignored"
        elif (anchor is not None and not serving and sentence.offence_date < anchor
              and sentence.enforcement_start is not None and sentence.enforcement_start >= anchor):
            effect = "earlier_offence_enforced"  # policy §10.3: the follow-up period stays the same
        elif own is None:
            effect, serving = "still_serving", True
        elif serving or (anchor is not None and own <= anchor):
            effect = "no_change"
        else:
            effect, anchor = "moved", own
        traces.append(SentenceTrace(index, sentence, own, effect))
    return traces, anchor, serving


def _breach_decisive(traces: list[SentenceTrace], serving: bool) -> bool:
    if serving:
        # A breach without an end of supervision keeps a released person's period from starting.
        return any(t.effect == "still_serving" and t.sentence.sanction in CUSTODIAL and t.sentence.serious_breach
                   and t.sentence.left_prison is not None for t in traces)
    setting = [t for t in traces if t.moved]
    return bool(setting) and setting[-1].sentence.sanction in CUSTODIAL and setting[-1].sentence.serious_breach


def _clearance(facts: Facts) -> tuple[bool, str | None, bool]:
    """Whether a clearance is valid on as_of, the reason if not, and whether a known one has remarks."""
    clearance = facts.security_clearance
    if clearance is None or clearance.completed > facts.as_of:
        return False, "clearance_missing", False
    remarks = clearance.result == "remarks"
    if clearance.valid_until is not None and clearance.valid_until < facts.as_of:
        return False, "clearance_expired", remarks
    return True, None, remarks


def assess(facts: Facts, params: PolicyParameters) -> Result:
    """Rules 1–8 of the waiting-period specification for one person, assignment and date."""
    traces, anchor, serving = follow_up(facts)
    reasons: list[str] = []
    has_custodial = any(s.sanction in CUSTODIAL for s in facts.sentences)  # rule 1, policy §10.3
    applies = has_custodial and facts.setting in WAITING_RULE_SETTINGS  # rule 2
    if not has_custodial:
        reasons.append("no_custodial_sentence")
    elif not applies:
        reasons.append("rule_not_applicable_in_setting")

    years: int | None = None
    start: date | None = None
    eligible_from: date | None = None
    waiting_blocks = False
    if applies:
        # rule 5, policy §10.3: two years for an expert working closely as a pair, otherwise three (§16).
        paired = facts.role == EXPERT and facts.close_pair != "none"
        years = params.paired_waiting_years if paired else params.waiting_years
        if serving:
            reasons.append("still_serving")
            waiting_blocks = True
        elif anchor is not None:  # a counted custodial sentence always gives an anchor or keeps one
            start, eligible_from = anchor, add_years(anchor, years)
        if _breach_decisive(traces, serving):
            reasons.append("breach_during_supervision")
        if any(t.effect == "earlier_offence_enforced" for t in traces):
            reasons.append("earlier_offence_enforced")
        if eligible_from is not None and facts.as_of < eligible_from:
            reasons.append("waiting_period_running")
            waiting_blocks = True

    # rule 6, policy §16: the minimum conditions that apply to this role and setting.
    requirements: list[Requirement] = []
    clearance_valid, clearance_problem, remarks = _clearance(facts)
    if facts.setting in CLEARANCE_SETTINGS:
        requirements.append(Requirement("security_clearance", clearance_valid))
        if clearance_problem:
            reasons.append(clearance_problem)
    if facts.role == EXPERT:  # policy §10.2: verifiable training
        requirements.append(Requirement("training_verified", facts.training_verified))
        if not facts.training_verified:
            reasons.append("training_not_verified")
    if facts.setting in PREMISES_SETTINGS:
        requirements.append(Requirement("confidentiality_undertaking", facts.confidentiality_undertaking))
        if not facts.confidentiality_undertaking:
            reasons.append("undertaking_missing")
        requirements.append(Requirement("inducted", facts.inducted))
        if not facts.inducted:
            reasons.append("induction_missing")

    # rule 7: review when there is something a person must weigh (policy §10.3: open cases, severity).
    if remarks:
        reasons.append("clearance_remarks")
    if facts.open_criminal_case:
        reasons.append("open_criminal_case")
    if facts.concern_reported:
        reasons.append("concern_reported")
    if waiting_blocks or not all(r.met for r in requirements):
        decision = "not_eligible"
    elif {"clearance_remarks", "open_criminal_case", "concern_reported", "earlier_offence_enforced"} & set(reasons):
        decision = "needs_review"
    else:
        decision = "eligible"

    return Result(
        decision=decision, waiting_rule_applies=applies, waiting_period_years=years, period_start=start,
        eligible_from=eligible_from,
        supervision_required=facts.role == EXPERT and facts.setting in SUPERVISED_SETTINGS,  # rule 8
        requirements=tuple(requirements), reasons=tuple(reasons), sentences=tuple(traces), as_of=facts.as_of,
        parameters_version=params.version)


def assess_json(data: Any, params: PolicyParameters) -> dict[str, Any]:
    """Parse the input JSON, assess it and return the result JSON; raises InputError on invalid input."""
    return assess(parse(data), params).to_json()
