"""The personal calendar-feed token: lets a calendar program (Outlook, Google, Apple) subscribe to a user's
feeds by URL, without a session cookie. One token per user serves the personal meetings feed and the
agreement deadlines feed; creating a new one or revoking it makes every earlier address stop working at once.
"""

from __future__ import annotations

import hmac
import secrets

from ..core.models import User
from ..core.queries import MAX_ID
from ..extensions import db

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 64  # User.feed_token


def new_feed_token(user: User) -> str:
    """Give the user a new feed token (any earlier one stops working at once); returns it."""
    # The user id in front lets the check load one user and compare in constant time.
    user.feed_token = f"{user.id}.{secrets.token_urlsafe(TOKEN_BYTES)}"
    db.session.flush()
    return user.feed_token


def revoke_feed_token(user: User) -> None:
    """Turn the user's feeds off: the subscribed addresses stop working."""
    user.feed_token = None
    db.session.flush()


def set_feed_includes_deadlines(user: User, on: bool) -> None:
    """Choose whether the personal meetings feed also carries the user's agreement deadlines."""
    user.feed_includes_deadlines = on
    db.session.flush()


def user_by_feed_token(token: str) -> User | None:
    """The active user whose feed token this is; None for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    ident, dot, _secret = token.partition(".")
    if not dot or not ident.isdecimal() or not 0 < int(ident) <= MAX_ID:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or not user.feed_token:
        return None
    return user if hmac.compare_digest(user.feed_token.encode(), token.encode()) else None
