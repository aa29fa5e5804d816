"""Import of partners and contacts: reading files, column guesses, the dry-run report, all-or-nothing commit."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.core.models import AuditEvent, Job, User
from registry.directory import transfer, uploads
from registry.directory.models import Contact, Partner, PartnerCategory, PartnerLevel
from registry.extensions import db
from tests.conftest import csrf_token, post

pytestmark = pytest.mark.usefixtures("english")  # these tests read the English messages

VALID = ["1234560-4", "1234561-2", "1234562-0", "1234563-9"]


def _csv(lines: list[str], *, encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def folder(app, tmp_path) -> Path:
    """Uploads go to the test's own folder, not the instance folder."""
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    return tmp_path / "imports"


@pytest.fixture
def director(client_as, app):
    return client_as("director", unit="ESRSK")


def _commit(client, upload_id: str) -> str:
    """Start the commit and wait for its background job to finish; returns the job page."""
    response = post(client, f"/directory/import/{upload_id}/commit")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    deadline = time.monotonic() + 30
    while client.get(response.headers["Location"] + ".json").get_json()["status"] in {"queued", "running"}:
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.05)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _upload(client, data: bytes, name: str, kind: str = "partners"):
    return client.post("/directory/import", data={"kind": kind, "file": (io.BytesIO(data), name),
                                                  "csrf_token": csrf_token(client)},
                       content_type="multipart/form-data")


def _upload_id(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/directory/import/([0-9a-f]{32})/mapping", response.headers["Location"])
    assert match
    return match.group(1)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- reading and guessing ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    _csv(["Nimi;Y-tunnus", "Ääneseudun yhdistys ry;1234560-4"]),  # UTF-8 with BOM, Finnish Excel
    _csv(["Nimi,Y-tunnus", "Ääneseudun yhdistys ry,1234560-4"], encoding="utf-8"),  # no BOM, commas
    _csv(["Nimi;Y-tunnus", "Ääneseudun yhdistys ry;1234560-4"], encoding="cp1252"),  # older Excel "CSV"
    _csv(["Nimi\tY-tunnus", "Ääneseudun yhdistys ry\t1234560-4"], encoding="utf-16"),  # "Unicode text"
], ids=["utf8-bom-semicolon", "utf8-comma", "windows-1252", "utf16-tab"])
def test_csv_encodings_and_delimiters_are_read(data):
    table = uploads.read_table(data, "csv")
    assert table.headers == ["Nimi", "Y-tunnus"]
    assert table.rows == [["Ääneseudun yhdistys ry", "1234560-4"]]


def test_xlsx_is_read_with_numbers_as_text():
    table = uploads.read_table(_xlsx([["Nimi", "Puhelin", None], ["Åbo Akademi", 358401234567, None],
                                       [None, None, None]]), "xlsx")
    assert table.headers == ["Nimi", "Puhelin", "Column 3"]
    assert table.rows == [["Åbo Akademi", "358401234567", ""]]


@pytest.mark.parametrize("data,ext,message", [
    (b"", "csv", "empty"),
    (b"Nimi\r\n", "csv", "no rows"),
    (b"\x00\x01\x02binary", "csv", "not a text"),
    (b"Nimi;X\r\nabc;d", "xlsx", "not an Excel workbook"),
    (b"PK\x03\x04broken zip", "xlsx", "could not be read"),
    (("Nimi\r\n" + "x\r\n" * (uploads.MAX_ROWS + 1)).encode(), "csv", "at most"),
])
def test_unusable_files_are_refused_with_a_message(app, data, ext, message):
    with app.test_request_context(headers={"Accept-Language": "en"}), pytest.raises(uploads.ImportFileError) as error:
        uploads.read_table(data, ext)
    assert message in error.value.message and error.value.field == "file"


