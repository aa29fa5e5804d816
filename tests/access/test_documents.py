"""Uploaded documents: only real PDFs (by content), size-limited, stored under their SHA-256 outside the web root,
downloaded as attachments with a safe name, only by those who may see the person, and every download logged."""

from __future__ import annotations

import hashlib
import io
import re
import secrets

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from registry.access.models import Person, Training
from registry.core import documents
from registry.core.models import AuditEvent, Document
from registry.core.services import ServiceError
from registry.extensions import db
from tests.conftest import post

PERSON = {"name": "Kaisa Kokemus", "role": "expert_by_experience", "partner": "0", "email": "", "phone": "",
          "hourly_fee": "", "undertaking_signed_on": "2025-03-01", "notes": ""}


def pdf(text: str = "") -> bytes:
    """A small, well-formed PDF whose content differs per call (so each test has its own file)."""
    marker = text or secrets.token_hex(8)
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + marker.encode() + b"\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")


@pytest.fixture
def client_as(client_as):
    """Signed-in clients that use the English UI."""

    def factory(*roles, **kwargs):
        client = client_as(*roles, **kwargs)
        post(client, "/language", {"lang": "en"})
        return client

    return factory


def _upload(client, url, data, file_field, content, filename):
    return post(client, url, {**data, file_field: (io.BytesIO(content), filename)},
                content_type="multipart/form-data")


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error next to {field}"
    return match.group(1)


# --- the document store ---------------------------------------------------------------------------


def test_a_pdf_is_stored_once_under_its_hash(app, document_folder):
    data = pdf()
    sha = hashlib.sha256(data).hexdigest()
    with app.app_context():
        first = documents.store_document(data, "C:\\Users\\kk\\Sitoumus.pdf", user_id=None)
        second = documents.store_document(data, "kopio.pdf", user_id=None)
        db.session.commit()
        assert (first.sha256, first.size, first.content_type, first.filename) == (sha, len(data), "application/pdf",
                                                                                 "Sitoumus.pdf")
        assert first.id != second.id and second.sha256 == sha
        path = documents.document_path(sha)
        assert path == document_folder / sha[:2] / sha and path.read_bytes() == data
        assert [p.name for p in document_folder.rglob("*") if p.is_file()] == [sha]

        documents.remove_document(first)  # the other row still needs the file
        db.session.commit()
        assert path.exists()
        documents.remove_document(db.session.get(Document, second.id))
        assert path.exists()  # not before the transaction commits
        db.session.commit()
        assert not path.exists()
        assert db.session.scalar(select(func.count(Document.id))) == 0


def test_rollback_leaves_no_file_and_keeps_removed_ones(app):
    kept, dropped = pdf(), pdf()
    with app.app_context():
        doc = documents.store_document(kept, "a.pdf", user_id=None)
        db.session.commit()
        documents.remove_document(doc)
        documents.store_document(dropped, "b.pdf", user_id=None)
        db.session.rollback()
        assert documents.document_path(hashlib.sha256(kept).hexdigest()).exists()
        assert not documents.document_path(hashlib.sha256(dropped).hexdigest()).exists()
        assert db.session.scalar(select(func.count(Document.id))) == 1


@pytest.mark.parametrize(("data", "message"), [
    (b"<html><body>%PDF-1.4 not really</body></html>", "not a PDF"),
    (b"%PDF-1.4\nno end marker at all", "not a PDF"),
    (b"%PDF-1.4\n%%EOF\n" + b"x" * 2000, "not a PDF"),  # the marker must be near the end
    (b"PK\x03\x04 a zip renamed to .pdf %%EOF", "not a PDF"),
    (b"", "empty"),
])
def test_only_real_pdfs_are_accepted(app, data, message):
    with app.app_context(), force_locale("en"):
        with pytest.raises(ServiceError) as caught:
            documents.store_document(data, "sopimus.pdf", user_id=None, field="undertaking_document")
        assert message in caught.value.message and caught.value.field == "undertaking_document"


def test_the_size_limit_comes_from_the_configuration(app):
    app.config["DOCUMENT_MAX_BYTES"] = 1024
    with app.app_context(), force_locale("en"):
        documents.store_document(pdf().ljust(1000, b" ")[:-6] + b"%%EOF\n", "ok.pdf", user_id=None)
        with pytest.raises(ServiceError, match="too large"):
            documents.store_document(b"%PDF-1.4\n" + b" " * 1100 + b"%%EOF\n", "big.pdf", user_id=None)


@pytest.mark.parametrize(("name", "sent"), [
    ("Sopimus ääkkösin.pdf", "Sopimus_aakkosin.pdf"),
    ("../../etc/passwd", "passwd.pdf"),
    ("..", "document.pdf"),
    ("raportti", "raportti.pdf"),
    ("ЖЖЖ.pdf", "pdf.pdf"),
    ("\x00\x1f.pdf", "pdf.pdf"),
])
def test_download_names_are_safe_ascii(app, name, sent):
    with app.app_context():
        doc = Document(filename=documents.clean_filename(name), content_type="application/pdf", size=1, sha256="0" * 64)
        assert documents.download_name(doc) == sent


