"""Portfolio forms: a project (Rise's own, or editing any), a half-yearly follow-up, the end evaluation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..admin.forms import CheckboxList
from ..core.forms import strip
from .models import FUNDER_LABELS, PROJECT_STATUS_LABELS, RECOMMENDATION_LABELS, ProjectStatus

NONE = SelectChoice(0, "—")
TEXT_MAX = 10_000


class ProjectForm(FlaskForm):
    name = StringField(_l("Project name"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=TEXT_MAX)])
    funder = SelectField(_l("Funder"), choices=[SelectChoice("", _l("No external funder"))]
                         + [SelectChoice(k.value, v) for k, v in FUNDER_LABELS.items()], default="")
    unit = SelectField(_l("Responsible Rise unit"), coerce=int, validators=[
        InputRequired(message=_l("Choose the Rise unit responsible for the project.")),
        NumberRange(min=1, message=_l("Choose the Rise unit responsible for the project."))])
    responsible = SelectField(_l("Responsible person"), coerce=int, validators=[Optional()])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[SelectChoice(s.value, PROJECT_STATUS_LABELS[s]) for s in
                                                (ProjectStatus.PLANNED, ProjectStatus.RUNNING, ProjectStatus.ENDED)])
    themes = CheckboxList(_l("Themes"), coerce=int, validators=[Optional()])


class FollowUpForm(FlaskForm):
    progress = TextAreaField(_l("Progress since the last follow-up"), filters=[strip], validators=[
        DataRequired(message=_l("Describe the progress of the project.")), Length(max=TEXT_MAX)])
    risks = TextAreaField(_l("Risks and problems"), filters=[strip], validators=[Optional(), Length(max=TEXT_MAX)])
    next_steps = TextAreaField(_l("Next steps"), filters=[strip], validators=[Optional(), Length(max=TEXT_MAX)])


class EvaluationForm(FlaskForm):
    outputs = TextAreaField(_l("Outputs of the project"), filters=[strip], validators=[
        DataRequired(message=_l("Describe the outputs of the project.")), Length(max=TEXT_MAX)])
    wider_use = TextAreaField(_l("Usability beyond the project"), filters=[strip], validators=[
        DataRequired(message=_l("Assess the outputs' usability beyond the project.")), Length(max=TEXT_MAX)])
    recommendation = SelectField(_l("Recommendation for adoption"), choices=[
        SelectChoice(k.value, v) for k, v in RECOMMENDATION_LABELS.items()], validators=[InputRequired()])
