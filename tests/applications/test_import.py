"""Import of existing applications from a Webropol CSV export: mapping, preview, confirm, report, re-import."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.applications import webropol
from registry.applications.models import ApplicantForm, Application, ApplicationSource, ApplicationStatus, Funder
from registry.core.models import AuditEvent, OutboxMessage
from registry.directory import uploads
from registry.directory.models import Partner
from registry.extensions import db
from registry.i18n import HELSINKI
from tests.conftest import csrf_token, post

pytestmark = pytest.mark.usefixtures("english", "reference")  # these tests read the English messages

HEADER = ("Vastausaika;Organisaation nimi;Y-tunnus;Organisaatiomuoto;Yhteyshenkilö;Sähköposti;Puhelin;"
          "Hankkeen nimi;Kuvaus;Tarve;Kohderyhmät;Yksiköt;Rahoittaja;Vankilatyö;Sähköiset palvelut")
ROWS = [
    '12.3.2024 10:15;Polku ry;1572860-0;Rekisteröity yhdistys;Maija Meikäläinen;maija@polku.example;040 123 4567;'
    'Vapautuvien asumisen tuki;"Tuemme vapautuvien asumista.\nMonta riviä.";Asunnottomuus;Vapautuvat;'
    '"Helsingin vankila; Vantaan vankila";STEA;Kyllä;Ei',
    "13.3.2024;Voitto Oy;0737546-2;Osakeyhtiö;Olli Omistaja;olli@voitto.example;;Kaupallinen valmennus;"
    "Valmennusta.;;;HELV;ESR;ei;kyllä",
    "14.3.2024;Virhe ry;1234567-8;yhdistys;Vera Virhe;ei-osoite;;Virheellinen hanke;Kuvaus.;;;Kuun vankila;STEA;"
    "ehkä;ei",
    ";;;;;;;;;;;;;;",
    '12.3.2024 18:00;POLKU RY;1572860-0;yhdistys;Maija Meikäläinen;maija@polku.example;;Vapautuvien asumisen tuki;'
    'Sama uudelleen.;;;HELV;STEA;kyllä;ei',
    "1.2.2023;Kylän seurakunta;;Seurakunta;Pekka Pappi;pekka@srk.example;;Vankilavierailut;Vierailuja.;;;;"
    "Kunnan avustus;kyllä;ei",
]


def _csv(lines: list[str], *, encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture(autouse=True)
def folder(app: Flask, tmp_path: Path) -> Path:
    """Uploads go to the test's own folder, not the instance folder."""
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    return tmp_path / "imports" / "applications"


def _upload(client: FlaskClient, data: bytes, name: str = "webropol.csv"):
    return client.post("/applications/import", data={"file": (io.BytesIO(data), name),
                                                      "csrf_token": csrf_token(client)},
                       content_type="multipart/form-data")


