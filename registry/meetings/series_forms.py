"""Meeting-series forms: the series with its friendly recurrence editor, and the single-occurrence forms."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..admin.forms import CheckboxList
from ..core.forms import strip
from . import rules
from .rules import Recurrence
from .series_services import KEEP, MOVE, SKIP

PRESET_LABELS = {
    rules.PRESET_SINGLE: _l("A single meeting"),
    rules.PRESET_WEEKLY: _l("Every week"),
    rules.PRESET_WEEKS: _l("Every n weeks"),
    rules.PRESET_MONTHLY_DATE: _l("Every month on the same date"),
    rules.PRESET_MONTHLY_WEEKDAY: _l("Every month on a weekday of the month (e.g. the 2nd Tuesday)"),
    rules.PRESET_QUARTERLY: _l("Quarterly (every 3 months)"),
    rules.PRESET_MONTHS: _l("Some times a year, in the months chosen"),
    rules.PRESET_YEARLY: _l("Every year"),
}
MODE_LABELS = {rules.BY_DATE: _l("On the date of the first meeting"),
               rules.BY_WEEKDAY: _l("On a weekday of the month")}
ORDINAL_LABELS = {1: _l("1st"), 2: _l("2nd"), 3: _l("3rd"), 4: _l("4th"), -1: _l("last")}
WEEKDAY_LABELS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                  _l("Sunday")]
MONTH_LABELS = [_l("January"), _l("February"), _l("March"), _l("April"), _l("May"), _l("June"), _l("July"),
                _l("August"), _l("September"), _l("October"), _l("November"), _l("December")]
END_NEVER, END_UNTIL, END_COUNT = "never", "until", "count"
END_LABELS = {END_NEVER: _l("No end date"), END_UNTIL: _l("Until a date"), END_COUNT: _l("After a number of meetings")}
HOLIDAY_LABELS = {KEEP: _l("Hold it as planned"), SKIP: _l("Skip it"), MOVE: _l("Move it to the next working day")}
HOLIDAY_PREFIX = "holiday-"
SKIP_PREFIX = "skip-"


class FieldError(ValueError):
    """An editor error that belongs next to one field."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SeriesForm(FlaskForm):
    """A meeting series: what, when (the recurrence editor), where, agenda template and attendees."""

    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    start_date = DateField(_l("Date of the first meeting"),
                           validators=[InputRequired(message=_l("Give the date as d.m.yyyy or yyyy-mm-dd."))])
    start_time = TimeField(_l("Start time (Helsinki time)"),
                           validators=[InputRequired(message=_l("Give the time as hh:mm."))])
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=90, validators=[
        InputRequired(message=_l("Give the duration in minutes.")),
        NumberRange(min=1, max=1440, message=_l("Give a number from 1 to 1440."))])
    preset = RadioField(_l("How often"), default=rules.PRESET_SINGLE,
                        choices=[SelectChoice(k, v) for k, v in PRESET_LABELS.items()])
    interval = IntegerField(_l("Every how many weeks"), default=2, validators=[
        Optional(), NumberRange(min=1, max=99, message=_l("Give a number from 1 to 99."))])
    monthly_mode = RadioField(_l("Which day of the month"), default=rules.BY_DATE,
                              choices=[SelectChoice(k, v) for k, v in MODE_LABELS.items()])
    ordinal = SelectField(_l("Which one"), coerce=int, default=2,
                          choices=[SelectChoice(k, v) for k, v in ORDINAL_LABELS.items()])
    weekday = SelectField(_l("Weekday"), coerce=int, default=1,
                          choices=[SelectChoice(i, v) for i, v in enumerate(WEEKDAY_LABELS)])
    months = CheckboxList(_l("Months"), coerce=int, validators=[Optional()],
                          choices=[SelectChoice(i + 1, v) for i, v in enumerate(MONTH_LABELS)])
    end = RadioField(_l("Ends"), default=END_NEVER, choices=[SelectChoice(k, v) for k, v in END_LABELS.items()])
    until = DateField(_l("Last date"), validators=[Optional()])
    count = IntegerField(_l("Number of meetings"), validators=[
        Optional(), NumberRange(min=1, max=rules.MAX_COUNT, message=_l("Give a number from 1 to 500."))])
    location = StringField(_l("Location"), filters=[strip], validators=[Optional(), Length(max=300)])
    video_url = URLField(_l("Video meeting link"), filters=[strip], validators=[
        Optional(), Length(max=500), URL(require_tld=False, message=_l("Give a web address starting with https://."))])
    agenda = TextAreaField(_l("Agenda template"), filters=[strip], validators=[Optional(), Length(max=20_000)])
    liaisons = CheckboxList(_l("Liaisons of the member partners"), coerce=int, validators=[Optional()])
    contacts = SelectMultipleField(_l("Other attendees (Rise contacts)"), coerce=int, validators=[Optional()])
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def validate_video_url(self, field: Any) -> None:
        """Only web links (no javascript: or other schemes) end up in calendars."""
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Give a web address starting with https://."))

    def starts_at(self) -> datetime | None:
        """The chosen start as a naive Helsinki datetime."""
        if not isinstance(self.start_date.data, date) or not isinstance(self.start_time.data, time):
            return None
        return datetime.combine(self.start_date.data, self.start_time.data.replace(second=0, microsecond=0))

    def recurrence(self) -> Recurrence | None:
        """The rule the editor describes (None: a single meeting); ValueError names what is wrong."""
        preset = self.preset.data
        start = self.starts_at()
        if preset == rules.PRESET_SINGLE or start is None:
            return None
        until = self.until.data if self.end.data == END_UNTIL else None
        count = self.count.data if self.end.data == END_COUNT else None
        if self.end.data == END_UNTIL and until is None:
            raise FieldError("until", _l("Give the last date."))
        if self.end.data == END_COUNT and count is None:
            raise FieldError("count", _l("Give the number of meetings."))
        end: dict[str, Any] = {"until": until, "count": count}
        if preset in (rules.PRESET_WEEKLY, rules.PRESET_WEEKS):
            interval = 1 if preset == rules.PRESET_WEEKLY else self.interval.data
            if interval is None:
                raise FieldError("interval", _l("Give the number of weeks."))
            return Recurrence(rules.WEEKLY, interval=interval, **end)
        weekday = self.monthly_mode.data == rules.BY_WEEKDAY
        on: dict[str, Any] = ({"monthly_mode": rules.BY_WEEKDAY, "bysetpos": self.ordinal.data,
                               "byweekday": self.weekday.data} if weekday else {"monthly_mode": rules.BY_DATE})
        if not weekday and start.day > 28 and preset != rules.PRESET_YEARLY:
            raise FieldError("start_date", _l("Meetings on the 29th to 31st would be left out in shorter months. "
                                               "Choose a day from 1 to 28, or a weekday of the month."))
        if preset in (rules.PRESET_MONTHLY_DATE, rules.PRESET_MONTHLY_WEEKDAY, rules.PRESET_QUARTERLY):
            return Recurrence(rules.MONTHLY, interval=3 if preset == rules.PRESET_QUARTERLY else 1, **on, **end)
        if preset == rules.PRESET_MONTHS:
            months = tuple(sorted(set(self.months.data or ())))
            if not months:
                raise FieldError("months", _l("Choose at least one month."))
            if not weekday:
                on["bymonthday"] = start.day
            return Recurrence(rules.YEARLY, bymonth=months, **on, **end)
        if weekday:  # every year on e.g. the 1st Wednesday of the start's month
            return Recurrence(rules.YEARLY, bymonth=(start.month,), **on, **end)
        return Recurrence(rules.YEARLY, **end)

    def rrule(self) -> str | None:
        """The RRULE text of the editor's rule; raises FieldError with the field the message belongs to."""
        rec = self.recurrence()
        if rec is None:
            return None
        start = self.starts_at()
        try:
            rules.validate(rec, start.date() if start else None)
            return rules.to_rrule(rec)
        except ValueError as exc:
            before = rec.until is not None and start is not None and rec.until < start.date()
            raise FieldError("until" if before else "preset", exc.args[0]) from exc

    def show(self, starts_at: datetime, rrule: str | None) -> None:
        """Fill the editor from a stored start and rule (a rule it cannot show becomes a single meeting)."""
        self.start_date.data, self.start_time.data = starts_at.date(), starts_at.time()
        try:
            rec = rules.from_rrule(rrule) if rrule else None
        except ValueError:
            rec = None
        self.preset.data = rules.preset_of(rec)
        if rec is None:
            return
        if rec.freq == rules.WEEKLY:
            self.interval.data = rec.interval
        if rec.monthly_mode is not None:
            self.monthly_mode.data = rec.monthly_mode
        if rec.bysetpos is not None:
            self.ordinal.data = rec.bysetpos
        if rec.byweekday is not None:
            self.weekday.data = rec.byweekday
        self.months.data = list(rec.bymonth)
        if rec.until is not None:
            self.end.data, self.until.data = END_UNTIL, rec.until
        elif rec.count is not None:
            self.end.data, self.count.data = END_COUNT, rec.count


