"""An agreement's change history as a readable diff (field: before → after), built from the audit log of the
agreement, its liaison roles and documents, and its lifecycle transitions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.models import AuditEvent, Unit
from ..directory.models import SIDE_LABELS, Contact, LiaisonRole, LiaisonSide
from ..extensions import db
from ..i18n import format_date
from .models import (
    KIND_LABELS,
    LEVEL_LABELS,
    RELATION_LABELS,
    RENEWAL_LABELS,
    STATUS_LABELS,
    Agreement,
    AgreementDocument,
    AgreementKind,
    AgreementLevel,
    AgreementStatus,
    AgreementTransition,
    CounterpartKind,
    RelationKind,
    RenewalType,
)

MAX_EVENTS = 500  # the newest events shown; older ones stay in the audit log

FIELD_LABELS: dict[str, Any] = {
    "name_fi": _l("Name in Finnish"), "name_sv": _l("Name in Swedish"), "name_en": _l("Name in English"),
    "kind": _l("Kind"), "level": _l("Level"), "status": _l("Status"), "owner_unit_id": _l("Owner unit"),
    "counterpart_kind_id": _l("Counterpart kind"), "parent_id": _l("Under the national agreement"),
    "amends_id": _l("Changes the agreement"), "relation": _l("Relation"), "dnro": _l("Diary number"),
    "signed_on": _l("Signed on"), "valid_from": _l("Valid from"), "valid_until": _l("Valid until"),
    "renewal_type": _l("Renewal"), "renewal_months": _l("Renewal period (months)"),
    "notice_months": _l("Notice period (months)"), "lead_time_days": _l("Internal lead time (days)"),
    "review_on": _l("Review date"), "review_interval_months": _l("Review interval (months)"), "notes": _l("Notes"),
    "parties": _l("Parties"), "centres": _l("Sanction centres"), "regions": _l("Wellbeing services counties"),
    "themes": _l("Themes"), "legal_bases": _l("Legal bases"),
    "contact_id": _l("Contact"), "side": _l("Side"), "valid_to": _l("Until"), "title": _l("Title"),
    "role": _l("Document role"), "version_no": _l("Document version"), "confidential": _l("Confidential"),
}
# Bookkeeping, and fields shown elsewhere (the status has its own transition entries).
HIDDEN = frozenset({"id", "version", "created_at", "updated_at", "status_changed_at", "agreement_id", "subject",
                    "partner_id", "theme_id", "project", "status", "document_id", "replaces_id", "uploaded_at"})
ENUM_LABELS: dict[str, tuple[type, dict[Any, Any]]] = {
    "kind": (AgreementKind, KIND_LABELS), "level": (AgreementLevel, LEVEL_LABELS),
    "status": (AgreementStatus, STATUS_LABELS), "renewal_type": (RenewalType, RENEWAL_LABELS),
    "relation": (RelationKind, RELATION_LABELS), "side": (LiaisonSide, SIDE_LABELS),
}
REFERENCES: dict[str, Any] = {"owner_unit_id": Unit, "counterpart_kind_id": CounterpartKind,
                              "parent_id": Agreement, "amends_id": Agreement, "contact_id": Contact}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Change:
    """One field's change, ready to show: label, the value before and after."""

    field: str
    label: str
    before: str
    after: str
    by: str = ""
    old: Any = None  # the stored (audit) value before the change: lets a refused form tell untouched fields


@dataclass
class Entry:
    """One line of the history: when, who, what happened, and the field changes or the note."""

    at: datetime
    actor: str
    title: str
    changes: list[Change] = field(default_factory=list)
    note: str | None = None


class _Names:
    """Display names of referenced rows, loaded in one query per model."""

    def __init__(self, events: Iterable[dict[str, Any]]) -> None:
        wanted: dict[Any, set[int]] = {}
        for values in events:
            for key, model in REFERENCES.items():
                if isinstance(values.get(key), int):
                    wanted.setdefault(model, set()).add(values[key])
        self.names: dict[tuple[Any, int], str] = {}
        for model, ids in wanted.items():
            for row in db.session.scalars(select(model).where(model.id.in_(ids))):
                self.names[(model, row.id)] = row.name() if hasattr(row, "name") and callable(row.name) \
                    else str(row)

    def show(self, key: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if key in REFERENCES and isinstance(value, int):
            return self.names.get((REFERENCES[key], value), f"#{value}")
        if key in ENUM_LABELS:
            enum, labels = ENUM_LABELS[key]
            try:
                return str(labels[enum(value)])
            except (ValueError, KeyError):
                return str(value)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, str) and ISO_DATE.match(value):
            return format_date(date.fromisoformat(value))
        return str(value)


