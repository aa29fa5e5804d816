"""Forms for the records of people with access to units: the person, trainings, clearances, inductions, sentences."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, DecimalField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import TextInput

from ..core.forms import strip
from .labels import CLEARANCE_RESULT_LABELS, ROLE_LABELS, SANCTION_LABELS
from .models import ClearanceKind, PersonRole, Sanction

CLEARANCE_KIND_LABELS = {
    ClearanceKind.BASIC: _l("Basic personnel security clearance"),
    ClearanceKind.EXTENDED: _l("Extended personnel security clearance"),
    ClearanceKind.ORGANISATION: _l("Facility security clearance of the organisation"),
}
PERSONAL_KINDS = (ClearanceKind.BASIC, ClearanceKind.EXTENDED)
# The people list's flags (services.FLAGS): what needs a coordinator's attention.
FLAG_LABELS = {
    "open_concern": _l("Open concern"),
    "clearance_expiring": _l("Clearance expiring within 60 days"),
    "clearance_expired": _l("Clearance expired"),
    "open_case": _l("Open criminal case"),
}
NONE = SelectChoice(0, "—")
NO_CHOICE = SelectChoice("", "—")


class EuroField(DecimalField):
    """An amount in euros, typed the Finnish way too: "25,50", "25.50 €", "1 000" (a text box, not type=number)."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).replace("€", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            self.data = Decimal(text)
            if not self.data.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value.")) from None


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail address"), filters=[strip], validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Optional(), Length(max=40)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in PersonRole])
    partner = SelectField(_l("Organisation (partner)"), coerce=int, validators=[Optional()])
    peer_role = BooleanField(_l("Peer role"))
    developer_role = BooleanField(_l("Developer role"))
    hourly_fee = EuroField(_l("Hourly fee (€)"), places=2, validators=[Optional()],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})
    travel_costs_paid = BooleanField(_l("Travel costs are reimbursed"))
    undertaking_signed_on = DateField(_l("Confidentiality undertaking signed on"), validators=[Optional()])
    undertaking_document = FileField(_l("Signed undertaking (PDF)"))
    open_criminal_case = BooleanField(_l("The person has an open criminal case"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])


class TrainingForm(FlaskForm):
    provider = StringField(_l("Provider"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    programme = StringField(_l("Programme"), filters=[strip], validators=[DataRequired(), Length(max=300)])
    completed_on = DateField(_l("Completed on"), validators=[Optional()])
    document = FileField(_l("Evidence (PDF)"))
    verified = BooleanField(_l("I have checked the evidence: the training is verified"))


class _ClearanceDates(FlaskForm):
    requested_on = DateField(_l("Requested on"), validators=[Optional()])
    completed_on = DateField(_l("Completed on"), validators=[Optional()])
    result = SelectField(_l("Result"), choices=[NO_CHOICE]
                         + [SelectChoice(k, v) for k, v in CLEARANCE_RESULT_LABELS.items()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])


class ClearanceForm(_ClearanceDates):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, CLEARANCE_KIND_LABELS[k]) for k in PERSONAL_KINDS])
    consent_on = DateField(_l("Consent given on"), validators=[Optional()])


class OrgClearanceForm(_ClearanceDates):
    partner = SelectField(_l("Partner"), coerce=int, validators=[DataRequired(message=_l("Choose the partner."))])


class InductionForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=int, validators=[DataRequired(message=_l("Choose the unit."))])
    inducted_on = DateField(_l("Inducted on"), validators=[InputRequired(message=_l("Give the date."))])
    inducted_by = StringField(_l("Inducted by"), filters=[strip],
                              validators=[DataRequired(message=_l("Name the official who gave the induction.")),
                                          Length(max=200)])


class SentenceForm(FlaskForm):
    offence_date = DateField(_l("Offence date"), validators=[InputRequired(message=_l("Give the offence date."))])
    sanction = SelectField(_l("Sanction"), choices=[SelectChoice(s.value, SANCTION_LABELS[s]) for s in Sanction])
    enforcement_start = DateField(_l("Enforcement started on"), validators=[Optional()])
    left_prison = DateField(_l("Left prison on"), validators=[Optional()])
    supervision_end = DateField(_l("Supervision ended on"), validators=[Optional()])
    serious_breach = BooleanField(_l("Intentional or gross breach of obligations during the supervision"))
    completed = DateField(_l("Community sanction completed on"), validators=[Optional()])