def holiday_choices(formdata: Any) -> dict[datetime, str]:
    """The planner's per-date choices from the submitted form: `holiday-<key>` = keep/skip/move for a meeting
    on a public holiday, `skip-<key>` = skip for any previewed meeting (the holiday choice wins)."""
    found: dict[datetime, str] = {}
    for name in formdata:
        prefix = next((p for p in (HOLIDAY_PREFIX, SKIP_PREFIX) if name.startswith(p)), None)
        if prefix is None:
            continue
        rid = rules.parse_occurrence_key(name[len(prefix):])
        choice = formdata.get(name)
        if rid is None or choice not in (KEEP, SKIP, MOVE) or (prefix == SKIP_PREFIX and rid in found):
            continue
        if prefix == HOLIDAY_PREFIX or choice == SKIP:
            found[rid] = choice
    return found


class MoveForm(FlaskForm):
    """Move one occurrence: another date, time, duration or place."""

    start_date = DateField(_l("New date"), validators=[InputRequired(message=_l("Give the date."))])
    start_time = TimeField(_l("New start time (Helsinki time)"),
                           validators=[InputRequired(message=_l("Give the time as hh:mm."))])
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[
        InputRequired(message=_l("Give the duration in minutes.")),
        NumberRange(min=1, max=1440, message=_l("Give a number from 1 to 1440."))])
    location = StringField(_l("Location"), filters=[strip], validators=[Optional(), Length(max=300)])
    video_url = URLField(_l("Video meeting link"), filters=[strip], validators=[
        Optional(), Length(max=500), URL(require_tld=False, message=_l("Give a web address starting with https://."))])

    def validate_video_url(self, field: Any) -> None:
        """Only web links end up in calendars."""
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Give a web address starting with https://."))

    def starts_at(self) -> datetime:
        """The new start as a naive Helsinki datetime (after validation)."""
        return datetime.combine(self.start_date.data, self.start_time.data.replace(second=0, microsecond=0))


class AgendaForm(FlaskForm):
    """The agenda of one occurrence (empty: the series' agenda template)."""

    agenda = TextAreaField(_l("Agenda"), filters=[strip], validators=[Optional(), Length(max=20_000)])


class MinutesForm(FlaskForm):
    """The minutes of one occurrence as text, and a PDF attachment."""

    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=100_000)])
    document = FileField(_l("Attach a PDF (minutes, presentation …)"))
