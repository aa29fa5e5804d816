"""Forms of the protection pages: erasing records past their retention date, new policy-parameter versions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp, ValidationError

from ..core.forms import strip

MAX_YEARS = 10  # waiting and retention periods: the policy speaks of 2–3 years; more is surely a typing error


class EraseForm(FlaskForm):
    """Erase the chosen records (or every expired one) after an explicit confirmation."""

    person = SelectMultipleField(_l("Records to erase"), coerce=int, validate_choice=False)
    everything = BooleanField(_l("Erase every record past its retention date (also those on other pages)"))
    confirm = BooleanField(_l("I understand that the erased records, their documents and the personal data in "
                              "their audit history cannot be restored."),
                           validators=[DataRequired(message=_l("Confirm the erasure."))])

    def validate_person(self, field: Any) -> None:
        if not field.data and not self.everything.data:
            raise ValidationError(_l("Choose at least one record."))


class ParametersForm(FlaskForm):
    """A new version of the waiting periods and the retention period."""

    version = StringField(_l("Version"), filters=[strip], validators=[
        DataRequired(), Length(max=32),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message=_l("Use letters, digits, dots, hyphens and underscores."))])
    effective_from = DateField(_l("In force from"), validators=[DataRequired(message=_l("Enter a valid date."))])
    waiting_years = IntegerField(_l("Waiting period (years)"), validators=[
        InputRequired(message=_l("Enter a whole number of years.")), NumberRange(min=1, max=MAX_YEARS)])
    paired_waiting_years = IntegerField(_l("Waiting period in close pair work (years)"), validators=[
        InputRequired(message=_l("Enter a whole number of years.")), NumberRange(min=1, max=MAX_YEARS)])
    retention_years = IntegerField(_l("Retention period after the last assignment (years)"), validators=[
        InputRequired(message=_l("Enter a whole number of years.")), NumberRange(min=1, max=MAX_YEARS)])
    source = TextAreaField(_l("Source"), filters=[strip], validators=[DataRequired(), Length(max=2000)])

    def validate_paired_waiting_years(self, field: Any) -> None:
        waiting = self.waiting_years.data
        if field.data is not None and isinstance(waiting, int) and field.data > waiting:
            # policy §10.3: pair work shortens the period, it never lengthens it
            raise ValidationError(_l("The waiting period in pair work cannot be longer than the normal waiting "
                                     "period."))