def test_columns_are_guessed_from_finnish_swedish_and_english_headers():
    partners = transfer.guess_mapping("partners", ["Nimi", "Namn på svenska", "Y-tunnus", "Kategoria",
                                                   "Hyvinvointialueet", "Teemat", "WWW", "Muuta"])
    assert partners == {"name_fi": 0, "name_sv": 1, "business_id": 2, "category": 3, "regions": 4,
                        "themes": 5, "website": 6}
    contacts = transfer.guess_mapping("contacts", ["Nimi", "Sähköposti", "Puhelin", "Matkapuhelin",
                                                   "Organisaatio", "Y-tunnus", "Yksikkö", "Julkinen", "Titel"])
    assert contacts == {"name": 0, "email": 1, "phone": 2, "mobile": 3, "partner_name": 4,
                        "partner_business_id": 5, "unit_code": 6, "public": 7, "title": 8}
    english = transfer.guess_mapping("contacts", ["Name", "E-mail", "Phone", "Organisation"])
    assert english == {"name": 0, "email": 1, "phone": 2, "partner_name": 3}


# --- the dry run and the commit ----------------------------------------------------------------------


def test_a_file_with_errors_is_reported_by_row_and_column_and_nothing_is_saved(app, reference, director,
                                                                              make_partner):
    make_partner("Olemassa oleva ry", business_id=VALID[3])
    data = _csv([
        "Nimi;Y-tunnus;Kategoria;Hyvinvointialueet;Verkkosivut",
        f"Hyvä yhdistys ry;{VALID[0]};association;HKI;www.hyva.fi",  # row 2: fine
        "Tarkiste väärin ry;1234560-5;association;HKI;",  # row 3: business ID check digit
        "Outo ry;;sirkus;HKI;",  # row 4: unknown category
        "Kaukana ry;;association;Atlantis;",  # row 5: unknown region
        f";{VALID[1]};association;HKI;",  # row 6: name missing
        f"Toinen kerta ry;{VALID[0]};association;;",  # row 7: same business ID as row 2
        "Hyvä yhdistys ry;;association;;javascript:alert(1)",  # row 8: same name as row 2, bad web address
    ])
    upload_id = _upload_id(_upload(director, data, "kumppanit.csv"))
    mapping = director.get(f"/directory/import/{upload_id}/mapping")
    assert mapping.status_code == 200 and 'selected' in mapping.get_data(as_text=True)
    preview = director.get(f"/directory/import/{upload_id}/preview")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    found = {(int(r), c) for r, c, _m in rows}
    for expected in [(3, "Y-tunnus"), (4, "Kategoria"), (5, "Hyvinvointialueet"), (6, "Nimi"), (7, "Y-tunnus"),
                     (8, "Nimi"), (8, "Verkkosivut")]:
        assert expected in found, (expected, found)
    assert (2, "Y-tunnus") not in found
    assert "sirkus" in page and "Atlantis" in page and "row 2" in page
    assert "Save all rows" not in page  # no commit button while there are errors

    # A commit anyway (e.g. a crafted request) checks again, saves nothing and reports the same errors.
    before = _count(app, Partner)
    job_page = _commit(director, upload_id)
    assert "Nothing was saved" in job_page and "Tarkiste" not in job_page and "Kategoria" in job_page
    assert _count(app, Partner) == before
    with app.app_context():
        job = db.session.scalars(select(Job)).one()
        assert job.result["committed"] is False and job.result["counts"]["error"] == 6
        assert {(e["row"], e["column"]) for e in job.result["errors"]} >= {(3, "Y-tunnus"), (4, "Kategoria")}


