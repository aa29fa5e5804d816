"""Forms for assignments, the unit director's decision and concerns reported by partners."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..core.forms import strip
from .labels import CLOSE_PAIR_LABELS, SETTING_LABELS
from .models import ClosePair, ConcernKind, DecisionOutcome, Setting

# The director's decision is the director's own (policy §10.3), shown beside the engine's result, never merged.
OUTCOME_LABELS = {
    DecisionOutcome.ADMIT: _l("Admit"),
    DecisionOutcome.ADMIT_WITH_CONDITIONS: _l("Admit with conditions"),
    DecisionOutcome.REFUSE: _l("Refuse"),
}
CONCERN_KIND_LABELS = {
    ConcernKind.SUSPECTED_OFFENCE: _l("Suspected offence"),
    ConcernKind.SUBSTANCE_PROBLEM: _l("Suspected problem use of substances"),
    ConcernKind.OTHER: _l("Other observation that may harm the cooperation"),
}
NONE = SelectChoice(0, "—")


class AssignmentForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=int, validators=[DataRequired(message=_l("Choose the unit."))])
    setting = SelectField(_l("Setting"), choices=[SelectChoice(s.value, SETTING_LABELS[s]) for s in Setting])
    close_pair = SelectField(_l("Close pair work"),
                             choices=[SelectChoice(p.value, CLOSE_PAIR_LABELS[p]) for p in ClosePair],
                             default=ClosePair.NONE.value)
    pair_name = StringField(_l("Name of the work pair"), filters=[strip], validators=[Optional(), Length(max=200)])
    task = StringField(_l("Task"), filters=[strip], validators=[DataRequired(message=_l("Describe the task.")),
                                                                 Length(max=300)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(message=_l("Give the start date."))])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])


class DecisionForm(FlaskForm):
    outcome = SelectField(_l("Decision"), choices=[SelectChoice("", "—")]
                          + [SelectChoice(k.value, v) for k, v in OUTCOME_LABELS.items()],
                          validators=[DataRequired(message=_l("Choose the decision."))])
    conditions = TextAreaField(_l("Conditions"), filters=[strip], validators=[Optional(), Length(max=10_000)])
    reasoning = TextAreaField(_l("Reasoning"), filters=[strip],
                              validators=[DataRequired(message=_l("Give the reasoning of the decision.")),
                                          Length(max=10_000)])


class ConcernForm(FlaskForm):
    kind = SelectField(_l("What was reported"),
                       choices=[SelectChoice(k.value, v) for k, v in CONCERN_KIND_LABELS.items()])
    reported_on = DateField(_l("Reported on"), validators=[InputRequired(message=_l("Give the date of the report."))])
    partner = SelectField(_l("Reporting partner"), coerce=int, validators=[Optional()])
    reporter_name = StringField(_l("Name of the person who reported"), filters=[strip],
                                validators=[Optional(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), filters=[strip], validators=[Optional(), Length(max=2000)])
