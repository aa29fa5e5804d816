"""Admin forms for users, units and regions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import NewPassword
from ..config import LANGUAGES
from ..core.forms import strip
from ..core.models import UNIT_KIND_LABELS, UnitKind
from ..i18n import LANGUAGE_NAMES


class CheckboxList(SelectMultipleField):
    """A multiple choice rendered as a group of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    roles = CheckboxList(_l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))])
    home_unit = SelectField(_l("Home unit"), coerce=int, validators=[Optional()])
    locale = SelectField(_l("Language"), choices=[SelectChoice(c, LANGUAGE_NAMES[c]) for c in LANGUAGES])


class NewUserForm(UserForm):
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), NewPassword("email")],
                             render_kw={"autocomplete": "new-password"})


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, hyphens and underscores only."))])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, UNIT_KIND_LABELS[k]) for k in UnitKind])
    parent = SelectField(_l("Parent unit"), coerce=int, validators=[Optional()])
    name_fi = StringField(_l("Name in Finnish"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    name_sv = StringField(_l("Name in Swedish"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    mailbox = EmailField(_l("Functional mailbox"), validators=[Optional(), Email(), Length(max=254)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])


class RegionForm(FlaskForm):
    name_fi = StringField(_l("Name in Finnish"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    name_sv = StringField(_l("Name in Swedish"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    sanction_centre = SelectField(_l("Sanction centre"), coerce=int, validators=[Optional()])
