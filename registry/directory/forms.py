"""Directory forms: partners, contacts, liaison roles, merging."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from ..admin.forms import CheckboxList
from ..core.forms import strip
from ..core.queries import MAX_ID
from .models import (
    CATEGORY_LABELS,
    LEVEL_LABELS,
    SIDE_LABELS,
    SUBJECT_LABELS,
    SUITABILITY_LABELS,
    ContactKind,
    LiaisonSide,
    LiaisonSubject,
)

KIND_LABELS = {ContactKind.PERSON: _l("Person"), ContactKind.MAILBOX: _l("Theme or task mailbox")}
ROLE_SUBJECTS = (LiaisonSubject.PARTNER, LiaisonSubject.THEME, LiaisonSubject.PROJECT)  # more come with their modules
NONE = SelectChoice(0, "—")


def _web_address(value: Any) -> Any:
    """A web site typed without a scheme (www.example.fi) gets https:// in front."""
    value = strip(value)
    if value and "://" not in value:
        return f"https://{value}"
    return value


def _http_url(_form: Any, field: Any) -> None:
    value = field.data or ""
    scheme, _sep, rest = value.partition("://")
    host = rest.split("/", 1)[0]
    if scheme.lower() not in {"http", "https"} or "." not in host or any(c.isspace() for c in value):
        raise ValidationError(_l("Give a web address such as https://www.example.fi."))


class PartnerForm(FlaskForm):
    name_fi = StringField(_l("Name in Finnish"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    name_sv = StringField(_l("Name in Swedish"), filters=[strip], validators=[Optional(), Length(max=300)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[Optional(), Length(max=300)])
    business_id = StringField(_l("Business ID"), filters=[strip], validators=[Optional(), Length(max=20)])
    category = SelectField(_l("Category"), choices=[SelectChoice(k.value, v) for k, v in CATEGORY_LABELS.items()])
    legal_form = StringField(_l("Legal form"), filters=[strip], validators=[Optional(), Length(max=100)])
    level = SelectField(_l("Level"), choices=[SelectChoice(k.value, v) for k, v in LEVEL_LABELS.items()])
    regions = CheckboxList(_l("Wellbeing services counties served"), coerce=int, validators=[Optional()])
    themes = CheckboxList(_l("Themes"), coerce=int, validators=[Optional()])
    website = StringField(_l("Web site"), filters=[_web_address], validators=[Optional(), Length(max=500), _http_url])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])
    suitability_checked_on = DateField(_l("Suitability checked on"), validators=[Optional()])
    suitability_checked_by = StringField(_l("Suitability checked by"), filters=[strip],
                                         validators=[Optional(), Length(max=200)])
    suitability_outcome = SelectField(_l("Outcome of the suitability check"),
                                      choices=[SelectChoice("", "—")]
                                      + [SelectChoice(k.value, v) for k, v in SUITABILITY_LABELS.items()])
    suitability_notes = TextAreaField(_l("Notes on the suitability check"), validators=[Optional(), Length(max=10_000)])
    confirm_similar = BooleanField(_l("Create anyway: this is not the same organisation"))


class ContactForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()])
    partner = SelectField(_l("Partner"), coerce=int, validators=[Optional()])
    unit = SelectField(_l("Rise unit"), coerce=int, validators=[Optional()])
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Title"), filters=[strip], validators=[Optional(), Length(max=200)])
    email = EmailField(_l("E-mail address"), filters=[strip], validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Optional(), Length(max=40)])
    mobile = StringField(_l("Mobile phone"), filters=[strip], validators=[Optional(), Length(max=40)])
    keywords = TextAreaField(_l("Competence keywords"), validators=[Optional(), Length(max=2000)])
    public = BooleanField(_l("Show in the public directory"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])

    def validate(self, extra_validators: Any = None) -> bool:
        """The field checks, then: exactly one organisation; a mailbox needs its address."""
        ok = super().validate(extra_validators)
        if not self.partner.errors and not self.unit.errors and bool(self.partner.data) == bool(self.unit.data):
            self.partner.errors = [*self.partner.errors,
                                   _l("Choose either a partner or a Rise unit (exactly one of them).")]
            ok = False
        if self.kind.data == ContactKind.MAILBOX.value and not self.email.data and not self.email.errors:
            self.email.errors = [*self.email.errors, _l("A mailbox needs its e-mail address.")]
            ok = False
        return ok


class RoleForm(FlaskForm):
    subject = SelectField(_l("Liaison for"), choices=[SelectChoice(s.value, SUBJECT_LABELS[s]) for s in ROLE_SUBJECTS])
    side = SelectField(_l("Side"), choices=[SelectChoice(k.value, v) for k, v in SIDE_LABELS.items()])
    partner = SelectField(_l("Partner"), coerce=int, validators=[Optional()])
    theme = SelectField(_l("Theme"), coerce=int, validators=[Optional()])
    project = StringField(_l("Project"), filters=[strip], validators=[Optional(), Length(max=300)])
    valid_from = DateField(_l("From"), validators=[Optional()])
    valid_to = DateField(_l("Until"), validators=[Optional()])


class PartnerLiaisonForm(FlaskForm):
    contact = SelectField(_l("Contact"), coerce=int, validators=[DataRequired(message=_l("Choose the contact."))])
    side = SelectField(_l("Side"), choices=[SelectChoice(k.value, v) for k, v in SIDE_LABELS.items()],
                       default=LiaisonSide.RISE.value)
    valid_from = DateField(_l("From"), validators=[Optional()])
    valid_to = DateField(_l("Until"), validators=[Optional()])


class EndRoleForm(FlaskForm):
    valid_to = DateField(_l("End date"), validators=[Optional()])


def _partner_number(_form: Any, field: Any) -> None:
    if field.data is not None and not 0 < field.data <= MAX_ID:
        raise ValidationError(_l("No partner has this number."))


class MergeForm(FlaskForm):
    duplicate = IntegerField(_l("Number of the duplicate partner"), validators=[
        InputRequired(message=_l("Give the number of the duplicate partner.")), _partner_number])