def test_contact_errors_name_rows_and_columns(app, folder, reference, director, make_partner):
    make_partner("Kumppani ry", business_id=VALID[0])
    data = _csv([
        "Nimi;Sähköposti;Puhelin;Y-tunnus;Yksikkö;Julkinen",
        f"Maija Meikäläinen;maija@example.fi;040 123 4567;{VALID[0]};;kyllä",  # row 2: fine
        f"Virhe Posti;ei-osoite;;{VALID[0]};;",  # row 3: e-mail
        f"Virhe Puhelin;p@example.fi;123;{VALID[0]};;",  # row 4: phone
        f"Tuntematon Kumppani;t@example.fi;;{VALID[1]};;",  # row 5: no such partner
        "Väärä Yksikkö;v@example.fi;;;XYZ;",  # row 6: no such unit
        "Muu Keskus;m@example.fi;;;TURV;",  # row 7: a unit outside the director's scope
        f"Kaksi Paikkaa;k@example.fi;;{VALID[0]};HELV;",  # row 8: both partner and unit
        f"Toinen Maija;MAIJA@example.fi;;{VALID[0]};;",  # row 9: same e-mail as row 2
        f"Julkisuus;j@example.fi;;{VALID[0]};;ehkä",  # row 10: public flag
    ])
    upload_id = _upload_id(_upload(director, data, "yhteystiedot.csv", "contacts"))
    with app.app_context():
        upload = uploads.load_upload(folder, upload_id, director.user.id)
        user = db.session.get(User, director.user.id)
        report = transfer.check_import("contacts", uploads.read_table(upload.path(
            folder).read_bytes(), "csv"), upload.mapping, user)
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "Sähköposti"), (4, "Puhelin"), (5, "Y-tunnus"), (6, "Yksikkö"), (7, "Yksikkö"),
                     (8, "Yksikkö"), (9, "Sähköposti"), (10, "Julkinen")}
    assert report.counts == {"create": 1, "update": 0, "skip": 0, "error": 8}
    before = _count(app, Contact)
    assert "Nothing was saved" in _commit(director, upload_id)
    assert _count(app, Contact) == before


def test_a_clean_partner_file_is_previewed_then_committed(app, folder, reference, director, make_partner):
    existing = make_partner("Vanha nimi ry", business_id=VALID[0], regions=("HKI",))
    unchanged = make_partner("Muuttumaton säätiö sr", business_id=VALID[1], category=PartnerCategory.FOUNDATION,
                             level=PartnerLevel.NATIONAL)
    make_partner("Kriminaalihuollon tukisäätiö sr")
    data = _xlsx([
        ["Nimi", "Namn på svenska", "Y-tunnus", "Kategoria", "Taso", "Alueet", "Teemat"],
        ["Uusi nimi ry", "Nytt namn rf", VALID[0], "Association", "regional", "HKI; Keski-Uudenmaan hyvinvointialue",
         ""],
        ["Muuttumaton säätiö sr", None, VALID[1], "foundation", "national", None, None],
        ["Kriminaalihuollon tukisaatio", None, VALID[2], "säätiö", "valtakunnallinen", None, "housing"],
        [None, None, None, None, None, None, None],
        ["Åland-föreningen rf", None, None, None, None, "ITU, LSU", None],
    ])
    upload_id = _upload_id(_upload(director, data, "../../etc/kumppanit.xlsx"))
    assert (folder / f"{upload_id}.xlsx").exists()  # stored under the random name, not the client's path
    page = director.get(f"/directory/import/{upload_id}/preview").get_data(as_text=True)
    assert "kumppanit.xlsx" in page and "etc/" not in page
    with app.app_context():
        upload = uploads.load_upload(folder, upload_id, director.user.id)
        report = transfer.check_import("partners", uploads.read_table(upload.path(folder).read_bytes(), "xlsx"),
                                       upload.mapping, db.session.get(User, director.user.id))
    assert report.errors == []
    assert report.counts == {"create": 2, "update": 1, "skip": 2, "error": 0}
    warnings = {(w.row, w.column): w.message for w in report.warnings}
    assert "Kriminaalihuollon tukisäätiö sr" in warnings[(4, "Nimi")]  # similar name in the registry
    assert (6, "Kategoria") in warnings  # no category: saved as "Other"

    assert "The import was saved." in _commit(director, upload_id)
    with app.app_context():
        updated = db.session.get(Partner, existing)
        assert updated.name_fi == "Uusi nimi ry" and updated.name_sv == "Nytt namn rf"
        assert sorted(r.code for r in updated.regions) == ["HKI", "KEU"]
        assert db.session.get(Partner, unchanged).name_fi == "Muuttumaton säätiö sr"
        new = db.session.scalar(select(Partner).where(Partner.business_id == VALID[2]))
        assert new.category is PartnerCategory.FOUNDATION and new.level is PartnerLevel.NATIONAL
        assert [t.code for t in new.themes] == ["housing"]
        aland = db.session.scalar(select(Partner).where(Partner.name_fi == "Åland-föreningen rf"))
        assert aland.category is PartnerCategory.OTHER and aland.level is PartnerLevel.REGIONAL
        assert sorted(r.code for r in aland.regions) == ["ITU", "LSU"]
        job = db.session.scalars(select(Job)).one()
        assert job.status == "done" and job.done == job.total == 10 and job.result["committed"] is True
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
        assert len(events) == 1 and events[0].actor_id == director.user.id
        created = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "partner",
                                                             AuditEvent.object_id == str(new.id),
                                                             AuditEvent.action == "create"))
        assert created.actor_id == director.user.id  # audited as the director, not as "system"
    assert not list(folder.glob(f"{upload_id}.*"))  # the file is deleted after the commit
    assert director.get(f"/directory/import/{upload_id}/preview").status_code == 404


