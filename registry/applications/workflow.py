"""The application's path (DESIGN §3; DOMAIN §5.1): which status may follow which, and what each step needs.

Pure: no database, no request. The services pass in the facts of one application (`StepFacts`).

received → eligibility checked → in review → statement given → funding decided → running → ended → evaluated;
an open application (before funding is decided) can be withdrawn by the applicant; one that has not had its
statement can be rejected (e.g. an ineligible applicant, policy §8.2 / DOMAIN §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import ApplicationStatus as S

OPEN = frozenset({S.RECEIVED, S.ELIGIBILITY_CHECKED, S.IN_REVIEW, S.STATEMENT_GIVEN, S.FUNDING_DECIDED})
REJECTABLE = frozenset({S.RECEIVED, S.ELIGIBILITY_CHECKED, S.IN_REVIEW})
CLOSED = frozenset({S.WITHDRAWN, S.REJECTED, S.EVALUATED})

_CHAIN = [S.RECEIVED, S.ELIGIBILITY_CHECKED, S.IN_REVIEW, S.STATEMENT_GIVEN, S.FUNDING_DECIDED, S.RUNNING,
          S.ENDED, S.EVALUATED]

TRANSITIONS: dict[S, set[S]] = {status: set() for status in S}
for _here, _next in zip(_CHAIN, _CHAIN[1:], strict=False):
    TRANSITIONS[_here].add(_next)
for _status in OPEN:
    TRANSITIONS[_status].add(S.WITHDRAWN)
for _status in REJECTABLE:
    TRANSITIONS[_status].add(S.REJECTED)

# Steps that have their own form (the data they need is entered there, not on the status button).
FORM_STEPS = {S.STATEMENT_GIVEN: "applications.statement", S.FUNDING_DECIDED: "applications.funding"}
ORDER = {status: n for n, status in enumerate([*_CHAIN, S.WITHDRAWN, S.REJECTED])}


@dataclass(frozen=True)
class StepFacts:
    """What the requirements of a step look at, taken from one application."""

    eligible: bool = True  # rules.applicant_eligibility did not fail
    unit_count: int = 1  # Rise units with planned cooperation
    statement: str | None = None  # StatementKind value
    justification: bool = False
    conditions: bool = False
    funding_outcome: str | None = None  # FundingOutcome value
    funding_decided_on: bool = False
    has_project: bool = False  # a portfolio project made from the application
    project_evaluated: bool = False
    note: bool = False  # a reason given with the step


def can_move(from_status: S | str | None, to_status: S | str) -> bool:
    """Whether the path allows going from `from_status` to `to_status` (staying put is not a step)."""
    if from_status is None or from_status not in S._value2member_map_ or to_status not in S._value2member_map_:
        return False
    return S(to_status) in TRANSITIONS[S(from_status)]


def next_steps(from_status: S | str) -> list[S]:
    """The statuses that may follow, in the order of the path (withdrawn and rejected last)."""
    if from_status not in S._value2member_map_:
        return []
    return sorted(TRANSITIONS[S(from_status)], key=ORDER.__getitem__)


def missing_for(to_status: S | str, facts: StepFacts) -> list[str]:
    """What the application still lacks for the step (names; empty when it may be taken).

    - eligibility checked: an eligible applicant (policy §8.2: never a private person or a for-profit
      company) and planned cooperation with at least one Rise unit (DOMAIN §5.2 item 3);
    - statement given: the statement and its justification, and the conditions of a conditional one;
    - funding decided: the outcome and its date (funding is a separate process, DOMAIN §5.1 step 4);
    - running: funding granted and the project in the portfolio (DOMAIN §5.1 steps 5–7);
    - ended: the portfolio project; evaluated: its evaluation (DOMAIN §5.1 step 8);
    - rejected: the reason.
    """
    target = S(to_status)
    missing: list[str] = []
    if target is S.ELIGIBILITY_CHECKED:
        if not facts.eligible:
            missing.append("eligible")
        if facts.unit_count < 1:
            missing.append("units")
    elif target is S.STATEMENT_GIVEN:
        if not facts.statement:
            missing.append("statement")
        if not facts.justification:
            missing.append("justification")
        if facts.statement == "conditional" and not facts.conditions:
            missing.append("conditions")
    elif target is S.FUNDING_DECIDED:
        if not facts.funding_outcome:
            missing.append("funding_outcome")
        if not facts.funding_decided_on:
            missing.append("funding_decided_on")
    elif target is S.RUNNING:
        if facts.funding_outcome != "granted":
            missing.append("funding_granted")
        if not facts.has_project:
            missing.append("project")
    elif target is S.ENDED:
        if not facts.has_project:
            missing.append("project")
    elif target is S.EVALUATED:
        if not facts.project_evaluated:
            missing.append("evaluation")
    elif target is S.REJECTED and not facts.note:
        missing.append("note")
    return missing
