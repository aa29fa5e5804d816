"""Agreement documents: PDF by content, stored outside the web root, SHA-256 shown, versions kept, confidential
documents hidden from staff, uploads only for those who may change the agreement."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from registry.agreements import documents
from registry.agreements.demo import demo_pdf
from registry.agreements.models import Agreement, AgreementDocument
from registry.core.models import AuditEvent, Document, User
from registry.core.services import ServiceError
from registry.extensions import db
from tests.conftest import post

PDF = demo_pdf("Yhteistyösopimus", ["Osapuolet: Rikosseuraamuslaitos ja Kivikylän kaupunki"])
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script>%PDF-1.7</body></html>\n%%EOF\n"


@pytest.fixture
def folder(app, tmp_path):
    """Documents go to a folder of the test's own (outside the application's static files)."""
    path = tmp_path / "documents"
    app.config["DOCUMENT_FOLDER"] = str(path)
    return path


@pytest.fixture
def agreement(make_agreement, folder):
    return make_agreement("Sijoitussopimus päihdekuntoutuksesta", centres=("ESRSK",))


def _upload(client, agreement_id, data=PDF, filename="sopimus.pdf", **fields):
    form = {"role": "signed", "title": "Allekirjoitettu sopimus", **fields,
            "file": (io.BytesIO(data), filename, "application/pdf")}
    return post(client, f"/agreements/{agreement_id}/documents/new", form, content_type="multipart/form-data")


def _download(client, url):
    """GET a document and close the streamed file (status, bytes, headers)."""
    response = client.get(url)
    try:
        return response.status_code, response.get_data(), response.headers
    finally:
        response.close()


def _rows(app):
    with app.app_context():
        return [(d.id, d.title, d.version_no, d.replaces_id, d.confidential, d.document.sha256)
                for d in db.session.scalars(select(AgreementDocument).order_by(AgreementDocument.id))]


def test_a_file_that_is_not_really_a_pdf_is_refused(app, client_as, agreement, folder):
    client = client_as("director", unit="ESRSK")
    post(client, "/language", {"lang": "en"})
    response = _upload(client, agreement, HTML, "sopimus.pdf")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The file is not a PDF document" in page and 'id="file-error"' in page
    assert 'value="Allekirjoitettu sopimus"' in page  # the title typed is kept
    assert _rows(app) == []
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))
    with app.app_context():
        assert db.session.scalar(select(Document.id)) is None


def test_a_file_over_the_size_limit_is_refused(app, client_as, agreement):
    app.config["DOCUMENT_MAX_BYTES"] = len(PDF) - 1
    client = client_as("director", unit="ESRSK")
    post(client, "/language", {"lang": "en"})
    response = _upload(client, agreement)
    assert response.status_code == 400 and "The file is too large" in response.get_data(as_text=True)
    assert _rows(app) == []


def test_a_real_pdf_is_stored_outside_the_web_root_and_downloaded_with_its_checksum(app, client_as, agreement,
                                                                                      folder):
    client = client_as("director", unit="ESRSK")
    assert client.get(f"/agreements/{agreement}/documents/new").status_code == 200
    response = _upload(client, agreement, filename='../../Sopimus "ä;ö" <2024>.pdf')
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/agreements/{agreement}#documents")
    sha = hashlib.sha256(PDF).hexdigest()
    ((doc_id, title, version, replaces, confidential, stored_sha),) = _rows(app)
    assert (title, version, replaces, confidential, stored_sha) == ("Allekirjoitettu sopimus", 1, None, False, sha)
    stored = folder / sha[:2] / sha
    assert stored.read_bytes() == PDF
    static = Path(app.static_folder or "").resolve()
    assert static not in stored.resolve().parents

    page = client.get(f"/agreements/{agreement}").get_data(as_text=True)
    assert sha in page and "Allekirjoitettu sopimus" in page

    status, data, headers = _download(client, f"/agreements/{agreement}/documents/{doc_id}")
    assert status == 200 and data == PDF
    assert headers["Content-Type"] == "application/pdf"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".pdf" in disposition
    assert "/" not in disposition and ".." not in disposition and '"ä' not in disposition
    assert headers["Cache-Control"] == "no-store"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view",
                                                           AuditEvent.object_type == "agreement_document"))
        assert event is not None and event.object_id == str(doc_id) and event.actor_id == client.user.id


def test_a_new_version_keeps_the_earlier_ones(app, client_as, agreement):
    client = client_as("director", unit="ESRSK")
    _upload(client, agreement)
    ((first, *_rest),) = _rows(app)
    second_pdf = demo_pdf("Yhteistyösopimus", ["Korjattu versio"])
    page = client.get(f"/agreements/{agreement}/documents/new?replaces={first}").get_data(as_text=True)
    assert f'<option selected value="{first}">' in page or f'value="{first}" selected' in page
    response = _upload(client, agreement, second_pdf, "korjattu.pdf", title="", replaces=str(first))
    assert response.status_code == 302
    rows = _rows(app)
    assert [(r[2], r[3], r[1]) for r in rows] == [(1, None, "Allekirjoitettu sopimus"),
                                                   (2, first, "Allekirjoitettu sopimus")]
    second = rows[1][0]
    assert _download(client, f"/agreements/{agreement}/documents/{first}")[1] == PDF
    assert _download(client, f"/agreements/{agreement}/documents/{second}")[1] == second_pdf
    page = client.get(f"/agreements/{agreement}").get_data(as_text=True)
    assert hashlib.sha256(PDF).hexdigest() in page and hashlib.sha256(second_pdf).hexdigest() in page

    again = _upload(client, agreement, demo_pdf("Kolmas", []), replaces=str(first))
    assert again.status_code == 400  # only the latest version is offered for replacing
    assert len(_rows(app)) == 2
    with app.test_request_context(headers={"Accept-Language": "en"}):
        found = db.session.get(Agreement, agreement)
        user = db.session.get(User, client.user.id)
        with pytest.raises(ServiceError, match="A newer version of this document already exists") as raised:
            documents.add_document(found, demo_pdf("Kolmas", []), "kolmas.pdf", role="signed", title="",
                                   confidential=False, user=user, replaces_id=first)
        assert raised.value.field == "replaces"


def test_confidential_documents_are_hidden_from_staff(app, client_as, agreement, make_agreement):
    director = client_as("director", unit="ESRSK")
    _upload(director, agreement, title="Julkinen liite", role="annex")
    _upload(director, agreement, demo_pdf("Hinnoittelu", ["Vuorokausihinnat"]), "hinnat.pdf",
            title="Hinnoitteluliite", role="annex", confidential="y")
    (public, confidential) = [r[0] for r in _rows(app)]

    staff = client_as("staff", unit="HELV")
    page = staff.get(f"/agreements/{agreement}").get_data(as_text=True)
    section = page[page.index('id="documents"'):page.index("</section>", page.index('id="documents"'))]
    assert "Julkinen liite" in section and "Hinnoitteluliite" not in section
    assert _download(staff, f"/agreements/{agreement}/documents/{public}")[0] == 200
    assert _download(staff, f"/agreements/{agreement}/documents/{confidential}")[0] == 404
    api = staff.get(f"/api/v1/agreements/{agreement}").json
    assert [d["title"] for d in api["documents"]] == ["Julkinen liite"]

    for client in (director, client_as("admin"), client_as("director", unit="LSRSK")):
        assert "Hinnoitteluliite" in client.get(f"/agreements/{agreement}").get_data(as_text=True)
        assert _download(client, f"/agreements/{agreement}/documents/{confidential}")[0] == 200

    other = make_agreement("Toinen sopimus")
    assert director.get(f"/agreements/{other}/documents/{public}").status_code == 404  # not this agreement's
    assert director.get(f"/agreements/{agreement}/documents/999999").status_code == 404
    assert director.get(f"/agreements/{agreement}/documents/99999999999").status_code == 404


def test_only_those_who_may_change_the_agreement_upload(app, client_as, agreement):
    assert client_as("staff").get(f"/agreements/{agreement}/documents/new").status_code == 403
    outside = client_as("director", unit="LSRSK")  # another centre's director
    assert outside.get(f"/agreements/{agreement}/documents/new").status_code == 403
    assert _upload(outside, agreement).status_code == 403
    assert "Add a document" not in outside.get(f"/agreements/{agreement}").get_data(as_text=True)
    assert _upload(client_as("admin"), agreement).status_code == 302
    assert client_as("director", unit="ESRSK").get("/agreements/999999/documents/new").status_code == 404
    assert len(_rows(app)) == 1


def test_replacing_another_agreements_document_is_refused(app, client_as, agreement, make_agreement):
    director = client_as("director", unit="ESRSK")
    other = make_agreement("Toinen sopimus", centres=("ESRSK",))
    _upload(director, other)
    ((foreign, *_rest),) = _rows(app)
    response = _upload(director, agreement, replaces=str(foreign))
    assert response.status_code == 400
    assert len(_rows(app)) == 1


def test_the_history_does_not_reveal_confidential_documents_to_staff(app, client_as, agreement):
    _upload(client_as("director", unit="ESRSK"), agreement, title="Hinnoitteluliite", role="annex",
            confidential="y")
    page = client_as("staff").get(f"/agreements/{agreement}").get_data(as_text=True)
    assert "Hinnoitteluliite" not in page
