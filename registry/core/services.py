"""Verbs on users, units and regions. They add and flush; the caller commits."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.services import end_all_sessions, hash_password, set_password
from ..config import ROLES
from ..extensions import db
from .models import Region, Unit, User, UserRole


class ServiceError(ValueError):
    """A request the data does not allow; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def user_by_email(email: str) -> User | None:
    """The user with this e-mail (case-insensitive)."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(*, email: str, name: str, password: str, roles: Iterable[str],
                home_unit: Unit | None = None, locale: str | None = None,
                must_change_password: bool = False) -> User:
    """Create a user with the given roles (the password is validated by the caller's form)."""
    if user_by_email(email) is not None:
        raise ServiceError(_("A user with this e-mail address already exists."), "email")
    user = User(email=email.strip().lower(), name=name.strip(), password_hash=hash_password(password),
                home_unit=home_unit, locale=locale, must_change_password=must_change_password)
    db.session.add(user)
    set_roles(user, roles)
    db.session.flush()
    return user


def set_roles(user: User, roles: Iterable[str], *, acting: Any = None) -> None:
    """Replace the user's roles (unknown names are refused; an admin cannot drop their own admin role)."""
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown:
        raise ServiceError(f"unknown role(s): {', '.join(sorted(unknown))}", "roles")
    if acting is not None and acting.id == user.id and "admin" in user.roles and "admin" not in wanted:
        raise ServiceError(_("You cannot remove your own administrator role."), "roles")
    for row in list(user.role_rows):
        if row.role not in wanted:
            user.role_rows.remove(row)
            db.session.delete(row)
    for role in sorted(wanted - user.roles):
        user.role_rows.append(UserRole(role=role))


def set_active(user: User, active: bool, *, acting: Any = None) -> None:
    """Enable or disable a user; disabling ends their sessions at once. Nobody disables themselves."""
    if not active and acting is not None and acting.id == user.id:
        raise ServiceError(_("You cannot disable your own account."))
    user.active = active
    if not active:
        end_all_sessions(user)


def reset_password(user: User) -> str:
    """Give the user a random temporary password they must change at next sign-in; returns it once."""
    temporary = "-".join(secrets.token_hex(3) for _ in range(4))
    set_password(user, temporary, must_change=True)
    return temporary


def unit_by_code(code: str) -> Unit | None:
    """The unit with this code."""
    return db.session.scalar(select(Unit).where(Unit.code == code))


def scope_unit_ids(unit: Unit | None) -> set[int]:
    """The ids of a unit and all its sub-units (a director's data scope)."""
    if unit is None:
        return set()
    rows = db.session.execute(select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for uid, parent in rows:
        children.setdefault(parent, []).append(uid)
    found, stack = set(), [unit.id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def in_scope(user: Any, unit_id: int | None) -> bool:
    """Whether a unit is inside the user's data scope (admins see everything)."""
    if user.has_role("admin"):
        return True
    return unit_id is not None and unit_id in scope_unit_ids(user.home_unit)


def would_create_cycle(unit: Unit, parent: Unit | None) -> bool:
    """True when making `parent` the parent of `unit` would put the unit under itself."""
    return parent is not None and unit.id is not None and parent.id in scope_unit_ids(unit)


def save_unit(unit: Unit, data: dict[str, Any]) -> Unit:
    """Create or update a unit from validated form data."""
    other = unit_by_code(data["code"])
    if other is not None and other is not unit:
        raise ServiceError(_("Another unit already uses this code."), "code")
    parent = data.get("parent")
    if would_create_cycle(unit, parent):
        raise ServiceError(_("A unit cannot be placed under itself or its own sub-unit."), "parent")
    if data.get("valid_from") and data.get("valid_to") and data["valid_to"] < data["valid_from"]:
        raise ServiceError(_("The end date must not be before the start date."), "valid_to")
    for key, value in data.items():
        setattr(unit, key, value)
    db.session.add(unit)
    db.session.flush()
    return unit


def save_region(region: Region, data: dict[str, Any]) -> Region:
    """Update a wellbeing services county from validated form data."""
    for key, value in data.items():
        setattr(region, key, value)
    db.session.add(region)
    db.session.flush()
    return region
