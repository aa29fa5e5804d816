"""The engine's input validation, the policy parameters and the retention rule."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from registry.access.params import SEED_FILE
from registry.access.rules import (
    InputError,
    PolicyParameters,
    assess,
    parameters_on,
    parse,
    read_parameter_file,
    retention_until,
)
from tests.access.test_rules import CLEARANCE, case, community, prison

P = PolicyParameters("test", date(2021, 1, 1), waiting_years=3, paired_waiting_years=2, retention_years=2)


def with_sentence(**fields) -> dict:
    return case(sentences=[{**prison("2018-01-01", "2020-01-01", enforcement="2018-06-01"), **fields}])


def without(key: str) -> dict:
    data = case()
    del data[key]
    return data


INVALID = [
    pytest.param([], None, id="not-an-object"),
    pytest.param("text", None, id="a-string"),
    pytest.param(None, None, id="null"),
    *[pytest.param(without(key), key, id=f"missing-{key}")
      for key in ("as_of", "role", "setting", "close_pair", "sentences", "open_criminal_case", "concern_reported",
                  "training_verified", "confidentiality_undertaking", "inducted")],
    pytest.param(case(as_of="2024-02-30"), "as_of", id="impossible-date"),
    pytest.param(case(as_of="2023-02-29"), "as_of", id="29-february-of-a-common-year"),
    pytest.param(case(as_of="2024-1-5"), "as_of", id="short-date"),
    pytest.param(case(as_of="20240105"), "as_of", id="basic-iso-date"),
    pytest.param(case(as_of="2024-01-05T00:00"), "as_of", id="date-time"),
    pytest.param(case(as_of="5.1.2024"), "as_of", id="finnish-date"),
    pytest.param(case(as_of=20240105), "as_of", id="number-date"),
    pytest.param(case(as_of=None), "as_of", id="null-as-of"),
    pytest.param(case(as_of="1899-12-31"), "as_of", id="too-early"),
    pytest.param(case(as_of="9999-12-31"), "as_of", id="too-late"),
    pytest.param(case(as_of="２０２４-01-05"), "as_of", id="wide-digits"),
    pytest.param(case(role="prisoner"), "role", id="unknown-role"),
    pytest.param(case(role=["volunteer"]), "role", id="role-list"),
    pytest.param(case(setting="in premises"), "setting", id="unknown-setting"),
    pytest.param(case(close_pair=True), "close_pair", id="close-pair-bool"),
    pytest.param(case(sentences={}), "sentences", id="sentences-object"),
    pytest.param(case(sentences=[prison("2018-01-01")] * 201), "sentences", id="too-many-sentences"),
    pytest.param(case(sentences=["prison"]), "sentences[0]", id="sentence-not-object"),
    pytest.param(case(open_criminal_case="false"), "open_criminal_case", id="bool-as-string"),
    pytest.param(case(concern_reported=0), "concern_reported", id="bool-as-number"),
    pytest.param(case(training_verified=None), "training_verified", id="bool-null"),
    pytest.param(case(name="Kalle"), "name", id="unknown-top-level-field"),
    pytest.param(with_sentence(offence_date=None), "sentences[0].offence_date", id="sentence-offence-null"),
    pytest.param(case(sentences=[{k: v for k, v in prison("2018-01-01").items() if k != "offence_date"}]),
                 "sentences[0].offence_date", id="sentence-offence-missing"),
    pytest.param(case(sentences=[{k: v for k, v in prison("2018-01-01").items() if k != "serious_breach"}]),
                 "sentences[0].serious_breach", id="sentence-breach-missing"),
    pytest.param(with_sentence(sanction="prison"), "sentences[0].sanction", id="unknown-sanction"),
    pytest.param(with_sentence(serious_breach="no"), "sentences[0].serious_breach", id="breach-not-bool"),
    pytest.param(with_sentence(description="theft"), "sentences[0].description", id="unknown-sentence-field"),
    pytest.param(with_sentence(left_prison="2017-12-31"), "sentences[0].left_prison", id="left-before-offence"),
    pytest.param(with_sentence(enforcement_start="2017-12-31"), "sentences[0].enforcement_start",
                 id="enforcement-before-offence"),
    pytest.param(with_sentence(left_prison="2018-05-31"), "sentences[0].left_prison", id="left-before-enforcement"),
    pytest.param(with_sentence(supervision_end="2019-12-31"), "sentences[0].supervision_end",
                 id="supervision-before-release"),
    pytest.param(with_sentence(left_prison=None, supervision_end="2021-01-01"), "sentences[0].supervision_end",
                 id="supervision-without-release"),
    pytest.param(with_sentence(left_prison="2020-13-01"), "sentences[0].left_prison", id="month-13"),
    pytest.param(case(sentences=[prison("2010-01-01", "2012-01-01"), community("2019-01-01", "2018-12-31")]),
                 "sentences[1].completed", id="completed-before-offence"),
    pytest.param(case(sentences=[community("2019-01-01", "2019-05-01", enforcement="2019-06-01")]),
                 "sentences[0].completed", id="completed-before-enforcement"),
    pytest.param(case(security_clearance="yes"), "security_clearance", id="clearance-not-object"),
    pytest.param(case(security_clearance={"valid_until": None, "result": "no_remarks"}),
                 "security_clearance.completed", id="clearance-completed-missing"),
    pytest.param(case(security_clearance={**CLEARANCE, "result": "ok"}), "security_clearance.result",
                 id="clearance-unknown-result"),
    pytest.param(case(security_clearance={**CLEARANCE, "valid_until": "2018-12-31"}),
                 "security_clearance.valid_until", id="clearance-valid-until-before-completed"),
    pytest.param(case(security_clearance={**CLEARANCE, "kind": "basic"}), "security_clearance.kind",
                 id="clearance-unknown-field"),
]


@pytest.mark.parametrize("data,field", INVALID)
def test_invalid_input_names_the_field(data, field):
    with pytest.raises(InputError) as raised:
        parse(data)
    assert raised.value.field == field
    assert (field or "input").split(".")[-1].split("[")[0] in raised.value.message.lower()


def test_nullable_fields_may_be_left_out():
    facts = parse(case(sentences=[{"offence_date": "2020-01-01", "sanction": "fine", "serious_breach": False}],
                       security_clearance={"completed": "2020-01-01", "result": "no_remarks"}))
    assert facts.sentences[0].left_prison is None and facts.security_clearance.valid_until is None
    data = case()
    del data["security_clearance"]
    assert parse(data).security_clearance is None


def test_facts_round_trip_through_json():
    data = case(sentences=[prison("2017-05-01", "2020-01-10", enforcement="2019-01-10", supervision="2021-01-01",
                                  breach=True), community("2019-01-01", "2019-05-01")])
    facts = parse(data)
    assert facts.to_json() == data
    assert parse(json.loads(json.dumps(facts.to_json()))) == facts


# --- policy parameters ----------------------------------------------------------------------------------


def test_the_seed_file_holds_the_policy_periods():
    rows = read_parameter_file(SEED_FILE)
    assert [(r.version, r.effective_from, r.waiting_years, r.paired_waiting_years, r.retention_years)
            for r in rows] == [("2021-1", date(2021, 1, 1), 3, 2, 2)]
    assert "§10.3" in rows[0].source


def test_parameters_on_picks_the_version_in_force():
    old = PolicyParameters("old", date(2021, 1, 1), 3, 2, 2)
    new = PolicyParameters("new", date(2026, 1, 1), 4, 2, 5)
    assert parameters_on([new, old], date(2025, 12, 31)) is old
    assert parameters_on([new, old], date(2026, 1, 1)) is new
    assert parameters_on([new, old], date(2020, 1, 1)) is old  # before every version: the earliest
    with pytest.raises(ValueError):
        parameters_on([], date(2026, 1, 1))


@pytest.mark.parametrize("content", [
    "version,effective_from,waiting_years,paired_waiting_years,retention_years,source\nx,2021-01-01,2,3,2,\n",
    "version,effective_from,waiting_years,paired_waiting_years,retention_years,source\nx,2021-02-30,3,2,2,\n",
    "version,effective_from,waiting_years,paired_waiting_years,retention_years,source\nx,2021-01-01,three,2,2,\n",
    "version,effective_from,waiting_years,paired_waiting_years,retention_years,source\n,2021-01-01,3,2,2,\n",
    "version,effective_from,waiting_years\nx,2021-01-01,3\n",
])
def test_invalid_parameter_files_are_refused_with_the_line(tmp_path: Path, content: str):
    path = tmp_path / "params.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        read_parameter_file(path)


# --- retention ------------------------------------------------------------------------------------------


def test_retention_runs_from_the_last_assignment_end():
    # 2024-02-29 + 2 calendar years = 2026-02-28
    assert retention_until([date(2023, 1, 1), date(2024, 2, 29)], date(2020, 1, 1), P) == date(2026, 2, 28)
    assert retention_until([date(2023, 1, 1), None], date(2020, 1, 1), P) is None  # an open assignment
    assert retention_until([], date(2020, 5, 4), P) == date(2022, 5, 4)  # no assignments: from the record date
    longer = PolicyParameters("long", date(2021, 1, 1), 3, 2, retention_years=5)
    assert retention_until((date(2023, 1, 1),), date(2020, 1, 1), longer) == date(2028, 1, 1)


def test_assess_never_fails_on_valid_extremes():
    data = case(as_of="2199-12-31", sentences=[prison("2199-01-01", "2199-12-31")])
    assert assess(parse(data), P).eligible_from == date(2202, 12, 31)
