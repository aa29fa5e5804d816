"""Read-only queries shared by views and the API (templates never query)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import HELSINKI
from .models import AuditEvent, Region, Unit, User, UserRole

MAX_ID = 2**31 - 1  # INTEGER primary keys; larger numbers in a URL cannot name a row


def get_or_none(model: Any, ident: int | None) -> Any:
    """The row with this primary key, or None (numbers no INTEGER key can hold name nothing)."""
    return db.session.get(model, ident) if ident and 0 < ident <= MAX_ID else None


def get_or_404(model: Any, ident: int) -> Any:
    """The row with this primary key, or a 404 (also for numbers no INTEGER key can hold)."""
    obj = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if obj is None:
        abort(404)
    return obj


def admin_summary() -> dict[str, Any]:
    """Counts and the latest events for the admin dashboard."""
    return {
        "users": db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
        "units": db.session.scalar(select(func.count(Unit.id))),
        "regions": db.session.scalar(select(func.count(Region.id))),
        "recent": db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(5)).all(),
    }


def units_ordered() -> list[Unit]:
    """All units, parents loaded, ordered by kind and Finnish name."""
    return list(db.session.scalars(select(Unit).options(selectinload(Unit.parent))
                                   .order_by(Unit.kind, Unit.name_fi)))


def regions_ordered() -> list[Region]:
    """All wellbeing services counties with their sanction centre."""
    return list(db.session.scalars(select(Region).options(selectinload(Region.sanction_centre))
                                   .order_by(Region.name_fi)))


def users_query(q: str = "", role: str = "", active: str = "") -> Select[tuple[User]]:
    """Users filtered by a free-text match on name or e-mail, a role and the active flag."""
    stmt = select(User).options(selectinload(User.home_unit)).order_by(User.name)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if active in {"1", "0"}:
        stmt = stmt.where(User.active.is_(active == "1"))
    return stmt


def audit_query(*, actor: str = "", object_type: str = "", object_id: str = "", action: str = "",
                day_from: date | None = None, day_to: date | None = None) -> Select[tuple[AuditEvent]]:
    """Audit events filtered by actor (e-mail part), object, action and Helsinki calendar days."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if actor:
        stmt = stmt.where(func.lower(AuditEvent.actor_label).like(f"%{actor.lower()}%"))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if day_from:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(day_from, time(), HELSINKI))
    if day_to:
        stmt = stmt.where(AuditEvent.at < datetime.combine(day_to + timedelta(days=1), time(), HELSINKI))
    return stmt


def audit_choices() -> tuple[list[str], list[str]]:
    """The distinct object types and actions present in the log, for filter drop-downs."""
    types = db.session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type))
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return list(types), list(actions)