def _upload_id(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    match = re.search(r"/applications/import/([0-9a-f]{32})/mapping", response.headers["Location"])
    assert match
    return match.group(1)


def _count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def _confirm_mapping(client: FlaskClient, upload_id: str) -> None:
    """Accept the suggested columns (the form shows them selected)."""
    page = client.get(f"/applications/import/{upload_id}/mapping").get_data(as_text=True)
    chosen = dict(re.findall(r'<select[^>]*name="(\w+)"[^>]*>(?:(?!</select>).)*?<option selected value="(\d*)"',
                             page, re.S))
    response = post(client, f"/applications/import/{upload_id}/mapping", chosen)
    assert response.status_code == 302 and response.headers["Location"].endswith("/preview")


def _import(client: FlaskClient, data: bytes) -> tuple[str, str]:
    upload_id = _upload_id(_upload(client, data))
    _confirm_mapping(client, upload_id)
    response = post(client, f"/applications/import/{upload_id}/preview")
    assert response.status_code == 302 and response.headers["Location"].endswith("/report")
    return upload_id, client.get(response.headers["Location"]).get_data(as_text=True)


# --- pure helpers ---------------------------------------------------------------------------------------------


def test_mapping_is_suggested_from_finnish_swedish_and_english_headers(app):
    with app.test_request_context():
        fi = webropol.suggest_mapping(HEADER.split(";"))
        assert fi == {"submitted_at": 0, "organisation_name": 1, "business_id": 2, "applicant_form": 3,
                      "contact_name": 4, "contact_email": 5, "contact_phone": 6, "project_name": 7,
                      "description": 8, "need": 9, "target_groups": 10, "units": 11, "funder": 12,
                      "prison_work": 13, "e_services": 14}
        sv = webropol.suggest_mapping(["Organisationens namn", "FO-nummer", "Kontaktperson", "E-post",
                                       "Projektets namn", "Beskrivning", "Finansiär", "Enheter"])
        assert sv == {"organisation_name": 0, "business_id": 1, "contact_name": 2, "contact_email": 3,
                      "project_name": 4, "description": 5, "funder": 6, "units": 7}
        en = webropol.suggest_mapping(["Organisation name", "Business ID", "Contact person", "Email",
                                       "Project name", "Description", "Funder", "Legal form", "Language"])
        assert en["project_name"] == 4 and en["applicant_form"] == 7 and en["language"] == 8
        numbered = webropol.suggest_mapping(["1. Organisaation nimi *", "2. Y-tunnus (jos on)", "Q3 Hankkeen nimi"])
        assert numbered == {"organisation_name": 0, "business_id": 1, "project_name": 2}
        assert set(webropol.mapping_problems({"organisation_name": 0})) == {
            "contact_name", "contact_email", "project_name", "description"}
        assert "project_name" in webropol.mapping_problems({**fi, "project_name": 1})  # a column used twice


def test_cell_readers(app):
    assert webropol.parse_datetime("12.3.2024 10:15") == datetime(2024, 3, 12, 10, 15, tzinfo=HELSINKI)
    assert webropol.parse_datetime("2024-03-12T10:15:30") == datetime(2024, 3, 12, 10, 15, 30, tzinfo=HELSINKI)
    assert webropol.parse_datetime("12.3.2024").date() == date(2024, 3, 12)
    assert webropol.parse_datetime("31.2.2024") is None and webropol.parse_datetime("eilen") is None
    assert webropol.parse_funder("STEA-avustus") == (Funder.STEA, None)
    assert webropol.parse_funder("Euroopan sosiaalirahasto (ESR)") == (Funder.ESR, None)
    assert webropol.parse_funder("Kunnan avustus") == (Funder.OTHER, "Kunnan avustus")
    assert [webropol.parse_flag(v) for v in ("Kyllä", "ja", "X", "ei", "", "Nej", "ehkä")] == [
        True, True, True, False, False, False, None]
    with app.test_request_context():
        assert webropol.parse_applicant_form("Rekisteröity yhdistys") is ApplicantForm.ASSOCIATION
        assert webropol.parse_applicant_form("Registered association") is ApplicantForm.ASSOCIATION
        assert webropol.parse_applicant_form("kuntayhtymä") is ApplicantForm.JOINT_MUNICIPAL_AUTHORITY
        assert webropol.parse_applicant_form("Yhteiskunnallinen yritys") is ApplicantForm.SOCIAL_ENTERPRISE
        assert webropol.parse_applicant_form("Osakeyhtiö") is ApplicantForm.COMPANY
        assert webropol.parse_applicant_form("private_person") is ApplicantForm.PRIVATE_PERSON
        assert webropol.parse_applicant_form("avaruusolio") is None
        assert webropol.form_from_name("Tukisäätiö sr") is ApplicantForm.FOUNDATION
        assert webropol.form_from_name("Polku ry") is ApplicantForm.ASSOCIATION
        assert webropol.form_from_name("Polku") is None


# --- the pages ------------------------------------------------------------------------------------------------


def test_upload_mapping_preview_confirm_and_report(app, working_group_client, folder):
    client = working_group_client
    upload_id = _upload_id(_upload(client, _csv([HEADER, *ROWS])))
    mapping_page = client.get(f"/applications/import/{upload_id}/mapping").get_data(as_text=True)
    assert "Choose the columns" in mapping_page and "Polku ry" in mapping_page  # the first rows of the file
    _confirm_mapping(client, upload_id)

    preview = client.get(f"/applications/import/{upload_id}/preview")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Nothing has been saved yet." in page
    assert "Import 3 applications" in page
    assert "This is not a valid business ID" in page and "This is not a valid e-mail address" in page
    assert "Unknown Rise unit “Kuun vankila”" in page and "Write yes or no" in page
    assert "The same application is also on row 2." in page
    assert "No funder given" not in page and "No Rise unit named" in page  # a warning for row 7
    assert _count(app, Application) == 0  # the preview writes nothing

    response = post(client, f"/applications/import/{upload_id}/preview")
    assert response.status_code == 302
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import report" in report
    assert "PK-2024-0001" in report and "PK-2024-0002" in report and "PK-2023-0001" in report
    assert "Not imported: errors" in report, report
    assert "Already imported" in report
    with app.app_context():
        imported = {a.project_name: a for a in db.session.scalars(select(Application))}
        assert set(imported) == {"Vapautuvien asumisen tuki", "Kaupallinen valmennus", "Vankilavierailut"}
        first = imported["Vapautuvien asumisen tuki"]
        assert first.source is ApplicationSource.IMPORT and first.status is ApplicationStatus.RECEIVED
        assert first.submitted_at == datetime(2024, 3, 12, 10, 15, tzinfo=HELSINKI)
        assert first.reference == "PK-2024-0001" and first.applicant_form is ApplicantForm.ASSOCIATION
        assert sorted(u.code for u in first.units) == ["HELV", "VANV"]
        assert first.description == "Tuemme vapautuvien asumista.\nMonta riviä."
        assert first.prison_work is True and first.e_services is False and first.funder is Funder.STEA
        assert first.contact_phone == "+358401234567" and first.business_id == "1572860-0"
        assert first.partner is not None and first.partner.active is False  # a pending partner
        company = imported["Kaupallinen valmennus"]
        assert company.applicant_form is ApplicantForm.COMPANY and company.e_services is True
        assert company.funder is Funder.ESR
        parish = imported["Vankilavierailut"]
        assert parish.funder is Funder.OTHER and parish.funder_other == "Kunnan avustus" and parish.units == []
        assert parish.applicant_form is ApplicantForm.PARISH and parish.business_id is None
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # no e-mail to old applicants
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
        assert "imported 3" in audit.note
    assert not (folder / f"{upload_id}.csv").exists()  # the upload is deleted, the report stays for a day

    csv_report = client.get(f"/applications/import/{upload_id}/report.csv")
    assert csv_report.status_code == 200 and csv_report.mimetype == "text/csv"
    text = csv_report.get_data().decode("utf-8-sig")
    assert "PK-2024-0001" in text and "Unknown Rise unit" in text
    assert text.splitlines()[0].startswith("Row;")


def test_importing_the_same_file_twice_creates_nothing_new(app, working_group_client):
    data = _csv([HEADER, *ROWS])
    _import(working_group_client, data)
    before = _count(app, Application), _count(app, Partner)
    _upload_id_again, report = _import(working_group_client, data)
    assert (_count(app, Application), _count(app, Partner)) == before == (3, 3)
    assert report.count("Already imported") >= 4  # the three imported rows and the duplicate row
    assert "is already in the registry" in report


def test_a_row_is_imported_whole_or_not_at_all(app, working_group_client, monkeypatch):
    from registry.applications import intake
    from registry.core.services import ServiceError

    original = intake.submit_application

    def failing(data, **kwargs):  # the second valid row fails while being saved
        if data["project_name"] == "Kaupallinen valmennus":
            original(data, **kwargs)
            raise ServiceError("boom")
        return original(data, **kwargs)

    monkeypatch.setattr(intake, "submit_application", failing)
    _upload_id_, report = _import(working_group_client, _csv([HEADER, *ROWS]))
    assert "boom" in report
    with app.app_context():
        names = set(db.session.scalars(select(Application.project_name)))
        assert names == {"Vapautuvien asumisen tuki", "Vankilavierailut"}
        assert db.session.scalar(select(func.count()).select_from(Partner).where(
            Partner.business_id == "0737546-2")) == 0  # its pending partner went with it


def test_comma_separated_without_bom_and_legal_form_from_the_name(app, working_group_client):
    lines = ["Organisation name,Contact person,Email,Project name,Description,Units,Submitted",
             'Tukisäätiö sr,Sanna S,sanna@tuki.example,Tukihanke,"Kuvaus, jossa pilkku.",HELV,2025-05-05']
    _upload_id_, report = _import(working_group_client, _csv(lines, encoding="utf-8"))
    assert "Legal form taken from the organisation" in report
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.applicant_form is ApplicantForm.FOUNDATION
        assert application.description == "Kuvaus, jossa pilkku." and application.reference == "PK-2025-0001"


def test_the_mapping_must_name_the_required_columns(app, working_group_client):
    client = working_group_client
    upload_id = _upload_id(_upload(client, _csv([HEADER, ROWS[0]])))
    response = post(client, f"/applications/import/{upload_id}/mapping", {"organisation_name": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the column that holds this field." in page and 'class="error-summary"' in page
    assert client.get(f"/applications/import/{upload_id}/preview").status_code == 200  # still the saved guess


@pytest.mark.parametrize("data,name,message", [
    (b"", "empty.csv", "The file is empty"),
    (b"\x00\x01\x02binary\x00", "broken.csv", "not a text (CSV) file"),
    (b"Organisaation nimi;Hankkeen nimi\r\n", "headers.csv", "no rows to import"),
    (b"PK\x03\x04zip", "export.xlsx", "Choose the CSV file"),
    (b"a;b\r\n1;2\r\n", "notes.txt", "Choose the CSV file"),
])
def test_broken_files_get_a_message(app, working_group_client, data, name, message):
    response = _upload(working_group_client, data, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'class="error-summary"' in page


def test_windows_encoded_file_is_read(app, working_group_client):
    lines = [HEADER, ROWS[1]]
    _upload_id_, report = _import(working_group_client, _csv(lines, encoding="cp1252"))
    assert "PK-2024-0001" in report


def test_too_many_rows(app, working_group_client, monkeypatch):
    monkeypatch.setattr(webropol, "MAX_ROWS", 2)
    response = _upload(working_group_client, _csv([HEADER, *ROWS]))
    assert response.status_code == 400 and "import at most 2 rows" in response.get_data(as_text=True)


def test_only_the_uploader_sees_the_upload_and_the_report(app, working_group_client, client_as):
    upload_id, _report = _import(working_group_client, _csv([HEADER, ROWS[0]]))
    other = client_as("working_group")
    assert other.get(f"/applications/import/{upload_id}/report").status_code == 404
    assert other.get(f"/applications/import/{upload_id}/report.csv").status_code == 404
    second = _upload_id(_upload(working_group_client, _csv([HEADER, ROWS[1]])))
    assert other.get(f"/applications/import/{second}/mapping").status_code == 404
    assert post(other, f"/applications/import/{second}/preview").status_code == 404
    assert _count(app, Application) == 1
    assert client_as("staff").get("/applications/import").status_code == 403
    assert working_group_client.get("/applications/import/not-an-id/report").status_code == 404


def test_confirming_twice_imports_once(app, working_group_client):
    upload_id, _report = _import(working_group_client, _csv([HEADER, ROWS[0]]))
    again = post(working_group_client, f"/applications/import/{upload_id}/preview")
    assert again.status_code == 302 and again.headers["Location"].endswith("/report")
    assert _count(app, Application) == 1


def test_cancel_deletes_the_upload(app, working_group_client, folder):
    upload_id = _upload_id(_upload(working_group_client, _csv([HEADER, ROWS[0]])))
    assert (folder / f"{upload_id}.csv").exists()
    response = post(working_group_client, f"/applications/import/{upload_id}/cancel")
    assert response.status_code == 302
    assert not (folder / f"{upload_id}.csv").exists()
    assert working_group_client.get(f"/applications/import/{upload_id}/mapping").status_code == 404


def test_hostile_cells_are_kept_and_escaped(app, working_group_client):
    lines = [HEADER, "1.1.2025;<script>alert(1)</script> ry;;yhdistys;=cmd|' /C calc'!A0;x@y.example;;"
                     "\u202eHanke;\"'; DROP TABLE application; --\";;;HELV;STEA;ei;ei"]
    upload_id, report = _import(working_group_client, _csv(lines))
    assert "<script>alert(1)" not in report and "&lt;script&gt;" in report
    text = working_group_client.get(f"/applications/import/{upload_id}/report.csv").get_data().decode("utf-8-sig")
    assert "=cmd" not in text.split("\n", 1)[1].split(";")[1][:1]  # no cell starts a formula
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.contact_name == "=cmd|' /C calc'!A0" and application.project_name == "\u202eHanke"


def test_uploads_module_is_reused(app):
    # The application import keeps its uploads with the directory's helpers under its own kind.
    assert webropol.KIND not in ("partners", "contacts") and uploads.MAX_UPLOAD_BYTES >= 1024 * 1024
