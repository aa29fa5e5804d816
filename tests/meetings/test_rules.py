"""The pure meeting rules: presets ↔ RRULE text, expansion, validation, keys, Finnish holidays, descriptions."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import force_locale

from registry.meetings import rules
from registry.meetings.rules import Recurrence

PRESETS = [  # (preset, Recurrence, RRULE text)
    (rules.PRESET_WEEKLY, Recurrence("weekly"), "FREQ=WEEKLY"),
    (rules.PRESET_WEEKLY, Recurrence("weekly", byweekday=2), "FREQ=WEEKLY;BYDAY=WE"),
    (rules.PRESET_WEEKS, Recurrence("weekly", interval=2), "FREQ=WEEKLY;INTERVAL=2"),
    (rules.PRESET_MONTHLY_DATE, Recurrence("monthly", monthly_mode="date"), "FREQ=MONTHLY"),
    (rules.PRESET_MONTHLY_DATE, Recurrence("monthly", monthly_mode="date", bymonthday=15),
     "FREQ=MONTHLY;BYMONTHDAY=15"),
    (rules.PRESET_MONTHLY_WEEKDAY, Recurrence("monthly", monthly_mode="weekday", bysetpos=2, byweekday=1),
     "FREQ=MONTHLY;BYDAY=2TU"),
    (rules.PRESET_MONTHLY_WEEKDAY, Recurrence("monthly", monthly_mode="weekday", bysetpos=-1, byweekday=4),
     "FREQ=MONTHLY;BYDAY=-1FR"),
    (rules.PRESET_QUARTERLY, Recurrence("monthly", interval=3, monthly_mode="date"), "FREQ=MONTHLY;INTERVAL=3"),
    (rules.PRESET_QUARTERLY, Recurrence("monthly", interval=3, monthly_mode="weekday", bysetpos=2, byweekday=1),
     "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU"),
    (rules.PRESET_MONTHS, Recurrence("yearly", monthly_mode="weekday", bysetpos=2, byweekday=1,
                                     bymonth=(2, 5, 9, 11)), "FREQ=YEARLY;BYMONTH=2,5,9,11;BYDAY=2TU"),
    (rules.PRESET_MONTHS, Recurrence("yearly", monthly_mode="date", bymonth=(3, 10), bymonthday=12),
     "FREQ=YEARLY;BYMONTH=3,10;BYMONTHDAY=12"),
    (rules.PRESET_YEARLY, Recurrence("yearly"), "FREQ=YEARLY"),
    (rules.PRESET_YEARLY, Recurrence("yearly", monthly_mode="weekday", bysetpos=1, byweekday=2, bymonth=(3,)),
     "FREQ=YEARLY;BYMONTH=3;BYDAY=1WE"),
    (rules.PRESET_WEEKLY, Recurrence("weekly", count=10), "FREQ=WEEKLY;COUNT=10"),
    (rules.PRESET_MONTHLY_DATE, Recurrence("monthly", monthly_mode="date", until=date(2026, 12, 31)),
     "FREQ=MONTHLY;UNTIL=20261231T235959"),
]


@pytest.mark.parametrize(("preset", "rec", "text"), PRESETS)
def test_every_preset_round_trips_through_rrule_text(preset: str, rec: Recurrence, text: str) -> None:
    assert rules.to_rrule(rec) == text
    assert rules.from_rrule(text) == rec
    assert rules.from_rrule("RRULE:" + text) == rec
    assert rules.preset_of(rec) == preset


def test_bysetpos_of_a_monthly_rule_reads_as_the_ordinal_weekday() -> None:
    rec = rules.from_rrule("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2")
    assert rec == Recurrence("monthly", monthly_mode="weekday", bysetpos=2, byweekday=1)
    assert rules.to_rrule(rec) == "FREQ=MONTHLY;BYDAY=2TU"
    last = rules.from_rrule("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1")
    assert rules.to_rrule(last) == "FREQ=MONTHLY;BYDAY=-1FR"


def test_quarterly_on_the_second_tuesday() -> None:
    start = datetime(2026, 3, 10, 10, 0)  # the 2nd Tuesday of March 2026
    dates = rules.rule_dates(start, "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU", start, datetime(2027, 4, 1))
    assert dates == [datetime(2026, 3, 10, 10), datetime(2026, 6, 9, 10), datetime(2026, 9, 8, 10),
                     datetime(2026, 12, 8, 10), datetime(2027, 3, 9, 10)]
    assert all(d.weekday() == 1 and 8 <= d.day <= 14 for d in dates)


def test_chosen_months_count_the_weekday_within_each_month() -> None:
    start = datetime(2026, 2, 10, 13, 0)
    dates = rules.rule_dates(start, "FREQ=YEARLY;BYMONTH=2,5,9,11;BYDAY=2TU", start, datetime(2027, 1, 1))
    assert dates == [datetime(2026, 2, 10, 13), datetime(2026, 5, 12, 13), datetime(2026, 9, 8, 13),
                     datetime(2026, 11, 10, 13)]


def test_last_friday() -> None:
    start = datetime(2026, 1, 30, 9, 0)
    dates = rules.rule_dates(start, "FREQ=MONTHLY;BYDAY=-1FR", start, datetime(2026, 6, 1))
    assert [d.date() for d in dates] == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27),
                                         date(2026, 4, 24), date(2026, 5, 29)]


def test_count_and_until_end_the_series() -> None:
    start = datetime(2026, 1, 5, 10, 0)
    far = datetime(2030, 1, 1)
    assert len(rules.rule_dates(start, "FREQ=WEEKLY;COUNT=3", start, far)) == 3
    until = rules.to_rrule(Recurrence("weekly", until=date(2026, 1, 19)))
    assert rules.rule_dates(start, until, start, far)[-1] == datetime(2026, 1, 19, 10)  # the end day included
    # A UTC UNTIL (as RFC 5545 wants with a TZID start, e.g. imported) ends at the same local occurrence.
    assert rules.rule_dates(start, "FREQ=WEEKLY;UNTIL=20260119T080000Z", start, far)[-1] == datetime(2026, 1, 19, 10)


def test_the_window_is_half_open() -> None:
    start = datetime(2026, 1, 5, 10, 0)
    assert rules.rule_dates(start, "FREQ=WEEKLY", datetime(2026, 1, 12, 10), datetime(2026, 1, 19, 10)) == [
        datetime(2026, 1, 12, 10)]
    assert rules.rule_dates(start, None, start, datetime(2026, 1, 6)) == [start]
    assert rules.rule_dates(start, None, datetime(2026, 1, 6), datetime(2026, 2, 1)) == []


def test_weekly_series_keeps_its_wall_clock_time_across_dst() -> None:
    start = datetime(2026, 3, 23, 10, 0)  # DST starts 29.3.2026, ends 25.10.2026
    dates = rules.rule_dates(start, "FREQ=WEEKLY", start, datetime(2026, 11, 1))
    assert all((d.hour, d.minute) == (10, 0) for d in dates)
    helsinki = ZoneInfo("Europe/Helsinki")
    offsets = {d.replace(tzinfo=helsinki).utcoffset().total_seconds() / 3600 for d in dates}  # type: ignore[union-attr]
    assert offsets == {2.0, 3.0}  # the UTC time changes, the local one does not


@pytest.mark.parametrize(("rec", "message"), [
    (Recurrence("weekly", interval=0), "interval"),
    (Recurrence("weekly", count=3, until=date(2027, 1, 1)), "not both"),
    (Recurrence("weekly", count=0), "number of meetings"),
    (Recurrence("yearly", monthly_mode="date"), "at least one month"),
    (Recurrence("monthly", monthly_mode="weekday", byweekday=1), "which weekday"),
    (Recurrence("monthly", monthly_mode="weekday", bysetpos=5, byweekday=1), "which weekday"),
    (Recurrence("monthly"), "date or on a weekday"),
    (Recurrence("monthly", monthly_mode="date", bymonth=(1,)), "chosen months"),
    (Recurrence("yearly", monthly_mode="date", bymonth=(13,)), "valid months"),
    (Recurrence("daily"), "how often"),
])
def test_invalid_rules_raise_a_message_for_the_form(rec: Recurrence, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules.to_rrule(rec)


def test_until_before_the_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before the first meeting"):
        rules.validate(Recurrence("weekly", until=date(2026, 1, 1)), date(2026, 2, 1))


@pytest.mark.parametrize("text", ["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=MONTHLY;BYDAY=TU",
                                  "FREQ=WEEKLY;BYHOUR=9", "FREQ=MONTHLY;BYDAY=2TU;BYSETPOS=1", "nonsense",
                                  "FREQ=MONTHLY;INTERVAL=x", "FREQ=WEEKLY;FREQ=MONTHLY"])
def test_rules_the_editor_cannot_show_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        rules.from_rrule(text)


def test_unusable_rrule_text_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        rules.check_rrule(datetime(2026, 1, 1, 10), "FREQ=SOMETIMES")


def test_occurrence_keys() -> None:
    assert rules.occurrence_key(datetime(2026, 3, 10, 10, 0)) == "20260310T1000"
    assert rules.parse_occurrence_key("20260310T1000") == datetime(2026, 3, 10, 10, 0)
    for bad in ("", "20261310T1000", "2026031T10000", "20260310T2500", "20260310 1000", "x" * 13, "20260310T1000\n"):
        assert rules.parse_occurrence_key(bad) is None


def test_finnish_holidays() -> None:
    assert rules.finnish_holiday(date(2026, 12, 6)) == "Itsenäisyyspäivä"
    assert rules.finnish_holiday(date(2026, 12, 6), "en") == "Independence Day"
    assert rules.finnish_holiday(date(2026, 4, 6), "en") == "Easter Monday"
    assert rules.finnish_holiday(date(2026, 6, 19), "en") == "Midsummer Eve"
    assert rules.finnish_holiday(date(2026, 6, 19), "sv") == "Midsommarafton"
    assert rules.finnish_holiday(date(2026, 6, 17)) is None
    assert rules.finnish_holiday(datetime(2026, 12, 6, 10)) == "Itsenäisyyspäivä"


def test_holiday_conflicts_and_the_next_working_day() -> None:
    start = datetime(2026, 1, 6, 10, 0)
    found = rules.holiday_conflicts(start, "FREQ=MONTHLY", datetime(2027, 1, 1), "en")
    assert found == [(datetime(2026, 1, 6, 10), "Epiphany"), (datetime(2026, 4, 6, 10), "Easter Monday"),
                     (datetime(2026, 12, 6, 10), "Independence Day")]
    assert rules.next_working_day(date(2026, 4, 3)) == date(2026, 4, 7)  # Good Friday → over Easter
    assert rules.moved_to_working_day(datetime(2026, 12, 24, 10)) == datetime(2026, 12, 28, 10)
    assert rules.moved_to_working_day(datetime(2026, 6, 19, 9, 30)) == datetime(2026, 6, 22, 9, 30)


def test_first_date_synchronises_the_start_with_the_rule() -> None:
    assert rules.first_date(datetime(2026, 3, 1, 10), "FREQ=MONTHLY;BYDAY=2TU") == datetime(2026, 3, 10, 10)
    assert rules.first_date(datetime(2026, 3, 1, 10), None) == datetime(2026, 3, 1, 10)


def test_end_rule_before_ends_the_day_before() -> None:
    ended = rules.end_rule_before("FREQ=MONTHLY;BYDAY=2TU;COUNT=20", datetime(2026, 6, 9, 10))
    assert ended == "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20260608T235959"
    start = datetime(2026, 3, 10, 10)
    assert rules.rule_dates(start, ended, start, datetime(2027, 1, 1)) == [datetime(2026, 3, 10, 10),
                                                                           datetime(2026, 4, 14, 10),
                                                                           datetime(2026, 5, 12, 10)]
    assert rules.from_rrule(ended).until == date(2026, 6, 8)


def test_describe_in_english(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        assert rules.describe(None) == "A single meeting"
        assert rules.describe(Recurrence("monthly", interval=3, monthly_mode="weekday", bysetpos=2, byweekday=1,
                                         count=4)) == "Every 3 months on the 2nd Tuesday, 4 times"
        assert rules.describe(Recurrence("yearly", monthly_mode="weekday", bysetpos=-1, byweekday=4,
                                         bymonth=(2, 5))) == "2 times a year, in February, May on the last Friday"
        assert rules.describe(Recurrence("weekly", until=date(2026, 12, 31))) == "Every week, until 31.12.2026"
        assert rules.describe_rrule("FREQ=DAILY") == "Custom recurrence (FREQ=DAILY)"


def test_describe_names_the_day_taken_from_the_first_meeting(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        assert rules.describe_rrule("FREQ=MONTHLY", datetime(2026, 3, 10, 10)) == "Every month on day 10"
        assert rules.describe_rrule("FREQ=WEEKLY;INTERVAL=2", datetime(2026, 3, 10, 10)) == \
            "Every 2 weeks on Tuesday"
        assert rules.describe_rrule("FREQ=YEARLY;COUNT=3", datetime(2026, 3, 10, 10)) == \
            "Every year on 10.3., 3 times"
