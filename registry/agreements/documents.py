"""Documents of an agreement: signed PDFs and annexes, with every earlier version kept (issue 4).

The file itself is checked and kept by `core.documents` (PDF by content, size limit, outside the web root);
an `AgreementDocument` row gives it its role, title, version and confidentiality. Confidential documents are
for directors and admins only (DESIGN §5: staff see agreements, not confidential documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.documents import store_document
from ..core.queries import MAX_ID
from ..core.services import ServiceError
from ..extensions import db
from .models import Agreement, AgreementDocument, DocumentRole

TITLE_MAX = 200
CONFIDENTIAL_ROLES = ("director", "admin")


@dataclass
class DocumentGroup:
    """One document as the page shows it: its latest version and the earlier ones, newest first."""

    current: AgreementDocument
    earlier: list[AgreementDocument]


def may_see_confidential(user: Any) -> bool:
    """Whether the user sees confidential agreement documents (directors and admins; DESIGN §5)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*CONFIDENTIAL_ROLES))


def visible_to(user: Any, doc: AgreementDocument) -> bool:
    """Whether the user may see this document of an agreement they can read."""
    return not doc.confidential or may_see_confidential(user)


def _documents(agreement_id: int) -> list[AgreementDocument]:
    """Every document row of the agreement with its stored file's metadata, oldest first (one query)."""
    return list(db.session.scalars(
        select(AgreementDocument).where(AgreementDocument.agreement_id == agreement_id)
        .options(joinedload(AgreementDocument.document))
        .order_by(AgreementDocument.uploaded_at, AgreementDocument.id)))


def document_groups(agreement_id: int, user: Any) -> list[DocumentGroup]:
    """The agreement's documents the user may see, grouped by version chain (signed first, then by title)."""
    docs = _documents(agreement_id)
    replaced_by = {d.replaces_id: d for d in docs if d.replaces_id is not None}
    by_id = {d.id: d for d in docs}
    groups: list[DocumentGroup] = []
    for head in (d for d in docs if d.id not in replaced_by):
        chain, seen = [head], {head.id}
        while chain[-1].replaces_id in by_id and chain[-1].replaces_id not in seen:
            previous = by_id[chain[-1].replaces_id]  # type: ignore[index]
            seen.add(previous.id)
            chain.append(previous)
        shown = [d for d in chain if visible_to(user, d)]
        if shown:
            groups.append(DocumentGroup(shown[0], shown[1:]))
    groups.sort(key=lambda g: (g.current.role is not DocumentRole.SIGNED, g.current.title.casefold(),
                               g.current.id))
    return groups


def replaceable(agreement_id: int, user: Any) -> list[AgreementDocument]:
    """The latest versions the user may replace with a new version."""
    docs = _documents(agreement_id)
    replaced = {d.replaces_id for d in docs}
    return sorted((d for d in docs if d.id not in replaced and visible_to(user, d)),
                  key=lambda d: (d.role is not DocumentRole.SIGNED, d.title.casefold(), d.id))


def document_for_download(agreement_id: int, document_id: int, user: Any) -> AgreementDocument | None:
    """The document when it belongs to this agreement and the user may see it; None otherwise."""
    if not 0 < document_id <= MAX_ID:
        return None
    doc = db.session.scalar(select(AgreementDocument).where(AgreementDocument.id == document_id)
                            .options(joinedload(AgreementDocument.document)))
    if doc is None or doc.agreement_id != agreement_id or not visible_to(user, doc):
        return None
    return doc


def add_document(agreement: Agreement, data: bytes, filename: str, *, role: DocumentRole | str, title: str,
                 confidential: bool, user: Any, replaces_id: int | None = None) -> AgreementDocument:
    """Store an uploaded PDF as a document of the agreement, or as the next version of one of its documents.

    The earlier version stays (only its successor points to it). Raises ServiceError naming the field.
    """
    title = " ".join((title or "").split())
    replaces: AgreementDocument | None = None
    if replaces_id:
        replaces = db.session.get(AgreementDocument, replaces_id) if 0 < replaces_id <= MAX_ID else None
        if replaces is None or replaces.agreement_id != agreement.id or not visible_to(user, replaces):
            raise ServiceError(_("Choose a document of this agreement."), "replaces")
        newer = db.session.scalar(select(AgreementDocument.id).where(AgreementDocument.replaces_id == replaces.id))
        if newer is not None:
            raise ServiceError(_("A newer version of this document already exists: replace the latest one."),
                               "replaces")
        title = title or replaces.title
    if not title:
        raise ServiceError(_("Give the document a title."), "title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_("At most %(n)d characters.", n=TITLE_MAX), "title")
    try:
        role = DocumentRole(role)
    except ValueError:
        raise ServiceError(_("Choose whether the document is the signed agreement or an annex."), "role") from None
    stored = store_document(data, filename, user_id=getattr(user, "id", None), field="file")
    doc = AgreementDocument(agreement_id=agreement.id, document=stored, role=role, title=title,
                            confidential=bool(confidential), replaces_id=replaces.id if replaces else None,
                            version_no=replaces.version_no + 1 if replaces else 1)
    db.session.add(doc)
    db.session.flush()
    return doc
