"""Uploaded documents (signed PDFs, training evidence …): checked by content, stored outside the web root.

A file is kept once per content, under its SHA-256 (`<folder>/<sha[:2]>/<sha>`); several Document rows may
share it. Files are written before the transaction commits and removed only after it commits, so a rolled-back
upload leaves no file behind and a rolled-back removal loses none.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

from flask import abort, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from ..extensions import db
from .models import Document
from .services import ServiceError

PDF = "application/pdf"
PDF_HEADER = b"%PDF-"
PDF_TRAILER = b"%%EOF"
TRAILER_WINDOW = 1024  # readers accept %%EOF within the last 1,024 bytes (PDF 1.7, §7.5.5 and implementation notes)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
_WRITTEN = "documents_written"  # session.info: files this transaction created (removed on rollback)
_UNLINK = "documents_unlink"  # session.info: files to remove once this transaction commits


def document_folder() -> Path:
    """The folder documents are kept in (configurable; default: the instance folder's `documents`)."""
    return Path(current_app.config.get("DOCUMENT_FOLDER") or Path(current_app.instance_path) / "documents")


def document_path(sha256: str) -> Path:
    """Where the file with this SHA-256 is kept."""
    if not SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return document_folder() / sha256[:2] / sha256


def is_pdf(data: bytes) -> bool:
    """Whether the bytes look like a whole PDF: the header at the start and the end-of-file marker at the end."""
    return data.startswith(PDF_HEADER) and PDF_TRAILER in data[-TRAILER_WINDOW:]


def check_pdf(data: bytes, field: str = "document") -> None:
    """Refuse anything that is not a PDF of an acceptable size (the file name never counts)."""
    if not data:
        raise ServiceError(_("The file is empty."), field)
    limit = int(current_app.config["DOCUMENT_MAX_BYTES"])
    if len(data) > limit:
        raise ServiceError(_("The file is too large: at most %(size)s MB.", size=f"{limit / 1024 / 1024:g}"), field)
    if not is_pdf(data):
        raise ServiceError(_("The file is not a PDF document. Save or scan it as PDF and try again."), field)


def clean_filename(filename: str) -> str:
    """The uploader's file name without folders or control characters, for display (at most 200 characters)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "document.pdf"


def download_name(doc: Document) -> str:
    """A safe ASCII file name for the attachment, always ending in .pdf."""
    name = secure_filename(doc.filename) or "document.pdf"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def store_document(data: bytes, filename: str, *, user_id: int | None, field: str = "document") -> Document:
    """Check the bytes are a PDF, keep the file under its SHA-256 and add a Document row (flushed)."""
    check_pdf(data, field)
    _listen()
    sha = hashlib.sha256(data).hexdigest()
    path = document_path(sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary name and rename, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        db.session.info.setdefault(_WRITTEN, set()).add(str(path))
    doc = Document(filename=clean_filename(filename), content_type=PDF, size=len(data), sha256=sha,
                   uploaded_by_id=user_id)
    db.session.add(doc)
    db.session.flush()
    return doc


def read_document(doc: Document) -> bytes:
    """The document's bytes (for exports that bundle documents)."""
    return document_path(doc.sha256).read_bytes()


def send_document(doc: Document) -> Response:
    """The document as a PDF attachment with a safe file name; 404 when its file is missing."""
    path = document_path(doc.sha256)
    if not path.is_file():
        abort(404)
    # Read whole (at most DOCUMENT_MAX_BYTES): no file handle outlives the request.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=PDF, as_attachment=True,
                         download_name=download_name(doc), conditional=False, etag=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"  # personal data: no copies in shared caches
    return response


def remove_document(doc: Document) -> None:
    """Delete the Document row, and its file once the transaction commits if no other row shares it."""
    _listen()
    db.session.delete(doc)
    db.session.flush()
    others = db.session.scalar(select(func.count(Document.id)).where(Document.sha256 == doc.sha256))
    if not others:
        db.session.info.setdefault(_UNLINK, set()).add(str(document_path(doc.sha256)))


# --- files follow the transaction -----------------------------------------------------------------


def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for name in session.info.pop(_UNLINK, ()):
        Path(name).unlink(missing_ok=True)


def _after_rollback(session: Session) -> None:
    session.info.pop(_UNLINK, None)
    for name in session.info.pop(_WRITTEN, ()):
        Path(name).unlink(missing_ok=True)


def _listen() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