def _diff(before: dict[str, Any] | None, after: dict[str, Any] | None, names: _Names, *, by: str = "",
          created: bool = False) -> list[Change]:
    before, after = before or {}, after or {}
    changes = []
    for key in after.keys() | before.keys():
        if key in HIDDEN or key not in FIELD_LABELS:
            continue
        old, new = (None if created else before.get(key)), after.get(key)
        if created and new in (None, "", [], False):
            continue
        if old == new:
            continue
        changes.append(Change(key, str(FIELD_LABELS[key]), names.show(key, old), names.show(key, new), by))
    order = list(FIELD_LABELS)
    return sorted(changes, key=lambda c: order.index(c.field))


def _events(agreement_id: int, *, confidential: bool) -> list[AuditEvent]:
    role_ids = [str(i) for i in db.session.scalars(select(LiaisonRole.id).where(LiaisonRole.agreement_id
                                                                                  == agreement_id))]
    documents = select(AgreementDocument.id).where(AgreementDocument.agreement_id == agreement_id)
    if not confidential:  # a confidential document's title and changes are not shown to staff (DESIGN §5)
        documents = documents.where(AgreementDocument.confidential.is_(False))
    doc_ids = [str(i) for i in db.session.scalars(documents)]
    stmt = select(AuditEvent).where(
        ((AuditEvent.object_type == "agreement") & (AuditEvent.object_id == str(agreement_id)))
        | ((AuditEvent.object_type == "liaison_role") & AuditEvent.object_id.in_(role_ids or ["-"]))
        | ((AuditEvent.object_type == "agreement_document") & AuditEvent.object_id.in_(doc_ids or ["-"])))
    return list(db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(MAX_EVENTS)))


TITLES = {
    ("agreement", "create"): _l("Agreement created"), ("agreement", "update"): _l("Agreement changed"),
    ("liaison_role", "create"): _l("Liaison named"), ("liaison_role", "update"): _l("Liaison changed"),
    ("liaison_role", "delete"): _l("Liaison removed"), ("agreement_document", "create"): _l("Document added"),
    ("agreement_document", "update"): _l("Document changed"),
    ("agreement_document", "delete"): _l("Document removed"),
}


def history(agreement: Agreement, *, confidential: bool) -> list[Entry]:
    """The agreement's history, newest first: its changes, its liaisons' and documents' changes (confidential
    documents only when `confidential`), transitions."""
    events = _events(agreement.id, confidential=confidential)
    names = _Names([e.before or {} for e in events] + [e.after or {} for e in events])
    entries: list[Entry] = []
    for event in events:
        changes = _diff(event.before, event.after, names, created=event.action == "create")
        if not changes and event.action == "update":
            continue  # only bookkeeping (version, status of a transition shown below)
        title = TITLES.get((event.object_type, event.action), event.action)
        entries.append(Entry(event.at, event.actor_label or "", str(title), changes, event.note))
    transitions = db.session.scalars(select(AgreementTransition).options(selectinload(AgreementTransition.by))
                                     .where(AgreementTransition.agreement_id == agreement.id))
    for row in transitions:
        if row.from_status is None:
            title = _("Status: %(to)s", to=STATUS_LABELS[row.to_status])
        elif row.from_status == row.to_status:
            title = _("Status kept: %(to)s", to=STATUS_LABELS[row.to_status])
        else:
            title = _("Status: %(from)s → %(to)s", to=STATUS_LABELS[row.to_status],
                      **{"from": STATUS_LABELS[row.from_status]})
        actor = row.by.email if row.by is not None else _("automatic")
        entries.append(Entry(row.at, actor, title, [], row.note))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def changes_since(agreement_id: int, version: int) -> list[Change]:
    """The fields changed after the agreement's `version`: the value at that version and the value now."""
    events = [e for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "agreement", AuditEvent.object_id == str(agreement_id),
        AuditEvent.action == "update").order_by(AuditEvent.id))
        if isinstance((e.after or {}).get("version"), int) and (e.after or {})["version"] > version]
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    by: dict[str, str] = {}
    for event in events:
        for key, value in (event.after or {}).items():
            first.setdefault(key, (event.before or {}).get(key))
            last[key] = value
            by[key] = event.actor_label or ""
    names = _Names([first, last])
    changes = []
    for key in last:
        if key in {"id", "version", "updated_at", "status_changed_at"} or key not in FIELD_LABELS \
                or first[key] == last[key]:
            continue
        changes.append(Change(key, str(FIELD_LABELS[key]), names.show(key, first[key]), names.show(key, last[key]),
                              by[key], first[key]))
    order = list(FIELD_LABELS)
    return sorted(changes, key=lambda c: order.index(c.field))
