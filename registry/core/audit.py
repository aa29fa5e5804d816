"""The one audit mechanism: every flushed change to a model, plus explicit events (sign-in, reads)."""

from __future__ import annotations

import contextvars
import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from ..extensions import db
from .models import AuditEvent, utcnow

ACTION_LABELS = {
    "create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted"), "read": _l("Read"),
    "sign_in": _l("Signed in"), "sign_out": _l("Signed out"), "sign_in_failed": _l("Failed sign-in"),
    "recovery_code_used": _l("Recovery code used"), "merge": _l("Merged"), "confirm": _l("Confirmed by the contact"),
    "generate": _l("Generated"), "import": _l("Imported"),
    "view": _l("Viewed"), "export": _l("Exported"), "erase": _l("Erased (retention period ended)"),
}
OBJECT_LABELS = {
    "user_account": _l("User"), "user_role": _l("User role"), "unit": _l("Unit"),
    "region": _l("Wellbeing services county"), "api_token": _l("API token"), "application": _l("Application"),
    "partner": _l("Partner"), "contact": _l("Contact"), "liaison_role": _l("Liaison role"),
    "keyword": _l("Competence keyword"), "theme": _l("Theme"), "confirmation_request": _l("Confirmation request"),
    "person": _l("Person with access to units"), "training": _l("Training"),
    "security_clearance": _l("Security clearance"), "induction": _l("Induction"), "sentence": _l("Sentence"),
    "assignment": _l("Assignment"), "assessment": _l("Eligibility assessment"),
    "director_decision": _l("Director's decision"), "concern": _l("Concern"),
    "policy_parameter_set": _l("Policy parameters"), "document": _l("Document"),
    "agreement": _l("Agreement"), "agreement_transition": _l("Agreement status change"),
    "counterpart_kind": _l("Counterpart kind"), "legal_basis": _l("Legal basis"),
    "agreement_document": _l("Agreement document"),
}


def label(mapping: dict[str, Any], key: str) -> str:
    """The translated label of an action or object type; unknown keys are shown as they are."""
    return str(mapping.get(key, key))


_cli_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("cli_actor", default=None)
REDACTED = "[redacted]"


def set_cli_actor(label: str) -> None:
    """Name the actor for changes made outside a request (e.g. 'cli', 'seed')."""
    _cli_actor.set(label)


def _actor() -> tuple[int | None, str, str | None]:
    """The acting user's id, a label and the client address."""
    if has_request_context():
        user = getattr(g, "audit_user", None)
        ip = request.remote_addr
        if user is not None:
            return user.id, user.email, ip
        return None, getattr(g, "audit_label", None) or "anonymous", ip
    return None, _cli_actor.get() or "system", None


def jsonable(value: Any) -> Any:
    """A value as the audit log stores it (dates in ISO form, enums by value, lists element by element)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def _audited(obj: Any) -> bool:
    return getattr(type(obj), "__audit__", True) and hasattr(type(obj), "__table__")


def _columns(obj: Any) -> list[str]:
    ignored = getattr(type(obj), "__audit_ignore__", ())
    return [c.key for c in inspect(type(obj)).column_attrs if c.key not in ignored]


def _value(obj: Any, key: str, value: Any) -> Any:
    return REDACTED if key in getattr(type(obj), "__audit_redact__", ()) else jsonable(value)


def _link_collections(obj: Any) -> list[str]:
    """Many-to-many collections (regions, themes, keywords …): their links are part of the object's state."""
    return [r.key for r in inspect(type(obj)).relationships if r.secondary is not None]


def _snapshot(obj: Any) -> dict[str, Any]:
    values = {k: _value(obj, k, getattr(obj, k)) for k in _columns(obj)}
    for key in _link_collections(obj):
        values[key] = sorted(str(item) for item in getattr(obj, key))
    return values


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[key] = _value(obj, key, old)
        after[key] = _value(obj, key, new)
    for key in _link_collections(obj):
        hist = state.attrs[key].history
        if hist.added or hist.deleted:
            kept = [str(i) for i in hist.unchanged]
            before[key] = sorted(kept + [str(i) for i in hist.deleted])
            after[key] = sorted(kept + [str(i) for i in hist.added])
    return before, after


def _identity(obj: Any) -> str:
    ident = inspect(type(obj)).primary_key_from_instance(obj)
    return "/".join(str(i) for i in ident if i is not None)


def _label(obj: Any) -> str:
    try:
        return str(obj)[:300]
    except Exception:  # a half-built object must not break the flush
        return type(obj).__name__


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.new:
        if _audited(obj):
            pending.append(("create", obj, None, None))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                pending.append(("update", obj, before, after))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(("delete", obj, _snapshot(obj), None))


def _after_flush(session: Session, _ctx: Any) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    actor_id, actor_label, ip = _actor()
    now = utcnow()
    rows = []
    for action, obj, before, after in pending:
        if action == "create":
            after = _snapshot(obj)
        rows.append({
            "at": now, "actor_id": actor_id, "actor_label": actor_label, "ip": ip, "action": action,
            "object_type": type(obj).__tablename__, "object_id": str(_identity(obj))[:64],
            "object_label": _label(obj), "before": before, "after": after,
        })
    session.connection().execute(insert(AuditEvent), rows)


def record(action: str, obj: Any = None, *, object_type: str | None = None, object_id: str | None = None,
           note: str | None = None, actor: Any = None) -> None:
    """Record an event that is not a row change: sign-in, sign-out, a read of sensitive data, an export."""
    actor_id, actor_label, ip = _actor()
    if actor is not None:
        actor_id, actor_label = actor.id, actor.email
    db.session.add(AuditEvent(
        at=utcnow(), actor_id=actor_id, actor_label=actor_label, ip=ip, action=action,
        object_type=object_type or (type(obj).__tablename__ if obj is not None else "application"),
        object_id=_identity(obj) if obj is not None else object_id,
        object_label=_label(obj) if obj is not None else None, note=note,
    ))


def record_read(obj: Any, note: str | None = None) -> None:
    """Audit-log a read of sensitive data in a write transaction of its own (SQLite takes the lock up front)."""
    from .database import write_intent

    db.session.commit()
    with write_intent():
        record("view", obj, note=note)
        db.session.commit()


def register_audit(app: Any) -> None:
    """Attach the flush listeners to every SQLAlchemy session (once per process); template filters."""
    app.jinja_env.filters["audit_action"] = lambda key: label(ACTION_LABELS, key)
    app.jinja_env.filters["audit_object"] = lambda key: label(OBJECT_LABELS, key)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