def test_contacts_are_created_and_updated_through_the_same_rules(app, reference, director, make_partner,
                                                                 make_contact):
    partner = make_partner("Kumppani ry", business_id=VALID[0])
    make_partner("Nimellä löytyvä ry")
    known = make_contact("Maija Meikäläinen", partner_id=partner, email="maija@example.fi", phone="09 123 4567",
                         keywords=("vanha",))
    data = _csv([
        "Nimi;Titteli;Sähköposti;Puhelin;Matkapuhelin;Asiasanat;Y-tunnus;Organisaatio;Yksikkö;Julkinen",
        f'Maija Meikäläinen;Päällikkö;maija@example.fi;;+358 40 123 4567;"päihteet, asuminen";{VALID[0]};;;kyllä',
        "Pekka Pöllö;;pekka@example.fi;+46 8 123 456 78;;;;nimellä löytyvä ry;;",
        "Helsingin postilaatikko;;helv@rise.example;029 56 88500;;;;;HELV;x",
    ])
    upload_id = _upload_id(_upload(director, data, "yhteystiedot.csv", "contacts"))
    page = director.get(f"/directory/import/{upload_id}/preview").get_data(as_text=True)
    assert "Save all rows" in page, re.findall(r"<tr><td>.*?</tr>", page)
    assert "The import was saved." in _commit(director, upload_id)
    with app.app_context():
        maija = db.session.get(Contact, known)
        assert maija.title == "Päällikkö" and maija.mobile == "+358401234567"
        assert maija.phone == "+35891234567" and maija.public is True
        assert [k.name for k in maija.keywords] == ["asuminen", "päihteet"]
        pekka = db.session.scalar(select(Contact).where(Contact.email == "pekka@example.fi"))
        assert pekka.partner.name_fi == "Nimellä löytyvä ry" and pekka.phone == "+46812345678"
        assert pekka.public is False
        box = db.session.scalar(select(Contact).where(Contact.email == "helv@rise.example"))
        assert box.unit.code == "HELV" and box.public is True and box.phone == "+358295688500"


