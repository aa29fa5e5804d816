"""Verbs of authentication: passwords, sessions, second factor, recovery codes and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request, session
from sqlalchemy import CursorResult, delete, func, select, update

from ..config import LANGUAGES
from ..core import audit
from ..core.database import write_intent
from ..core.models import ApiToken, RecoveryCode, User, UserSession, utcnow
from ..extensions import db

# Argon2id (memory-hard), the library's current recommended parameters.
_hasher = PasswordHasher()
# Checked against when the e-mail is unknown, so a failed sign-in costs the same either way.
_DUMMY_HASH = _hasher.hash("registry-dummy-password")
ISSUER = "Rise registry"
MFA_ROLES = frozenset({"admin", "coordinator"})  # roles that must use a second factor
RECOVERY_CODES = 10


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (session ids, API tokens, recovery codes)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Store a new password and end every open session of the user."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    end_all_sessions(user)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (constant work for unknown e-mails)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    stored = user.password_hash if user else _DUMMY_HASH
    # End the transaction before the deliberately slow hash check: a sign-in is a POST, whose transaction
    # holds SQLite's write lock, and many sign-ins at once would otherwise keep every writer waiting.
    db.session.commit()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def mfa_required(user: User) -> bool:
    """True when the user's roles require a second factor."""
    return bool(user.roles & MFA_ROLES)


# --- server-side sessions -------------------------------------------------------------------------


def fresh_session() -> None:
    """Empty the cookie session (a new identity gets a new session) but keep the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang


def start_session(user: User) -> None:
    """Open a server-side session for the user and bind it to the (fresh) session cookie.

    A language picked before signing in becomes the user's language.
    """
    if session.get("lang") in LANGUAGES:
        user.locale = session["lang"]
    fresh_session()
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=digest(token), user_id=user.id, ip=request.remote_addr,
                               user_agent=(request.user_agent.string or "")[:300]))
    session["sid"] = token
    session.permanent = True
    audit.record("sign_in", user, actor=user)


def end_session() -> None:
    """End the current session on the server and in the cookie."""
    token = session.get("sid")
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == digest(token)))
    session.clear()


def end_all_sessions(user: User, *, keep_current: bool = False) -> int:
    """End every session of the user (optionally all but the current one); returns how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    token = session.get("sid") if keep_current else None
    if token:
        stmt = stmt.where(UserSession.token_hash != digest(token))
    result: CursorResult[Any] = db.session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount or 0


def _expired(row: UserSession, now: datetime) -> bool:
    cfg = current_app.config
    return (now - row.last_seen_at > timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
            or now - row.created_at > timedelta(hours=cfg["SESSION_MAX_HOURS"]))


def user_from_session() -> User | None:
    """The user of a live server-side session; an expired or ended session is cleared."""
    token = session.get("sid")
    if not token:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == digest(token)))
    now = utcnow()
    if row is None or not row.user.active or _expired(row, now):
        session.clear()
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        # Touch at most once a minute, in its own short write transaction.
        row_id = row.id
        db.session.rollback()
        with write_intent():
            db.session.execute(update(UserSession).where(UserSession.id == row_id).values(last_seen_at=now))
            db.session.commit()
        row = db.session.get(UserSession, row_id)
        if row is None:
            return None
    return row.user


def user_from_bearer(token: str) -> User | None:
    """The user of a valid, unrevoked API token."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token),
                                                   ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    g.api_token_id = row.id
    return row.user


def load_user_from_request(req: object) -> User | None:
    """Flask-Login request loader: a bearer token if one is sent, otherwise the session."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = user_from_bearer(header[7:].strip())
    else:
        user = user_from_session()
    g.audit_user = user
    return user


# --- API tokens ------------------------------------------------------------------------------------


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain text is returned once and only its hash is stored."""
    plain = "rr_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip() or "API", prefix=plain[:8], token_hash=digest(plain))
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_api_token(token: ApiToken) -> None:
    """Revoke a token (it stays listed as revoked)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()


# --- second factor (TOTP) and recovery codes ------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def totp_qr_data_uri(user: User, secret: str) -> str:
    """The otpauth:// URI of the secret as an SVG QR code (data URI, generated locally)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff"))


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow().timestamp()
    step_now = int(now // totp.interval)
    for step in (step_now - 1, step_now, step_now + 1):
        if (after is None or step > after) and secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def enable_totp(user: User, secret: str, code: str) -> list[str] | None:
    """Turn on TOTP when the code matches the new secret; returns fresh recovery codes, or None."""
    step = _matching_step(secret, code, None)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    return regenerate_recovery_codes(user)


def disable_totp(user: User) -> None:
    """Turn off TOTP and drop the recovery codes."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def verify_second_factor(user: User, code: str) -> bool:
    """Accept a current TOTP code (never the same one twice) or an unused recovery code."""
    if user.totp_secret:
        step = _matching_step(user.totp_secret, code, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            return True
    normalised = "".join(code.split()).replace("-", "").lower()
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest(normalised),
        RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = utcnow()
    audit.record("recovery_code_used", user, actor=user)
    return True


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are returned once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]
