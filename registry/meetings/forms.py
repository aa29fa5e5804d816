"""Network forms: the network itself, a member and its liaison, the yearly evaluation, the calendar's range."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.forms import strip
from .models import CADENCE_LABELS, GOALS_MET_LABELS, LEVEL_LABELS

NONE = SelectChoice(0, "—")
MAX_YEAR = 9999


class NetworkForm(FlaskForm):
    name_fi = StringField(_l("Name in Finnish"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    name_sv = StringField(_l("Name in Swedish"), filters=[strip], validators=[Optional(), Length(max=300)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[Optional(), Length(max=300)])
    theme = SelectField(_l("Theme"), coerce=int, validators=[Optional()])
    level = SelectField(_l("Level"), choices=[SelectChoice(k.value, v) for k, v in LEVEL_LABELS.items()])
    centre = SelectField(_l("Sanction centre"), coerce=int, validators=[Optional()])
    convenor_unit = SelectField(_l("Convenor"), coerce=int,
                                validators=[DataRequired(message=_l("Choose the convening unit."))])
    facilitator_unit = SelectField(_l("Facilitator"), coerce=int, validators=[Optional()])
    cadence = SelectField(_l("Agreed cadence"), choices=[SelectChoice(k.value, v) for k, v in CADENCE_LABELS.items()])
    cadence_note = StringField(_l("About the cadence"), filters=[strip], validators=[Optional(), Length(max=300)])
    goals = TextAreaField(_l("Goals"), validators=[Optional(), Length(max=10_000)])
    active = BooleanField(_l("Active"), default=True)


class MemberForm(FlaskForm):
    partner = SelectField(_l("Partner"), coerce=int,
                          validators=[InputRequired(message=_l("Choose the partner.")),
                                      NumberRange(min=1, message=_l("Choose the partner."))])
    # The choices are the chosen partner's contacts; a contact of another partner is refused by the service with
    # its own message, so the field does not check the choice itself.
    liaison = SelectField(_l("Liaison"), coerce=int, validators=[Optional()], validate_choice=False)
    joined_on = DateField(_l("Member since"), validators=[Optional()])


class EvaluationForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(message=_l("Give the year.")),
                                                NumberRange(min=1, max=MAX_YEAR, message=_l("Give the year."))])
    goals_met = RadioField(_l("Were the goals met?"),
                           choices=[SelectChoice(k.value, v) for k, v in GOALS_MET_LABELS.items()],
                           validators=[InputRequired(message=_l("Choose whether the goals were met."))])
    results = TextAreaField(_l("Results"), validators=[Optional(), Length(max=10_000)])
    changes = TextAreaField(_l("Changes for the next year"), validators=[Optional(), Length(max=10_000)])


class RangeForm(FlaskForm):
    """The agenda list's date range (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), name="from", validators=[Optional()])
    date_to = DateField(_l("To"), name="to", validators=[Optional()])
