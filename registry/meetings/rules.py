"""Pure meeting rules: the recurrence editor's rules as RFC 5545 RRULE text, occurrence dates, keys, holidays.

Policy §7.2 / DOMAIN §7: networks meet "with a jointly agreed meeting frequency" (weekly, monthly, quarterly,
3–4 times a year, yearly …); the yearly prosecutor and court meetings of the sanction centres use the national
agenda. DESIGN §3: "Finnish public holidays flagged when planning".

All datetimes are naive Europe/Helsinki wall-clock times (see models.py): a rule expands in wall-clock time,
so a meeting at 10:00 stays at 10:00 across the DST changes. `UNTIL` in a stored rule is written the same way
(a local wall-clock time, the end of the chosen day); an exporter with a TZID DTSTART converts it to UTC.

"The 2nd Tuesday" is written `BYDAY=2TU` (never `BYSETPOS`), because with `FREQ=YEARLY;BYMONTH=…` an ordinal
BYDAY counts within each chosen month, while BYSETPOS would count within the year. `from_rrule` still reads
`BYDAY=TU;BYSETPOS=2` of a monthly rule (imported feeds) as the same rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from babel.dates import get_day_names, get_month_names
from dateutil import rrule as du
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

HELSINKI = ZoneInfo("Europe/Helsinki")
WEEKLY, MONTHLY, YEARLY = "weekly", "monthly", "yearly"
FREQS = (WEEKLY, MONTHLY, YEARLY)
BY_DATE, BY_WEEKDAY = "date", "weekday"
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = (1, 2, 3, 4, -1)  # the editor's "1st" … "4th" and "last"
MAX_COUNT = 500
KEY_FORMAT = "%Y%m%dT%H%M"
_KEY_RE = re.compile(r"^\d{8}T\d{4}$")

# The editor's presets (series_forms.py): a name for each kind of Recurrence the editor can show.
PRESET_WEEKLY = "weekly"
PRESET_WEEKS = "every_n_weeks"
PRESET_MONTHLY_DATE = "monthly_date"
PRESET_MONTHLY_WEEKDAY = "monthly_weekday"
PRESET_QUARTERLY = "quarterly"
PRESET_MONTHS = "months"  # n times a year in chosen months
PRESET_YEARLY = "yearly"
PRESET_SINGLE = "single"  # one meeting, no rule


@dataclass(frozen=True)
class Recurrence:
    """A recurrence rule as the editor shows it (see to_rrule for the RRULE text).

    `bysetpos` is the ordinal of the weekday in the month (1..4, -1 = last) for monthly_mode "weekday";
    `bymonthday` (optional) pins the day of the month for monthly_mode "date" (default: DTSTART's day).
    """

    freq: str
    interval: int = 1
    monthly_mode: str | None = None
    bysetpos: int | None = None
    byweekday: int | None = None
    bymonth: tuple[int, ...] = ()
    until: date | None = None
    count: int | None = None
    bymonthday: int | None = None


def validate(rec: Recurrence, starts_on: date | None = None) -> None:
    """Raise ValueError with a translatable message when the rule cannot be saved (the form shows it)."""
    if rec.freq not in FREQS:
        raise ValueError(_l("Choose how often the meeting recurs."))
    if rec.interval < 1 or rec.interval > 99:
        raise ValueError(_l("The interval must be a whole number from 1 to 99."))
    if rec.count is not None and rec.until is not None:
        raise ValueError(_l("End the series either on a date or after a number of meetings, not both."))
    if rec.count is not None and not 1 <= rec.count <= MAX_COUNT:
        raise ValueError(_l("The number of meetings must be from 1 to %(max)s.", max=MAX_COUNT))
    if rec.until is not None and starts_on is not None and rec.until < starts_on:
        raise ValueError(_l("The end date is before the first meeting."))
    if any(not 1 <= m <= 12 for m in rec.bymonth) or len(set(rec.bymonth)) != len(rec.bymonth):
        raise ValueError(_l("Choose valid months."))
    if rec.freq == WEEKLY:
        if rec.monthly_mode is not None or rec.bymonth or rec.bysetpos is not None:
            raise ValueError(_l("A weekly rule has no months or ordinal weekdays."))
        if rec.byweekday is not None and not 0 <= rec.byweekday <= 6:
            raise ValueError(_l("Choose a weekday."))
        return
    if rec.freq == YEARLY and rec.monthly_mode is None and not rec.bymonth and rec.byweekday is None:
        return  # plain yearly, on the date of the first meeting
    if rec.monthly_mode not in (BY_DATE, BY_WEEKDAY):
        raise ValueError(_l("Choose whether the meeting is on a date or on a weekday of the month."))
    if rec.monthly_mode == BY_WEEKDAY:
        if rec.bysetpos not in ORDINALS:
            raise ValueError(_l("Choose which weekday of the month (1st to 4th, or last)."))
        if rec.byweekday is None or not 0 <= rec.byweekday <= 6:
            raise ValueError(_l("Choose a weekday."))
        if rec.bymonthday is not None:
            raise ValueError(_l("A rule on a weekday of the month has no day of the month."))
    else:
        if rec.bysetpos is not None or rec.byweekday is not None:
            raise ValueError(_l("A rule on a date has no weekday."))
        if rec.bymonthday is not None and not 1 <= rec.bymonthday <= 28:
            raise ValueError(_l("Choose a day of the month from 1 to 28, so that every month has it."))
    if rec.freq == MONTHLY and rec.bymonth:
        raise ValueError(_l("A monthly rule has no chosen months; use “times a year in chosen months”."))
    if rec.freq == YEARLY and not rec.bymonth:
        raise ValueError(_l("Choose at least one month."))


def to_rrule(rec: Recurrence) -> str:
    """The RFC 5545 RRULE value (without "RRULE:") of a valid rule, parts in a fixed order."""
    validate(rec)
    parts = [f"FREQ={rec.freq.upper()}"]
    if rec.interval != 1:
        parts.append(f"INTERVAL={rec.interval}")
    if rec.bymonth:
        parts.append("BYMONTH=" + ",".join(str(m) for m in sorted(rec.bymonth)))
    if rec.bymonthday is not None:
        parts.append(f"BYMONTHDAY={rec.bymonthday}")
    if rec.byweekday is not None:
        prefix = str(rec.bysetpos) if rec.monthly_mode == BY_WEEKDAY and rec.bysetpos is not None else ""
        parts.append(f"BYDAY={prefix}{DAY_CODES[rec.byweekday]}")
    if rec.count is not None:
        parts.append(f"COUNT={rec.count}")
    if rec.until is not None:
        parts.append(f"UNTIL={rec.until:%Y%m%d}T235959")
    return ";".join(parts)


def _parse_until(value: str) -> date:
    """UNTIL as the local date it ends on: a DATE, a local DATE-TIME, or a UTC DATE-TIME (…Z)."""
    try:
        if len(value) == 8:
            return datetime.strptime(value, "%Y%m%d").date()
        if value.endswith("Z"):
            utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=ZoneInfo("UTC"))
            return utc.astimezone(HELSINKI).date()
        return datetime.strptime(value, "%Y%m%dT%H%M%S").date()
    except ValueError as exc:
        raise ValueError(_l("The end date of the rule is not valid.")) from exc


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(_l("The recurrence rule is not valid.")) from exc


def from_rrule(text: str) -> Recurrence:
    """Parse RRULE text into the editor's Recurrence; ValueError for anything the editor cannot show."""
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        if not chunk:
            continue
        name, sep, value = chunk.partition("=")
        if not sep or name.upper() in parts:
            raise ValueError(_l("The recurrence rule is not valid."))
        parts[name.upper()] = value.upper()
    known = {"FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
    if set(parts) - known or parts.get("FREQ", "").lower() not in FREQS:
        raise ValueError(_l("This recurrence rule cannot be shown in the editor."))
    freq = parts["FREQ"].lower()
    bysetpos: int | None = None
    byweekday: int | None = None
    if "BYDAY" in parts:
        match = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", parts["BYDAY"])
        if match is None:
            raise ValueError(_l("This recurrence rule cannot be shown in the editor."))
        byweekday = DAY_CODES.index(match.group(2))
        if match.group(1):
            bysetpos = _int(match.group(1))
    if "BYSETPOS" in parts:
        if bysetpos is not None or freq != MONTHLY:
            raise ValueError(_l("This recurrence rule cannot be shown in the editor."))
        bysetpos = _int(parts["BYSETPOS"])
    bymonth = tuple(sorted(_int(m) for m in parts["BYMONTH"].split(","))) if "BYMONTH" in parts else ()
    bymonthday = _int(parts["BYMONTHDAY"]) if "BYMONTHDAY" in parts else None
    mode: str | None = None
    if freq != WEEKLY:
        if bysetpos is not None or byweekday is not None:
            mode = BY_WEEKDAY
        elif freq == MONTHLY or bymonth or bymonthday is not None:
            mode = BY_DATE
    if mode == BY_WEEKDAY and bysetpos is None:
        raise ValueError(_l("This recurrence rule cannot be shown in the editor."))
    rec = Recurrence(
        freq=freq, interval=_int(parts.get("INTERVAL", "1")), monthly_mode=mode, bysetpos=bysetpos,
        byweekday=byweekday, bymonth=bymonth, until=_parse_until(parts["UNTIL"]) if "UNTIL" in parts else None,
        count=_int(parts["COUNT"]) if "COUNT" in parts else None, bymonthday=bymonthday)
    validate(rec)
    return rec


def preset_of(rec: Recurrence | None) -> str:
    """Which of the editor's presets shows this rule (PRESET_SINGLE for no rule)."""
    if rec is None:
        return PRESET_SINGLE
    if rec.freq == WEEKLY:
        return PRESET_WEEKLY if rec.interval == 1 else PRESET_WEEKS
    if rec.freq == MONTHLY:
        if rec.interval == 3:
            return PRESET_QUARTERLY
        return PRESET_MONTHLY_DATE if rec.monthly_mode == BY_DATE else PRESET_MONTHLY_WEEKDAY
    if rec.bymonth and (len(rec.bymonth) > 1 or rec.interval != 1):
        return PRESET_MONTHS
    return PRESET_YEARLY


def to_local(value: datetime) -> datetime:
    """A datetime as naive Helsinki wall-clock time (aware values are converted)."""
    return value.astimezone(HELSINKI).replace(tzinfo=None) if value.tzinfo else value


@lru_cache(maxsize=4096)
def _compiled(starts_at: datetime, text: str) -> du.rrule:
    """A parsed rule (cached: calendars expand the same series again and again)."""
    # A UTC UNTIL (imported feeds) is turned into the local wall-clock time the naive DTSTART needs.
    def local_until(match: re.Match[str]) -> str:
        utc = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo("UTC"))
        return f"UNTIL={to_local(utc):%Y%m%dT%H%M%S}"

    text = re.sub(r"UNTIL=(\d{8}T\d{6})Z", local_until, text.upper().removeprefix("RRULE:"))
    text = re.sub(r"UNTIL=(\d{8})(?=;|$)", r"UNTIL=\1T235959", text)
    try:
        parsed = du.rrulestr(text, dtstart=starts_at, cache=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(_l("The recurrence rule is not valid.")) from exc
    if not isinstance(parsed, du.rrule):
        raise ValueError(_l("The recurrence rule is not valid."))
    return parsed


def check_rrule(starts_at: datetime, text: str) -> None:
    """Raise ValueError when dateutil cannot expand the RRULE text from this start."""
    _compiled(starts_at, text)


def rule_dates(starts_at: datetime, rrule: str | None, start: datetime, end: datetime) -> list[datetime]:
    """Occurrence starts (naive Helsinki) generated by the rule with `start <= dt < end`.

    A single meeting (`rrule` None) occurs once, at `starts_at`. Aware bounds are converted to Helsinki time.
    """
    start, end = to_local(start), to_local(end)
    if rrule is None:
        return [starts_at] if start <= starts_at < end else []
    if end <= start:
        return []
    return [dt for dt in _compiled(starts_at, rrule).between(start, end, inc=True) if dt < end]


def first_date(starts_at: datetime, rrule: str | None) -> datetime | None:
    """The first occurrence the rule generates on or after `starts_at` (DTSTART must be one, RFC 5545)."""
    if rrule is None:
        return starts_at
    return _compiled(starts_at, rrule).after(starts_at, inc=True)


def last_date_before(starts_at: datetime, rrule: str | None, before: datetime) -> datetime | None:
    """The last generated occurrence strictly before `before` (None if there is none)."""
    if rrule is None:
        return starts_at if starts_at < before else None
    return _compiled(starts_at, rrule).before(before, inc=False)


def end_rule_before(rrule_text: str, before: datetime) -> str:
    """The rule with UNTIL at the end of the day before `before` (COUNT dropped): ends a series "from this on".

    The editor's rules have at most one occurrence a day, so the day before is "just before that occurrence",
    and the UNTIL stays a whole day the editor can show.
    """
    kept = [part for part in rrule_text.removeprefix("RRULE:").split(";")
            if part and part.split("=", 1)[0].upper() not in ("UNTIL", "COUNT")]
    return ";".join([*kept, f"UNTIL={before.date() - timedelta(days=1):%Y%m%d}T235959"])


def occurrence_key(dt: datetime) -> str:
    """The occurrence's key in URLs: its recurrence id as %Y%m%dT%H%M (e.g. 20260310T1000)."""
    return dt.strftime(KEY_FORMAT)


def parse_occurrence_key(key: str) -> datetime | None:
    """The recurrence id of an occurrence key, or None when the key is not one."""
    if not _KEY_RE.fullmatch(key):
        return None
    try:
        return datetime.strptime(key, KEY_FORMAT)
    except ValueError:
        return None


_HOLIDAY_LANGUAGES = {"fi": "fi", "sv": "sv_FI", "en": "en_US"}


@lru_cache(maxsize=256)
def _holidays(year: int, language: str) -> dict[date, str]:
    return dict(holidays.Finland(years=year, language=_HOLIDAY_LANGUAGES.get(language, "fi")).items())


def finnish_holiday(d: date, language: str = "fi") -> str | None:
    """The name of the Finnish public holiday on this date (in fi, sv or en), or None (`holidays.Finland`)."""
    if isinstance(d, datetime):
        d = d.date()
    return _holidays(d.year, language).get(d)


def next_working_day(d: date) -> date:
    """The next day after `d` that is neither a weekend day nor a Finnish public holiday."""
    d += timedelta(days=1)
    while d.weekday() >= 5 or finnish_holiday(d) is not None:
        d += timedelta(days=1)
    return d


def holiday_conflicts(starts_at: datetime, rrule: str | None, horizon: datetime,
                      language: str = "fi") -> list[tuple[datetime, str]]:
    """Generated occurrences up to `horizon` that fall on a Finnish public holiday, with the holiday's name."""
    found = []
    for dt in rule_dates(starts_at, rrule, starts_at, horizon):
        name = finnish_holiday(dt.date(), language)
        if name is not None:
            found.append((dt, name))
    return found


def moved_to_working_day(dt: datetime) -> datetime:
    """The same wall-clock time on the next working day (the editor's "move to the next working day")."""
    return datetime.combine(next_working_day(dt.date()), time(dt.hour, dt.minute))


def _locale() -> str:
    locale = get_locale()
    return str(locale) if locale is not None else "en"  # outside a request gettext gives the English msgids


def _ordinal(n: int) -> str:
    return {1: gettext("1st"), 2: gettext("2nd"), 3: gettext("3rd"), 4: gettext("4th"),
            -1: gettext("last")}.get(n, str(n))


def describe(rec: Recurrence | None, starts_on: date | None = None) -> str:
    """The rule in words in the UI language, e.g. "Every 3 months on the 2nd Tuesday, 4 times".

    With the first meeting's date, a rule that takes its day from it names that day.
    """
    if rec is None:
        return gettext("A single meeting")
    locale = _locale()
    days = get_day_names("wide", context="stand-alone", locale=locale)
    months = get_month_names("wide", context="stand-alone", locale=locale)
    on = ""
    if rec.monthly_mode == BY_WEEKDAY and rec.bysetpos is not None and rec.byweekday is not None:
        on = gettext("on the %(ordinal)s %(weekday)s", ordinal=_ordinal(rec.bysetpos),
                     weekday=days[rec.byweekday])
    elif rec.bymonthday is not None:
        on = gettext("on day %(day)s", day=rec.bymonthday)
    elif rec.monthly_mode == BY_DATE and starts_on is not None and rec.freq == MONTHLY:
        on = gettext("on day %(day)s", day=starts_on.day)
    elif rec.monthly_mode == BY_DATE:
        on = gettext("on the date of the first meeting")
    elif rec.freq == WEEKLY and (rec.byweekday is not None or starts_on is not None):
        weekday = rec.byweekday if rec.byweekday is not None else starts_on.weekday()  # type: ignore[union-attr]
        on = gettext("on %(weekday)s", weekday=days[weekday])
    elif rec.freq == YEARLY and starts_on is not None:
        on = gettext("on %(date)s", date=f"{starts_on.day}.{starts_on.month}.")
    if rec.freq == WEEKLY:
        text = gettext("Every week") if rec.interval == 1 else gettext("Every %(num)s weeks", num=rec.interval)
    elif rec.freq == MONTHLY:
        text = gettext("Every month") if rec.interval == 1 else gettext("Every %(num)s months", num=rec.interval)
    elif rec.bymonth and (len(rec.bymonth) > 1 or rec.interval != 1):
        names = ", ".join(months[m] for m in rec.bymonth)
        text = ngettext("%(num)s time a year, in %(months)s", "%(num)s times a year, in %(months)s",
                        len(rec.bymonth), months=names)
        if rec.interval != 1:
            text += " " + gettext("every %(num)s years", num=rec.interval)
    else:
        text = gettext("Every year") if rec.interval == 1 else gettext("Every %(num)s years", num=rec.interval)
        if rec.bymonth:
            text += " " + gettext("in %(month)s", month=months[rec.bymonth[0]])
    if on:
        text += " " + on
    if rec.count is not None:
        text += ", " + (gettext("once") if rec.count == 1 else gettext("%(num)s times", num=rec.count))
    elif rec.until is not None:
        text += ", " + gettext("until %(date)s", date=f"{rec.until.day}.{rec.until.month}.{rec.until.year}")
    return text


def describe_rrule(text: str | None, starts_at: datetime | None = None) -> str:
    """The stored RRULE text in words; rules the editor cannot show are described as custom."""
    if text is None:
        return describe(None)
    try:
        return describe(from_rrule(text), starts_at.date() if starts_at is not None else None)
    except ValueError:
        return gettext("Custom recurrence (%(rule)s)", rule=text)
