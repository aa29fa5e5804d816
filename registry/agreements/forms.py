"""Agreement forms: the agreement itself, a lifecycle step, an amendment or new version, a liaison."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..admin.forms import CheckboxList
from ..core.forms import strip
from ..directory.models import SIDE_LABELS
from . import rules
from .models import KIND_LABELS, LEVEL_LABELS, RELATION_LABELS, RENEWAL_LABELS, STATUS_LABELS, AgreementStatus

NONE = SelectChoice(0, "—")
MAX_MONTHS = 1200
MAX_DAYS = 3650


def _months(label: Any) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=1, max=MAX_MONTHS,
                                                                   message=_l("Give a number from 1 to 1200."))])


class AgreementForm(FlaskForm):
    name_fi = StringField(_l("Name in Finnish"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    name_sv = StringField(_l("Name in Swedish"), filters=[strip], validators=[Optional(), Length(max=300)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[Optional(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()])
    level = SelectField(_l("Level"), choices=[SelectChoice(k.value, v) for k, v in LEVEL_LABELS.items()])
    status = SelectField(_l("Status"), choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in
                                                (AgreementStatus.PLANNED, AgreementStatus.IN_PREPARATION)])
    owner_unit = SelectField(_l("Owner unit"), coerce=int,
                             validators=[DataRequired(message=_l("Choose the Rise unit that owns the agreement."))])
    centres = CheckboxList(_l("Sanction centres"), coerce=int, validators=[Optional()])
    regions = CheckboxList(_l("Wellbeing services counties"), coerce=int, validators=[Optional()])
    counterpart_kind = SelectField(_l("Counterpart kind"), coerce=int, validators=[Optional()])
    parent = SelectField(_l("Under the national agreement"), coerce=int, validators=[Optional()])
    parties = SelectMultipleField(_l("Parties"), coerce=int, validators=[Optional()])
    dnro = StringField(_l("Diary number"), filters=[strip], validators=[Optional(), Length(max=60)])
    legal_bases = SelectMultipleField(_l("Legal bases"), coerce=int, validators=[Optional()])
    themes = CheckboxList(_l("Themes"), coerce=int, validators=[Optional()])
    signed_on = DateField(_l("Signed on"), validators=[Optional()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    renewal_type = SelectField(_l("Renewal"), choices=[SelectChoice(k.value, v) for k, v in RENEWAL_LABELS.items()])
    renewal_months = _months(_l("Renewal period (months)"))
    notice_months = IntegerField(_l("Notice period (months)"), validators=[
        Optional(), NumberRange(min=0, max=MAX_MONTHS, message=_l("Give a number from 0 to 1200."))])
    lead_time_days = IntegerField(_l("Internal lead time (days)"), validators=[
        Optional(), NumberRange(min=0, max=MAX_DAYS, message=_l("Give a number from 0 to 3650."))])
    review_on = DateField(_l("Review date"), validators=[Optional()])
    review_interval_months = _months(_l("Review interval (months)"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])
    version = HiddenField()


class TransitionForm(FlaskForm):
    to_status = SelectField(_l("New status"),
                            choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in AgreementStatus])
    signed_on = DateField(_l("Signed on"), validators=[Optional()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    superseded_by = SelectField(_l("Replaced by"), coerce=int, validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class AmendForm(FlaskForm):
    relation = SelectField(_l("What is it"), choices=[SelectChoice(k.value, v) for k, v in RELATION_LABELS.items()])
    name_fi = StringField(_l("Name in Finnish"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    name_sv = StringField(_l("Name in Swedish"), filters=[strip], validators=[Optional(), Length(max=300)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[Optional(), Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])


class LiaisonForm(FlaskForm):
    side = SelectField(_l("Side"), choices=[SelectChoice(k.value, v) for k, v in SIDE_LABELS.items()])
    contact = SelectField(_l("Contact"), coerce=int,
                          validators=[InputRequired(message=_l("Choose the contact.")),
                                      NumberRange(min=1, message=_l("Choose the contact."))])
    valid_from = DateField(_l("From"), validators=[Optional()])
    valid_to = DateField(_l("Until"), validators=[Optional()])


TRANSITION_FIELDS = {  # the fields the form for each target status shows (rules.REQUIRED); others: a note
    rules.IN_FORCE: ("signed_on", "valid_from", "valid_until", "note"),
    rules.SUPERSEDED: ("superseded_by", "note"),
    rules.TERMINATED: ("note",),
}
