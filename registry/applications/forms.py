"""Working-group forms: corrections, status steps, meetings and agendas, reviewers, conflicts of interest,
reviews, criteria versions, the statement, the decision and the funding outcome."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from ..admin.forms import CheckboxList
from ..core.forms import strip
from ..directory.rules import normalise_business_id
from ..i18n import LANGUAGE_NAMES
from .models import APPLICANT_FORM_LABELS, FUNDER_LABELS, FUNDING_LABELS, STATEMENT_LABELS

NONE = SelectChoice(0, "—")
LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]


def _business_id(form: Any, field: Any) -> None:
    if field.data and normalise_business_id(field.data) is None:
        raise ValidationError(_l("Give a valid business ID such as 1234567-8."))


class ApplicationForm(FlaskForm):
    dnro = StringField(_l("Diary number"), filters=[strip], validators=[Optional(), Length(max=60)])
    units = CheckboxList(_l("Rise units with planned cooperation"), coerce=int,
                         validators=[DataRequired(message=_l("Choose at least one Rise unit (policy §8.2)."))])
    themes = CheckboxList(_l("Themes"), coerce=int, validators=[Optional()])
    organisation_name = StringField(_l("Organisation"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    business_id = StringField(_l("Business ID"), filters=[strip],
                              validators=[Optional(), Length(max=20), _business_id])
    applicant_form = SelectField(_l("Legal form"),
                                 choices=[SelectChoice(k.value, v) for k, v in APPLICANT_FORM_LABELS.items()])
    contact_name = StringField(_l("Contact person"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField(_l("Contact e-mail address"), filters=[strip],
                               validators=[DataRequired(), Email(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), filters=[strip], validators=[Optional(), Length(max=20)])
    address = TextAreaField(_l("Postal address"), validators=[Optional(), Length(max=1000)])
    project_name = StringField(_l("Project"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[DataRequired(), Length(max=20_000)])
    need = TextAreaField(_l("Need for the activity"), validators=[Optional(), Length(max=10_000)])
    target_groups = TextAreaField(_l("Target groups"), validators=[Optional(), Length(max=5000)])
    planned_start = DateField(_l("Planned start"), validators=[Optional()])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])
    funder = SelectField(_l("Funder"), choices=[SelectChoice(k.value, v) for k, v in FUNDER_LABELS.items()])
    funder_other = StringField(_l("Other funder"), filters=[strip], validators=[Optional(), Length(max=200)])
    funding_round = StringField(_l("Funding round"), filters=[strip], validators=[Optional(), Length(max=100)])
    prison_work = BooleanField(_l("Involves prison work"))
    e_services = BooleanField(_l("Involves e-services"))
    language = SelectField(_l("Applicant's language"), choices=LANGUAGE_CHOICES)


class StepForm(FlaskForm):
    step = HiddenField()
    note = TextAreaField(_l("Reason or note"), validators=[Optional(), Length(max=2000)])


class MeetingForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Give the date."))])
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])


class AgendaAddForm(FlaskForm):
    applications = CheckboxList(_l("Pending applications"), coerce=int,
                                validators=[DataRequired(message=_l("Choose at least one application."))])


def agenda_order_form(items: list[tuple[int, str]], formdata: Any = None) -> FlaskForm:
    """A form with one position field (`position_<id>`) for each (application id, reference) on the agenda."""

    class AgendaOrderForm(FlaskForm):
        pass

    message = _l("Give a number from 1 to 999.")
    for application_id, reference in items:
        setattr(AgendaOrderForm, f"position_{application_id}", IntegerField(
            _l("Position of %(reference)s", reference=reference),
            validators=[InputRequired(message=message), NumberRange(min=1, max=999, message=message)]))
    return AgendaOrderForm(formdata=formdata, meta={"csrf": False})


class ReviewerForm(FlaskForm):
    user = SelectField(_l("Working-group member"), coerce=int,
                       validators=[InputRequired(message=_l("Choose a member of the working group.")),
                                   NumberRange(min=1, message=_l("Choose a member of the working group."))])


class ConflictForm(FlaskForm):
    conflict = RadioField(_l("Do you have a conflict of interest with this application?"),
                          choices=[SelectChoice("no", _l("No")), SelectChoice("yes", _l("Yes"))],
                          validators=[InputRequired(message=_l("Answer yes or no."))])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=5000)])


def review_form(criteria: list[Any], formdata: Any = None, **kwargs: Any) -> FlaskForm:
    """The review form: for each criterion `score_<id>` (radio buttons over its scale, or not scored) and
    `comment_<id>`, and the overall comment."""

    class ReviewForm(FlaskForm):
        comment = TextAreaField(_l("Overall comment"), validators=[Optional(), Length(max=10_000)])
        action = HiddenField()

    for c in criteria:
        choices = [SelectChoice("", _l("Not scored"))] + [SelectChoice(str(n), str(n))
                                                           for n in range(c.scale_min, c.scale_max + 1)]
        setattr(ReviewForm, f"score_{c.id}", RadioField(c.name(), choices=choices, default="",
                                                        validators=[Optional()]))
        setattr(ReviewForm, f"comment_{c.id}", TextAreaField(_l("Comment"), validators=[Optional(),
                                                                                         Length(max=5000)]))
    return ReviewForm(formdata=formdata, **kwargs)


class CriterionEntry(Form):
    code = StringField(_l("Code"), filters=[strip], validators=[Optional(), Length(max=40)])
    position = IntegerField(_l("Position"), validators=[Optional(), NumberRange(min=1, max=999)])
    name_fi = StringField(_l("Name in Finnish"), filters=[strip], validators=[Optional(), Length(max=200)])
    name_sv = StringField(_l("Name in Swedish"), filters=[strip], validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[Optional(), Length(max=200)])
    description_fi = TextAreaField(_l("Description in Finnish"), validators=[Optional(), Length(max=5000)])
    description_sv = TextAreaField(_l("Description in Swedish"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=5000)])
    weight = DecimalField(_l("Weight"), places=2, validators=[
        Optional(), NumberRange(min=0.01, max=1000, message=_l("Give a weight more than 0 and at most 1000."))])
    scale_min = IntegerField(_l("Lowest score"), validators=[Optional(), NumberRange(min=-100, max=100)])
    scale_max = IntegerField(_l("Highest score"), validators=[Optional(), NumberRange(min=-100, max=100)])
    required = BooleanField(_l("Required"))
    remove = BooleanField(_l("Remove"))

    def blank(self) -> bool:
        """A row with nothing typed in it (an unused row for a new criterion)."""
        return not any((self.name_fi.data, self.name_sv.data, self.name_en.data, self.code.data))


class CriteriaForm(FlaskForm):
    criteria = FieldList(FormField(CriterionEntry), min_entries=1, max_entries=40)
    note = TextAreaField(_l("What changed and why"), validators=[Optional(), Length(max=2000)])
    action = HiddenField()


class StatementForm(FlaskForm):
    kind = RadioField(_l("Statement"), choices=[SelectChoice(k.value, v) for k, v in STATEMENT_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose the statement."))])
    justification = TextAreaField(_l("Justification"), validators=[DataRequired(), Length(max=20_000)])
    conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=10_000)])
    meeting = SelectField(_l("Decided in the meeting"), coerce=int,
                          validators=[InputRequired(message=_l("Choose the meeting where the statement was decided.")),
                                      NumberRange(min=1, message=_l("Choose the meeting where the statement was "
                                                                    "decided."))])
    signatory_name = StringField(_l("Signatory's name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    signatory_title = StringField(_l("Signatory's title"), filters=[strip], validators=[Optional(), Length(max=75)])
    language = SelectField(_l("Language of the letter"), choices=LANGUAGE_CHOICES)


class DecisionForm(FlaskForm):
    decided_by = StringField(_l("Decided by"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    decided_on = DateField(_l("Decided on"), validators=[InputRequired(message=_l("Give the date."))])
    outcome = TextAreaField(_l("Outcome"), validators=[DataRequired(), Length(max=10_000)])


class FundingForm(FlaskForm):
    outcome = RadioField(_l("Funding outcome"), choices=[SelectChoice(k.value, v) for k, v in FUNDING_LABELS.items()],
                         validators=[InputRequired(message=_l("Choose the funding outcome."))])
    decided_on = DateField(_l("Date of the funding decision"), validators=[InputRequired(message=_l("Give the date."))])
    amount = DecimalField(_l("Amount (euros)"), places=2, validators=[
        Optional(), NumberRange(min=0, max=9_999_999_999, message=_l("Give an amount of 0 or more euros."))])
    unit = SelectField(_l("Rise unit of the project"), coerce=int, validators=[Optional()])
    responsible = SelectField(_l("The unit's responsible person"), coerce=int, validators=[Optional()])
