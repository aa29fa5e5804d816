"""Languages, locale selection and Finnish-style date formatting (d.m.yyyy, Europe/Helsinki)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from .config import LANGUAGES
from .extensions import babel

HELSINKI = ZoneInfo("Europe/Helsinki")
LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}


def today() -> date:
    """Today's date in Finland: every "today" of the registry (validity, deadlines, waiting periods)."""
    return datetime.now(HELSINKI).date()


def select_locale() -> str:
    """The signed-in user's language, else the session's choice, else Accept-Language, else Finnish."""
    if not has_request_context():
        return "fi"  # CLI and background jobs
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "fi"


def current_language() -> str:
    """The UI language code of the current request (fi outside a request)."""
    try:
        locale = get_locale()
    except RuntimeError:
        return "fi"
    return locale.language if locale is not None and locale.language in LANGUAGES else "fi"


def format_date(value: date | datetime | None) -> str:
    """A date as d.m.yyyy; a datetime is first converted to Europe/Helsinki."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(HELSINKI) if value.tzinfo else value
    return f"{value.day}.{value.month}.{value.year}"


def format_datetime(value: datetime | None) -> str:
    """A timestamp in Europe/Helsinki as d.m.yyyy HH.MM (Finnish) or d.m.yyyy HH:MM."""
    if value is None:
        return ""
    local = value.astimezone(HELSINKI) if value.tzinfo else value
    sep = "." if current_language() == "fi" else ":"
    return f"{format_date(local)} {local.hour:02d}{sep}{local.minute:02d}"


def register_i18n(app: Flask) -> None:
    """Initialise Flask-Babel and the date filters."""
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.filters["fdate"] = format_date
    app.jinja_env.filters["fdatetime"] = format_datetime
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
