"""The public application form (no account) and its bot protection without a third-party service.

Bots are refused by two signals, both giving the same neutral message and storing nothing:
- a honeypot field (`website`) people never see or fill (visually hidden, labelled "leave empty", not in the
  tab order, no autofill);
- a signed timestamp (`form_token`, itsdangerous with the application's secret) issued with the page: a form
  sent back faster than MIN_SECONDS after it was shown, or older than MAX_AGE, is refused. The clock is passed in.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, Signer
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from ..admin.forms import CheckboxList
from ..directory import rules as directory_rules
from ..directory.services import normalise_phone
from .models import APPLICANT_FORM_LABELS, FUNDER_LABELS, ApplicantForm, Funder

MIN_SECONDS = 3  # people take longer than this to fill the form; scripts do not
MAX_AGE = timedelta(days=1)
TOKEN_SALT = "applications.form-token"
HONEYPOT = "website"
YES, NO = "yes", "no"
YES_NO = [SelectChoice(YES, _l("Yes")), SelectChoice(NO, _l("No"))]

# C0/C1 control characters other than tab and line feed: no person types them; they break e-mail and PDF text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: Any) -> Any:
    """A multi-line text with Windows/Mac line ends made \\n, control characters removed, ends trimmed."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_line(value: Any) -> Any:
    """A one-line text: every run of whitespace (CR/LF included) becomes one space, control characters removed."""
    if not isinstance(value, str):
        return value
    return " ".join(_CONTROL.sub("", value.replace("\r", " ").replace("\n", " ")).split())


# --- the signed timestamp --------------------------------------------------------------------------------------


def issue_token(secret: str, now: float) -> str:
    """A token carrying the time the form was shown, signed with the application's secret."""
    return Signer(secret, salt=TOKEN_SALT).sign(str(int(now))).decode("ascii")


def token_problem(secret: str, token: str | None, now: float) -> str | None:
    """Why a form token is refused ("missing", "invalid", "too_fast", "expired"), or None when it is fine."""
    if not token:
        return "missing"
    try:
        issued = int(Signer(secret, salt=TOKEN_SALT).unsign(token.encode("ascii", "replace")))
    except (BadSignature, ValueError):
        return "invalid"
    age = now - issued
    if age < MIN_SECONDS:
        return "too_fast"  # also a time in the future
    if age > MAX_AGE.total_seconds():
        return "expired"
    return None


def bot_problem(form: ApplicationForm, secret: str, now: float) -> str | None:
    """Why the submission looks automated ("honeypot" or a token problem), or None."""
    if (form[HONEYPOT].data or "").strip():
        return "honeypot"
    return token_problem(secret, form.form_token.data, now)


# --- validators ------------------------------------------------------------------------------------------------


def _business_id(form: Any, field: Any) -> None:
    value = (field.data or "").strip()
    if not value:
        if form.applicant_form.data != ApplicantForm.PRIVATE_PERSON.value:
            raise ValidationError(_l("Give the organisation's business ID (Y-tunnus)."))
        return
    normalised = directory_rules.normalise_business_id(value)
    if normalised is None:
        raise ValidationError(_l("This is not a valid business ID (check digit or format 1234567-8)."))
    field.data = normalised


def _phone(_form: Any, field: Any) -> None:
    value = (field.data or "").strip()
    if not value:
        return
    e164 = normalise_phone(value)
    if e164 is None:
        raise ValidationError(_l("This is not a valid phone number."))
    field.data = e164


def _funder_other(form: Any, field: Any) -> None:
    if form.funder.data == Funder.OTHER.value and not (field.data or "").strip():
        raise ValidationError(_l("Name the funder."))


def _at_least_one_unit(_form: Any, field: Any) -> None:
    # Not DataRequired: that would mark every check box required, which tells a screen reader each one must be ticked.
    if not field.data:
        raise ValidationError(_l("Choose at least one Rise unit."))


def _end_after_start(form: Any, field: Any) -> None:
    start = form.planned_start.data
    if start and field.data and field.data <= start:
        raise ValidationError(_l("The end must be after the start."))