# --- uploading and downloading through the person's record ----------------------------------------


def test_signed_undertaking_is_uploaded_shown_with_its_hash_and_downloaded(app, client_as, document_folder):
    data = pdf()
    sha = hashlib.sha256(data).hexdigest()
    client = client_as("coordinator")
    response = _upload(client, "/people/new", PERSON, "undertaking_document", data, "Salassapito ÄÖ.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    person_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        person = db.session.get(Person, person_id)
        doc_id = person.undertaking_document_id
        assert person.undertaking_document.sha256 == sha
        assert person.undertaking_document.uploaded_by_id == client.user.id
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    assert f"SHA-256: <code>{sha}</code>" in page and "Salassapito ÄÖ.pdf" in page
    url = f"/people/{person_id}/documents/{doc_id}"
    assert f'href="{url}"' in page
    download = client.get(url)
    assert download.status_code == 200 and download.data == data
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=Salassapito_AO.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]
    with app.app_context():
        views = db.session.execute(select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.note)
                                   .where(AuditEvent.action == "view").order_by(AuditEvent.id)).all()
    assert views[-1] == ("document", str(doc_id), f"person {person_id}")

    replacement = pdf()
    response = _upload(client, f"/people/{person_id}/edit", PERSON, "undertaking_document", replacement, "uusi.pdf")
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person.undertaking_document.sha256 == hashlib.sha256(replacement).hexdigest()
        assert db.session.get(Document, doc_id) is None  # the replaced file is gone with its row
    assert client.get(url).status_code == 404
    assert not (document_folder / sha[:2] / sha).exists()


def test_a_fake_pdf_is_refused_next_to_the_field_and_the_rest_is_kept(app, client_as):
    client = client_as("coordinator")
    data = {**PERSON, "name": "Pekka Pysyvä", "email": "pekka@example.org"}
    for content, name in ((b"<html><script>alert(1)</script></html>", "%PDF-sopimus.pdf"),
                          (b"GIF89a" + b"\x00" * 50, "kuva.pdf")):
        response = _upload(client, "/people/new", data, "undertaking_document", content, name)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "not a PDF" in _field_error(page, "undertaking_document")
        assert 'value="Pekka Pysyvä"' in page and 'value="pekka@example.org"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 0
        assert db.session.scalar(select(func.count(Document.id))) == 0


def test_an_oversize_file_is_refused(app, client_as, document_folder):
    app.config["DOCUMENT_MAX_BYTES"] = 2048
    client = client_as("coordinator")
    big = b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF\n"
    response = _upload(client, "/people/new", PERSON, "undertaking_document", big, "iso.pdf")
    assert response.status_code == 400
    assert "too large" in _field_error(response.get_data(as_text=True), "undertaking_document")
    assert not any(p.is_file() for p in document_folder.rglob("*"))


def test_a_document_needs_the_signed_date(app, client_as):
    response = _upload(client_as("coordinator"), "/people/new", {**PERSON, "undertaking_signed_on": ""},
                       "undertaking_document", pdf(), "sitoumus.pdf")
    assert response.status_code == 400
    assert "Give the date" in _field_error(response.get_data(as_text=True), "undertaking_signed_on")


def test_training_evidence_and_who_may_download_it(app, reference, client_as, make_person, make_assignment,
                                                   document_folder):
    person_id = make_person()
    make_assignment(person_id, unit="HELV")
    other_id = make_person(name="Toinen Henkilö")
    coordinator = client_as("coordinator")
    data = pdf()
    response = _upload(coordinator, f"/people/{person_id}/training/new",
                       {"provider": "Laurea", "programme": "Keijo", "completed_on": "2024-05-31"}, "document", data,
                       "todistus.pdf")
    assert response.status_code == 302
    with app.app_context():
        doc_id = db.session.scalar(select(Training.document_id))
    page = coordinator.get(f"/people/{person_id}").get_data(as_text=True)
    assert hashlib.sha256(data).hexdigest() in page
    url = f"/people/{person_id}/documents/{doc_id}"
    assert coordinator.get(url).data == data
    assert coordinator.get(f"/people/{other_id}/documents/{doc_id}").status_code == 404  # not that person's
    assert coordinator.get(f"/people/{person_id}/documents/{doc_id + 1}").status_code == 404
    assert client_as("director", unit="ESRSK").get(url).status_code == 200
    assert client_as("director", unit="LSRSK").get(url).status_code == 404
    assert client_as("staff").get(url).status_code == 403
    assert client_as("admin").get(url).status_code == 403
    for path in document_folder.rglob("*"):
        path.unlink() if path.is_file() else None
    assert coordinator.get(url).status_code == 404  # a lost file is a 404, not a 500
