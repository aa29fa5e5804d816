"""Configuration defaults; overridden by REGISTRY_* environment variables and the config dict."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROLES = ("staff", "director", "working_group", "coordinator", "admin")
LANGUAGES = ("fi", "sv", "en")

DEFAULTS: dict[str, Any] = {
    "BABEL_DEFAULT_LOCALE": "fi",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Helsinki",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "registry_session",
    # Server-side sessions end after this much inactivity and, in any case, after the absolute lifetime.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the server-side session
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # When the shared limit store (Redis) cannot be reached, each process counts in memory instead of failing.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    "PAGE_SIZE": 50,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "PROXY_FIX": False,
    "TEMPLATES_STRICT": False,
    # Mail: SMTP when SMTP_HOST is set, otherwise messages wait in the outbox (admin: /admin/outbox).
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "MAIL_FROM": "registry@localhost",
    "CONFIRMATION_DAYS": 14,  # how long a contact's confirmation link stays valid
    "CONFIRM_LIMIT_PER_ADDRESS": "30 per hour",
    "JOBS_SYNCHRONOUS": False,  # tests: background jobs and mail delivery run inline
    # Days before a security clearance's valid_until on which the coordinators are reminded (policy §8.2, §10.3).
    "CLEARANCE_REMINDER_DAYS": [60, 14],
    # Days before each agreement deadline (expiry, notice, decision, review) on which reminders go out.
    "AGREEMENT_REMINDER_DAYS": [90, 30, 7],
    "DOCUMENT_MAX_BYTES": 10 * 1024 * 1024,  # uploaded PDFs (signed undertakings, training evidence …)
    "DOCUMENT_FOLDER": "",  # where uploaded documents are kept; default: <instance folder>/documents
    "LOG_FORMAT": "json",  # "json": one JSON object per line on stderr (registry/core/logs.py); "text": Flask's
    "LOG_LEVEL": "INFO",
}

# Environment variables read as REGISTRY_<NAME>; the value is parsed by the type of the default.
_ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "SESSION_IDLE_MINUTES": "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS": "SESSION_MAX_HOURS",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "PROXY_FIX": "PROXY_FIX",
    "SMTP_HOST": "SMTP_HOST",
    "SMTP_PORT": "SMTP_PORT",
    "SMTP_USER": "SMTP_USER",
    "SMTP_PASSWORD": "SMTP_PASSWORD",
    "SMTP_STARTTLS": "SMTP_STARTTLS",
    "MAIL_FROM": "MAIL_FROM",
    "CONFIRMATION_DAYS": "CONFIRMATION_DAYS",
    "DOCUMENT_FOLDER": "DOCUMENT_FOLDER",
    "DOCUMENT_MAX_BYTES": "DOCUMENT_MAX_BYTES",
    "CLEARANCE_REMINDER_DAYS": "CLEARANCE_REMINDER_DAYS",
    "AGREEMENT_REMINDER_DAYS": "AGREEMENT_REMINDER_DAYS",
    "LOG_FORMAT": "LOG_FORMAT",
    "LOG_LEVEL": "LOG_LEVEL",
}


def _parse(value: str, default: Any) -> Any:
    """Convert an environment string to the type of its default."""
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, list):  # e.g. reminder offsets "60,14"
        return [int(part) for part in value.split(",") if part.strip()]
    return value


def instance_path_from_env() -> str | None:
    """The instance folder named by REGISTRY_INSTANCE_PATH, if any."""
    value = os.environ.get("REGISTRY_INSTANCE_PATH")
    return str(Path(value).resolve()) if value else None


def build_config(instance_path: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Merge defaults, environment and explicit overrides into one config mapping."""
    config = dict(DEFAULTS)
    for env, key in _ENV_KEYS.items():
        raw = os.environ.get(f"REGISTRY_{env}")
        if raw is not None:
            config[key] = _parse(raw, DEFAULTS.get(key, ""))
    config.update(overrides or {})
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'registry.db'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(Path(instance_path) / "secret_key")
    return config


def _instance_secret(path: Path) -> str:
    """Read the secret key from the instance folder, generating it once."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