def test_an_exported_list_imports_back_unchanged(app, folder, reference, director, make_partner):
    make_partner("Vientiyhdistys ry", business_id=VALID[0], regions=("HKI", "ITU"), themes=("housing",),
                 website="https://www.vienti.fi", name_sv="Exportföreningen rf")
    exported = director.get("/directory/partners.csv").get_data()
    upload_id = _upload_id(_upload(director, exported, "partners.csv"))
    with app.app_context():
        upload = uploads.load_upload(folder, upload_id, director.user.id)
        report = transfer.check_import("partners", uploads.read_table(upload.path(folder).read_bytes(), "csv"),
                                       upload.mapping, db.session.get(User, director.user.id))
    assert report.errors == [] and report.counts["skip"] == 1 and report.counts["update"] == 0


# --- upload checks, access and clean-up ---------------------------------------------------------------


def test_bad_uploads_get_a_message_next_to_the_field(app, folder, reference, director, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 256 * 1024)  # keeps the test request in memory
    for data, name, text in [(b"Nimi\r\nX\r\n", "kumppanit.pdf", "Choose a CSV"),
                             (b"x" * (uploads.MAX_UPLOAD_BYTES + 1), "iso.csv", "larger than"),
                             (b"Nimi;X\r\n", "tyhja.csv", "no rows")]:
        response = _upload(director, data, name)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert 'class="field-error" id="file-error"' in page and text in page
    assert _upload(director, b"", "").status_code == 400
    assert not list((folder).glob("*.csv"))


def test_mapping_must_name_the_required_columns(app, reference, director):
    upload_id = _upload_id(_upload(director, _csv(["Sarake;Toinen", "a;b"]), "x.csv"))
    assert director.get(f"/directory/import/{upload_id}/preview").status_code == 302  # to the mapping
    response = post(director, f"/directory/import/{upload_id}/mapping", {"name_fi": "", "business_id": "1"})
    assert response.status_code == 400 and "Choose the column" in response.get_data(as_text=True)
    response = post(director, f"/directory/import/{upload_id}/mapping", {"name_fi": "0", "name_sv": "0"})
    assert response.status_code == 400 and "already used" in response.get_data(as_text=True)
    response = post(director, f"/directory/import/{upload_id}/mapping", {"name_fi": "99"})
    assert response.status_code == 400
    response = post(director, f"/directory/import/{upload_id}/mapping", {"name_fi": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/preview")


def test_uploads_belong_to_their_uploader_and_roles_are_enforced(app, reference, director, client_as):
    upload_id = _upload_id(_upload(director, _csv(["Nimi", "A ry"]), "a.csv"))
    other = client_as("admin")
    assert other.get(f"/directory/import/{upload_id}/mapping").status_code == 404
    assert other.get("/directory/import/not-an-id/preview").status_code == 404
    staff = client_as("staff")
    assert staff.get("/directory/import").status_code == 403
    assert staff.get(f"/directory/import/{upload_id}/preview").status_code == 403
    staff_page = staff.get("/directory/transfer").get_data(as_text=True)
    assert "/directory/import" not in staff_page and "/directory/partners.csv" in staff_page
    assert "/directory/import" in director.get("/directory/transfer").get_data(as_text=True)
    response = post(director, f"/directory/import/{upload_id}/cancel")
    assert response.status_code == 302
    assert director.get(f"/directory/import/{upload_id}/mapping").status_code == 404


def test_old_uploads_are_deleted_after_a_day(app, tmp_path):
    with app.test_request_context():
        upload = uploads.store_upload(tmp_path, b"Nimi\r\nA\r\n", kind="partners", ext="csv", user_id=1,
                                       filename="C:\\Users\\x\\a.csv")
        assert upload.filename == "a.csv"
        assert uploads.load_upload(tmp_path, upload.id, 1) is not None
        assert uploads.load_upload(tmp_path, upload.id, 2) is None
        old = time.time() - 25 * 3600
        for path in tmp_path.iterdir():
            os.utime(path, (old, old))
        fresh = uploads.store_upload(tmp_path, b"Nimi\r\nB\r\n", kind="partners", ext="csv", user_id=1,
                                      filename="b.csv")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{fresh.id}.csv", f"{fresh.id}.json"])