class ApplicationForm(FlaskForm):
    """The project-partnership application (DOMAIN §5.1 step 1, §5.2): the fields the policy's criteria need."""

    organisation_name = StringField(_l("Name of the organisation"), filters=[clean_line],
                                    validators=[DataRequired(), Length(max=300)])
    applicant_form = SelectField(_l("Legal form"), choices=[SelectChoice("", "—")] + [
        SelectChoice(k.value, v) for k, v in APPLICANT_FORM_LABELS.items()],
        validators=[DataRequired(message=_l("Choose the legal form of the organisation."))])
    business_id = StringField(_l("Business ID (Y-tunnus)"), filters=[clean_line],
                              validators=[Length(max=20), _business_id])
    address = TextAreaField(_l("Postal address"), filters=[clean_text],
                            validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 3})
    contact_name = StringField(_l("Contact person"), filters=[clean_line],
                               validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "name"})
    contact_email = EmailField(_l("E-mail address"), filters=[clean_line],
                               validators=[DataRequired(), Length(max=254), Email()],
                               render_kw={"autocomplete": "email"})
    contact_phone = StringField(_l("Phone"), filters=[clean_line], validators=[Optional(), Length(max=40), _phone],
                                render_kw={"autocomplete": "tel"})
    project_name = StringField(_l("Name of the project"), filters=[clean_line],
                               validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description of the project"), filters=[clean_text],
                                validators=[DataRequired(), Length(max=10_000)], render_kw={"rows": 8})
    need = TextAreaField(_l("Need for the activity"), filters=[clean_text],
                         validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 5})
    target_groups = TextAreaField(_l("Target groups"), filters=[clean_text],
                                  validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 3})
    units = CheckboxList(_l("Rise units you plan to cooperate with"), coerce=int,
                         validators=[_at_least_one_unit])
    themes = CheckboxList(_l("Themes"), coerce=int, validators=[Optional()])
    planned_start = DateField(_l("Planned start"), validators=[InputRequired(message=_l("Give a date."))])
    planned_end = DateField(_l("Planned end"), validators=[InputRequired(message=_l("Give a date.")),
                                                           _end_after_start])
    funder = RadioField(_l("Funder"), choices=[SelectChoice(k.value, v) for k, v in FUNDER_LABELS.items()],
                        validators=[InputRequired(message=_l("Choose the funder."))])
    funder_other = StringField(_l("Other funder"), filters=[clean_line],
                               validators=[Length(max=200), _funder_other])
    funding_round = StringField(_l("Funding round"), filters=[clean_line], validators=[Optional(), Length(max=100)])
    prison_work = RadioField(_l("Does the project involve work in prisons?"), choices=YES_NO,
                             validators=[InputRequired(message=_l("Answer yes or no."))])
    e_services = RadioField(_l("Does the project involve electronic services?"), choices=YES_NO,
                            validators=[InputRequired(message=_l("Answer yes or no."))])
    consent = BooleanField(_l("I have read the privacy statement and agree that Rise processes the information "
                              "of this application to handle it."),
                           validators=[DataRequired(message=_l("You must accept the privacy statement to send "
                                                               "the application."))])
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})
    form_token = HiddenField()

    def data_for_intake(self) -> dict[str, Any]:
        """The validated answers in the shape `intake.submit_application` takes."""
        return {
            "organisation_name": self.organisation_name.data, "business_id": self.business_id.data or None,
            "applicant_form": self.applicant_form.data, "address": self.address.data,
            "contact_name": self.contact_name.data, "contact_email": (self.contact_email.data or "").strip(),
            "contact_phone": self.contact_phone.data or None, "project_name": self.project_name.data,
            "description": self.description.data, "need": self.need.data, "target_groups": self.target_groups.data,
            "unit_ids": list(self.units.data or []), "theme_ids": list(self.themes.data or []),
            "planned_start": self.planned_start.data, "planned_end": self.planned_end.data,
            "funder": self.funder.data,
            "funder_other": self.funder_other.data if self.funder.data == Funder.OTHER.value else None,
            "funding_round": self.funding_round.data or None,
            "prison_work": self.prison_work.data == YES, "e_services": self.e_services.data == YES,
        }
