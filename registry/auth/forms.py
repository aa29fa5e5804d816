"""Sign-in, second-factor, password and token forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .rules import MAX_LENGTH, MIN_LENGTH, password_problems

PASSWORD_MESSAGES = {
    "too_short": _l("Use at least %(n)d characters. A few unrelated words make a good password.", n=MIN_LENGTH),
    "too_long": _l("Use at most %(n)d characters.", n=MAX_LENGTH),
    "common": _l("This password is too common or too easy to guess. Choose another one."),
    "like_email": _l("The password must not contain your e-mail address."),
}


class NewPassword:
    """Validator applying the password policy (length, common passwords, not the e-mail)."""

    def __init__(self, email_field: str | None = None) -> None:
        self.email_field = email_field

    def __call__(self, form: Any, field: Any) -> None:
        email = ""
        if self.email_field:
            email = form[self.email_field].data or ""
        elif getattr(form, "user_email", None):
            email = form.user_email
        problems = password_problems(field.data or "", email=email)
        if problems:
            raise ValidationError(" ".join(str(PASSWORD_MESSAGES[p]) for p in problems))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class VerifyForm(FlaskForm):
    code = StringField(_l("Authentication code or recovery code"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class TotpSetupForm(FlaskForm):
    code = StringField(_l("Six-digit code from the app"), validators=[DataRequired(), Length(max=10)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), NewPassword()],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})

    def __init__(self, *args: Any, user_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_email = user_email


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""
