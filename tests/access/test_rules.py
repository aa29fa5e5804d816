"""The waiting-period engine, rule by rule: a table of cases computed by hand from the policy text."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.access.rules import (
    ROLES,
    SETTINGS,
    PolicyParameters,
    assess,
    assess_json,
    parse,
)

P = PolicyParameters("test", date(2021, 1, 1), waiting_years=3, paired_waiting_years=2, retention_years=2)
AS_OF = "2025-06-01"
ALL_REQUIREMENTS = ["security_clearance", "training_verified", "confidentiality_undertaking", "inducted"]


def prison(offence: str, left: str | None = None, *, enforcement: str | None = None, supervision: str | None = None,
           breach: bool = False, sanction: str = "unconditional_prison") -> dict[str, Any]:
    return {"offence_date": offence, "sanction": sanction, "enforcement_start": enforcement, "left_prison": left,
            "supervision_end": supervision, "serious_breach": breach, "completed": None}


def community(offence: str, completed: str | None = None, *, enforcement: str | None = None,
              sanction: str = "community_service") -> dict[str, Any]:
    return {"offence_date": offence, "sanction": sanction, "enforcement_start": enforcement, "left_prison": None,
            "supervision_end": None, "serious_breach": False, "completed": completed}


def other(sanction: str, offence: str, enforcement: str | None = None) -> dict[str, Any]:
    return {"offence_date": offence, "sanction": sanction, "enforcement_start": enforcement, "left_prison": None,
            "supervision_end": None, "serious_breach": False, "completed": None}


def case(**overrides: Any) -> dict[str, Any]:
    """An expert by experience in the premises who meets every requirement; overrides change that."""
    return {"as_of": AS_OF, "role": "expert_by_experience", "setting": "in_premises", "close_pair": "none",
            "sentences": [], "open_criminal_case": False, "concern_reported": False,
            "security_clearance": {"completed": "2019-01-01", "valid_until": "2029-12-31", "result": "no_remarks"},
            "training_verified": True, "confidentiality_undertaking": True, "inducted": True, **overrides}


# Sentences used by several cases.
RELEASED_2021_06_01 = [prison("2019-03-01", "2021-06-01", enforcement="2020-01-15")]  # + 3 years = 2024-06-01
LEAP = [prison("2018-05-01", "2020-02-29", enforcement="2019-01-01")]  # + 3 y = 2023-02-28, + 2 y = 2022-02-28
BREACH = [prison("2018-01-01", "2020-01-10", enforcement="2018-09-01", supervision="2021-03-15", breach=True)]
NO_BREACH = [prison("2018-01-01", "2020-01-10", enforcement="2018-09-01", supervision="2021-03-15")]
# A: enforced 2015, released 2018-06-01 (the anchor after A).
A = prison("2014-01-01", "2018-06-01", enforcement="2015-01-01")
RELEASED_2018 = [prison("2016-01-01", "2018-01-01", enforcement="2016-06-01")]
RECENT = [prison("2021-01-01", "2023-01-01", enforcement="2022-01-01")]  # + 3 y = 2026-01-01 > AS_OF
PAIRABLE = [prison("2020-01-01", "2022-09-01", enforcement="2021-01-01")]  # + 2 y = 2024-09-01, + 3 y = 2025-09-01
COMMUNITY_AFTER_PRISON = [prison("2015-06-01", "2017-03-01", enforcement="2016-01-01")]
CLEARANCE = {"completed": "2019-01-01", "valid_until": "2029-12-31", "result": "no_remarks"}


def expect(decision: str, start: str | None, eligible_from: str | None, reasons: list[str], *,
           years: int | None | str = "auto", applies: bool | None = None,
           requirements: list[str] | None = None, met: dict[str, bool] | None = None) -> dict[str, Any]:
    applies = (start is not None or "still_serving" in reasons) if applies is None else applies
    result = {"decision": decision, "period_start": start, "eligible_from": eligible_from, "reasons": reasons,
              "waiting_rule_applies": applies, "waiting_period_years": (3 if applies else None) if years == "auto"
              else years}
    if requirements is not None:
        result["requirements"] = [{"code": c, "met": (met or {}).get(c, True)} for c in requirements]
    return result


CASES = [
    # --- rule 5: the day before, on and after eligible_from (2021-06-01 + 3 years = 2024-06-01) ---
    pytest.param(case(as_of="2024-05-31", sentences=RELEASED_2021_06_01),
                 expect("not_eligible", "2021-06-01", "2024-06-01", ["waiting_period_running"]), id="day-before"),
    pytest.param(case(as_of="2024-06-01", sentences=RELEASED_2021_06_01),
                 expect("eligible", "2021-06-01", "2024-06-01", [], requirements=ALL_REQUIREMENTS), id="on-the-day"),
    pytest.param(case(as_of="2024-06-02", sentences=RELEASED_2021_06_01),
                 expect("eligible", "2021-06-01", "2024-06-01", []), id="day-after"),
    # --- 29 February: + 3 calendar years is 28 February 2023; + 2 years is 28 February 2022 ---
    pytest.param(case(as_of="2023-02-27", sentences=LEAP),
                 expect("not_eligible", "2020-02-29", "2023-02-28", ["waiting_period_running"]), id="leap-before"),
    pytest.param(case(as_of="2023-02-28", sentences=LEAP),
                 expect("eligible", "2020-02-29", "2023-02-28", []), id="leap-on"),
    pytest.param(case(as_of="2022-02-27", close_pair="rise_official", sentences=LEAP),
                 expect("not_eligible", "2020-02-29", "2022-02-28", ["waiting_period_running"], years=2),
                 id="leap-paired-before"),
    pytest.param(case(as_of="2022-02-28", close_pair="rise_official", sentences=LEAP),
                 expect("eligible", "2020-02-29", "2022-02-28", [], years=2), id="leap-paired-on"),
    pytest.param(case(as_of="2024-02-28", sentences=[prison("2019-01-01", "2021-02-28")]),
                 expect("eligible", "2021-02-28", "2024-02-28", []), id="28-feb-into-leap-year"),
    # --- rule 3: breach during supervision moves the anchor to supervision_end (2021-03-15 + 3 = 2024-03-15) ---
    pytest.param(case(as_of="2024-03-14", sentences=BREACH),
                 expect("not_eligible", "2021-03-15", "2024-03-15",
                        ["breach_during_supervision", "waiting_period_running"]), id="breach-day-before"),
    pytest.param(case(as_of="2024-03-15", sentences=BREACH),
                 expect("eligible", "2021-03-15", "2024-03-15", ["breach_during_supervision"]), id="breach-on"),
    # Without a breach, supervised freedom counts as time after release: 2020-01-10 + 3 = 2023-01-10.
    pytest.param(case(as_of="2024-03-14", sentences=NO_BREACH),
                 expect("eligible", "2020-01-10", "2023-01-10", []), id="supervision-without-breach"),
    pytest.param(case(sentences=[prison("2018-01-01", "2020-01-10", enforcement="2018-09-01", breach=True)]),
                 expect("not_eligible", None, None, ["still_serving", "breach_during_supervision"]),
                 id="breach-without-supervision-end"),
    pytest.param(case(sentences=[prison("2023-01-01", None, enforcement="2024-02-01")]),
                 expect("not_eligible", None, None, ["still_serving"]), id="still-in-prison"),
    pytest.param(case(sentences=[prison("2023-01-01", "2025-09-01", enforcement="2024-02-01")]),
                 expect("not_eligible", "2025-09-01", "2028-09-01", ["waiting_period_running"]),
                 id="release-date-after-as-of"),
    # --- rule 1: a conversion sentence of fines served in prison is custodial (2019-05-05 + 3 = 2022-05-05) ---
    pytest.param(case(as_of="2022-05-04", sentences=[prison("2018-02-01", "2019-05-05",
                                                            sanction="fine_conversion_prison")]),
                 expect("not_eligible", "2019-05-05", "2022-05-05", ["waiting_period_running"]),
                 id="fine-conversion-before"),
    pytest.param(case(as_of="2022-05-05", sentences=[prison("2018-02-01", "2019-05-05",
                                                            sanction="fine_conversion_prison")]),
                 expect("eligible", "2019-05-05", "2022-05-05", []), id="fine-conversion-on"),
    # --- rule 2: never a custodial sentence, the rule does not apply (even with a sanction still served) ---
    pytest.param(case(), expect("eligible", None, None, ["no_custodial_sentence"]), id="no-sentences"),
    pytest.param(case(sentences=[other("fine", "2025-05-01")]),
                 expect("eligible", None, None, ["no_custodial_sentence"]), id="recent-fine-only"),
    pytest.param(case(sentences=[other("conditional_prison", "2023-01-01"), community("2022-01-01", None)]),
                 expect("eligible", None, None, ["no_custodial_sentence"]), id="conditional-and-community-only"),
    # --- rule 3: fines and conditional sentences anchor at the offence date, for experts only ---
    pytest.param(case(sentences=[*RELEASED_2018, other("fine", "2023-04-01")]),
                 expect("not_eligible", "2023-04-01", "2026-04-01", ["waiting_period_running"]),
                 id="expert-fine-after-release"),
    pytest.param(case(role="volunteer", sentences=[*RELEASED_2018, other("fine", "2023-04-01")]),
                 expect("eligible", "2018-01-01", "2021-01-01", [],
                        requirements=["security_clearance", "confidentiality_undertaking", "inducted"]),
                 id="volunteer-fine-ignored"),
    pytest.param(case(role="partner_employee", sentences=[*RELEASED_2018, other("conditional_prison", "2023-04-01")]),
                 expect("eligible", "2018-01-01", "2021-01-01", []), id="partner-employee-conditional-ignored"),
    pytest.param(case(sentences=[*RELEASED_2018, other("conditional_prison", "2024-01-01")]),
                 expect("not_eligible", "2024-01-01", "2027-01-01", ["waiting_period_running"]),
                 id="expert-conditional-after-release"),
    # The conditional sentence (key 2017-01-01) comes after the prison sentence (key 2016-06-01); its offence is
    # before the anchor but its enforcement is unknown, so it "moves" the anchor to the later date: no change.
    pytest.param(case(sentences=[*RELEASED_2018, other("conditional_prison", "2017-01-01")]),
                 expect("eligible", "2018-01-01", "2021-01-01", []), id="expert-conditional-before-release"),
    # --- rule 3: community sanctions anchor at completion (2020-08-31 + 3 = 2023-08-31) ---
    *[pytest.param(case(as_of=as_of, sentences=[*COMMUNITY_AFTER_PRISON,
                                                community("2019-02-01", "2020-08-31", enforcement="2019-09-01",
                                                          sanction=sanction)]),
                   expect(decision, "2020-08-31", "2023-08-31", reasons), id=f"{sanction}-{as_of}")
      for sanction in ("community_service", "monitoring_sentence", "juvenile_punishment")
      for as_of, decision, reasons in (("2023-08-30", "not_eligible", ["waiting_period_running"]),
                                       ("2023-08-31", "eligible", []))],
    pytest.param(case(sentences=[*COMMUNITY_AFTER_PRISON, community("2019-02-01", None, enforcement="2019-09-01")]),
                 expect("not_eligible", None, None, ["still_serving"]), id="expert-community-not-completed"),
    pytest.param(case(role="volunteer", sentences=[*COMMUNITY_AFTER_PRISON,
                                                   community("2019-02-01", None, enforcement="2019-09-01")]),
                 expect("eligible", "2017-03-01", "2020-03-01", []), id="volunteer-community-ignored"),
    # --- rule 4: earlier offences. A: released 2018-06-01. ---
    # B: offence 2017-05-01 before the anchor, enforced 2019-01-10 after it: the period stays 2018-06-01 + 3.
    pytest.param(case(sentences=[A, prison("2017-05-01", "2020-01-10", enforcement="2019-01-10")]),
                 expect("needs_review", "2018-06-01", "2021-06-01", ["earlier_offence_enforced"]),
                 id="earlier-offence-does-not-move"),
    pytest.param(case(sentences=[prison("2017-05-01", "2020-01-10", enforcement="2019-01-10"), A]),
                 expect("needs_review", "2018-06-01", "2021-06-01", ["earlier_offence_enforced"]),
                 id="earlier-offence-input-order-irrelevant"),
    # B: offence after the anchor: a new offence ends crime-free life; 2020-01-10 + 3 = 2023-01-10.
    pytest.param(case(sentences=[A, prison("2018-07-01", "2020-01-10", enforcement="2019-01-10")]),
                 expect("eligible", "2020-01-10", "2023-01-10", []), id="later-offence-moves"),
    pytest.param(case(sentences=[A, prison("2018-06-01", "2020-01-10", enforcement="2019-01-10")]),
                 expect("eligible", "2020-01-10", "2023-01-10", []), id="offence-on-anchor-day-moves"),
    # B enforced on the anchor day itself: "on or after" the anchor, so it does not move.
    pytest.param(case(sentences=[A, prison("2017-05-01", "2020-01-10", enforcement="2018-06-01")]),
                 expect("needs_review", "2018-06-01", "2021-06-01", ["earlier_offence_enforced"]),
                 id="earlier-offence-enforced-on-anchor-day"),
    # B enforced before A's release (concurrent sentences): it moves the anchor.
    pytest.param(case(sentences=[A, prison("2017-05-01", "2020-01-10", enforcement="2018-01-01")]),
                 expect("eligible", "2020-01-10", "2023-01-10", []), id="concurrent-sentence-moves"),
    # B without enforcement_start: ordered by its offence date (after A's key 2015-01-01), and not known to be
    # enforced after the anchor, so it moves.
    pytest.param(case(sentences=[A, prison("2017-05-01", "2020-01-10")]),
                 expect("eligible", "2020-01-10", "2023-01-10", []), id="unknown-enforcement-moves"),
    # B still being served for the earlier offence: the period stays the same; a person weighs it.
    pytest.param(case(sentences=[A, prison("2017-05-01", None, enforcement="2024-01-01")]),
                 expect("needs_review", "2018-06-01", "2021-06-01", ["earlier_offence_enforced"]),
                 id="earlier-offence-still-served"),
    pytest.param(case(sentences=[A, other("fine", "2017-01-01", enforcement="2019-01-01")]),
                 expect("needs_review", "2018-06-01", "2021-06-01", ["earlier_offence_enforced"]),
                 id="earlier-offence-fine"),
    pytest.param(case(sentences=[A, community("2017-01-01", "2019-06-01", enforcement="2019-01-01")]),
                 expect("needs_review", "2018-06-01", "2021-06-01", ["earlier_offence_enforced"]),
                 id="earlier-offence-community"),
    # A breach in an older sentence does not matter once a later release sets the anchor (2019-01-01 + 3).
    pytest.param(case(sentences=[prison("2013-01-01", "2015-01-01", enforcement="2013-06-01", supervision="2016-01-01",
                                        breach=True),
                                 prison("2017-01-01", "2019-01-01", enforcement="2017-06-01")]),
                 expect("eligible", "2019-01-01", "2022-01-01", []), id="old-breach-not-decisive"),
    pytest.param(case(sentences=[prison("2013-01-01", "2019-03-01", enforcement="2013-06-01"),
                                 prison("2014-01-01", "2016-01-01", enforcement="2014-06-01")]),
                 expect("eligible", "2019-03-01", "2022-03-01", []), id="latest-release-wins"),
    # --- rule 5: pairing (2022-09-01 + 2 = 2024-09-01; + 3 = 2025-09-01) ---
    pytest.param(case(close_pair="rise_official", sentences=PAIRABLE),
                 expect("eligible", "2022-09-01", "2024-09-01", [], years=2), id="paired-rise-official"),
    pytest.param(case(close_pair="trusted_partner_employee", sentences=PAIRABLE),
                 expect("eligible", "2022-09-01", "2024-09-01", [], years=2), id="paired-partner-employee"),
    pytest.param(case(sentences=PAIRABLE),
                 expect("not_eligible", "2022-09-01", "2025-09-01", ["waiting_period_running"]), id="unpaired"),
    pytest.param(case(role="volunteer", close_pair="rise_official", sentences=PAIRABLE),
                 expect("not_eligible", "2022-09-01", "2025-09-01", ["waiting_period_running"]),
                 id="pairing-only-for-experts"),
    # --- rule 2 and 6: each setting (2023-01-01 + 3 = 2026-01-01, after AS_OF) ---
    pytest.param(case(sentences=RECENT), expect("not_eligible", "2023-01-01", "2026-01-01",
                                                ["waiting_period_running"], requirements=ALL_REQUIREMENTS),
                 id="setting-in-premises"),
    pytest.param(case(setting="direct_contact", sentences=RECENT),
                 expect("not_eligible", "2023-01-01", "2026-01-01", ["waiting_period_running"],
                        requirements=["security_clearance", "training_verified"]), id="setting-direct-contact"),
    *[pytest.param(case(setting=setting, sentences=RECENT),
                   expect("not_eligible", "2023-01-01", "2026-01-01", ["waiting_period_running"],
                          requirements=["training_verified"]), id=f"setting-{setting}")
      for setting in ("remote_expert_led", "remote_independent")],
    *[pytest.param(case(setting=setting, sentences=RECENT, security_clearance=None),
                   expect("eligible", None, None, ["rule_not_applicable_in_setting"], applies=False,
                          requirements=["training_verified"]), id=f"setting-{setting}")
      for setting in ("remote_staff_led_group", "outside_units")],
    # --- rule 6: requirements per role and setting ---
    pytest.param(case(role="volunteer", setting="remote_expert_led", training_verified=False, sentences=RECENT),
                 expect("not_eligible", "2023-01-01", "2026-01-01", ["waiting_period_running"], requirements=[]),
                 id="volunteer-remote-no-requirements"),
    pytest.param(case(role="partner_employee", setting="direct_contact", training_verified=False,
                      confidentiality_undertaking=False, inducted=False),
                 expect("eligible", None, None, ["no_custodial_sentence"], requirements=["security_clearance"]),
                 id="partner-employee-direct-contact"),
    pytest.param(case(security_clearance=None),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "clearance_missing"],
                        requirements=ALL_REQUIREMENTS, met={"security_clearance": False}), id="clearance-missing"),
    pytest.param(case(security_clearance={**CLEARANCE, "completed": "2025-06-02"}),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "clearance_missing"]),
                 id="clearance-completed-after-as-of"),
    pytest.param(case(security_clearance={**CLEARANCE, "completed": AS_OF}),
                 expect("eligible", None, None, ["no_custodial_sentence"]), id="clearance-completed-on-as-of"),
    pytest.param(case(security_clearance={**CLEARANCE, "valid_until": "2025-05-31"}),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "clearance_expired"]),
                 id="clearance-expired-day-before"),
    pytest.param(case(security_clearance={**CLEARANCE, "valid_until": AS_OF}),
                 expect("eligible", None, None, ["no_custodial_sentence"]), id="clearance-valid-until-as-of"),
    pytest.param(case(security_clearance={**CLEARANCE, "valid_until": None}),
                 expect("eligible", None, None, ["no_custodial_sentence"]), id="clearance-without-end"),
    pytest.param(case(security_clearance={**CLEARANCE, "result": "remarks"}),
                 expect("needs_review", None, None, ["no_custodial_sentence", "clearance_remarks"]),
                 id="clearance-remarks"),
    pytest.param(case(security_clearance={**CLEARANCE, "result": "remarks", "valid_until": "2025-01-01"}),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "clearance_expired",
                                                     "clearance_remarks"]), id="clearance-remarks-expired"),
    pytest.param(case(security_clearance={**CLEARANCE, "result": "remarks", "completed": "2025-07-01"}),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "clearance_missing"]),
                 id="clearance-remarks-not-yet-known"),
    pytest.param(case(setting="outside_units", security_clearance={**CLEARANCE, "result": "remarks"}),
                 expect("needs_review", None, None, ["no_custodial_sentence", "clearance_remarks"],
                        requirements=["training_verified"]), id="clearance-remarks-outside-units"),
    pytest.param(case(setting="outside_units", security_clearance=None),
                 expect("eligible", None, None, ["no_custodial_sentence"]), id="no-clearance-needed-outside"),
    pytest.param(case(training_verified=False),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "training_not_verified"],
                        requirements=ALL_REQUIREMENTS, met={"training_verified": False}), id="training-missing"),
    pytest.param(case(role="volunteer", training_verified=False),
                 expect("eligible", None, None, ["no_custodial_sentence"],
                        requirements=["security_clearance", "confidentiality_undertaking", "inducted"]),
                 id="volunteer-needs-no-training"),
    pytest.param(case(confidentiality_undertaking=False, inducted=False),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "undertaking_missing",
                                                     "induction_missing"], requirements=ALL_REQUIREMENTS,
                        met={"confidentiality_undertaking": False, "inducted": False}), id="premises-requirements"),
    pytest.param(case(setting="direct_contact", confidentiality_undertaking=False, inducted=False),
                 expect("eligible", None, None, ["no_custodial_sentence"]), id="undertaking-only-in-premises"),
    # --- rule 7: review ---
    pytest.param(case(open_criminal_case=True),
                 expect("needs_review", None, None, ["no_custodial_sentence", "open_criminal_case"]), id="open-case"),
    pytest.param(case(concern_reported=True),
                 expect("needs_review", None, None, ["no_custodial_sentence", "concern_reported"]), id="concern"),
    pytest.param(case(sentences=RECENT, open_criminal_case=True, concern_reported=True),
                 expect("not_eligible", "2023-01-01", "2026-01-01",
                        ["waiting_period_running", "open_criminal_case", "concern_reported"]),
                 id="waiting-beats-review"),
    pytest.param(case(inducted=False, concern_reported=True, security_clearance={**CLEARANCE, "result": "remarks"}),
                 expect("not_eligible", None, None, ["no_custodial_sentence", "induction_missing",
                                                     "clearance_remarks", "concern_reported"]),
                 id="unmet-requirement-beats-review"),
    pytest.param(case(sentences=[A, prison("2017-05-01", "2020-01-10", enforcement="2019-01-10")], as_of="2021-05-31"),
                 expect("not_eligible", "2018-06-01", "2021-06-01",
                        ["earlier_offence_enforced", "waiting_period_running"]), id="earlier-offence-and-waiting"),
]


@pytest.mark.parametrize("data,expected", CASES)
def test_rule_table(data, expected):
    result = assess_json(data, P)
    assert {key: result[key] for key in expected} == expected
    assert set(result) == {"decision", "waiting_rule_applies", "waiting_period_years", "period_start",
                           "eligible_from", "supervision_required", "requirements", "reasons"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("setting", SETTINGS)
def test_supervision_required_matrix(role, setting):
    # rule 8: experts by experience in the premises and in every remote setting, nobody else.
    expected = role == "expert_by_experience" and setting in {"in_premises", "remote_expert_led",
                                                             "remote_independent", "remote_staff_led_group"}
    assert assess_json(case(role=role, setting=setting), P)["supervision_required"] is expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("setting", SETTINGS)
def test_waiting_rule_applies_by_setting_for_every_role(role, setting):
    result = assess_json(case(role=role, setting=setting, sentences=RECENT), P)
    applies = setting in {"in_premises", "direct_contact", "remote_expert_led", "remote_independent"}
    assert result["waiting_rule_applies"] is applies
    assert result["eligible_from"] == ("2026-01-01" if applies else None)
    assert result["decision"] == ("not_eligible" if applies else "eligible")  # every requirement is met


def test_the_timeline_trace_keeps_every_sentence_in_rule_4_order():
    b = prison("2017-05-01", "2020-01-10", enforcement="2019-01-10")
    fine = other("fine", "2012-01-01")
    result = assess(parse(case(role="volunteer", sentences=[b, fine, A])), P)
    assert [(t.index, t.effect) for t in result.sentences] == [(1, "ignored"), (2, "moved"),
                                                               (0, "earlier_offence_enforced")]
    assert [t.anchor for t in result.sentences] == [date(2012, 1, 1), date(2018, 6, 1), date(2020, 1, 10)]
    assert [t.moved for t in result.sentences] == [False, True, False]
    assert result.as_of == date(2025, 6, 1) and result.parameters_version == "test" and result.engine_version
    assert "sentences" not in result.to_json()


def test_trace_of_a_sentence_still_served_and_those_after_it():
    first = prison("2010-01-01", None, enforcement="2010-06-01")
    later = prison("2012-01-01", "2014-01-01", enforcement="2012-06-01")
    result = assess(parse(case(sentences=[later, first])), P)
    assert [(t.index, t.effect, t.anchor) for t in result.sentences] == [
        (1, "still_serving", None), (0, "no_change", date(2014, 1, 1))]
    assert result.period_start is None and result.reasons == ("still_serving",)


def test_the_parameters_decide_the_periods():
    five = PolicyParameters("five", date(2030, 1, 1), waiting_years=5, paired_waiting_years=1, retention_years=2)
    assert assess_json(case(sentences=RELEASED_2021_06_01), five)["eligible_from"] == "2026-06-01"
    paired = assess_json(case(sentences=RELEASED_2021_06_01, close_pair="rise_official"), five)
    assert (paired["eligible_from"], paired["waiting_period_years"]) == ("2022-06-01", 1)
    assert assess(parse(case()), five).parameters_version == "five"


def test_adding_an_earlier_enforced_sentence_can_move_eligible_from_earlier_but_never_without_review():
    # Rule 4 taken literally. Without C: A released 2012-01-01; B's offence (2013-01-01) comes after that,
    # so B moves the anchor to its release, 2018-01-01 (eligible 2021-01-01).
    a = prison("2009-01-01", "2012-01-01", enforcement="2010-01-01")
    b = prison("2013-01-01", "2018-01-01", enforcement="2014-01-01")
    without = assess_json(case(as_of="2020-01-01", sentences=[a, b]), P)
    assert (without["period_start"], without["eligible_from"], without["decision"]) == (
        "2018-01-01", "2021-01-01", "not_eligible")
    # C (enforced 2011, released 2013-06-01) now sets the follow-up start before B is reached: B's offence
    # is then an earlier offence enforced later, and the period stays 2013-06-01 + 3 = 2016-06-01.
    c = prison("2010-06-01", "2013-06-01", enforcement="2011-01-01")
    with_c = assess_json(case(as_of="2020-01-01", sentences=[a, b, c]), P)
    assert (with_c["period_start"], with_c["eligible_from"], with_c["decision"]) == (
        "2013-06-01", "2016-06-01", "needs_review")
    assert "earlier_offence_enforced" in with_c["reasons"]
