"""Finnish-aware search: compound words, diacritics, ranking, hostile input, index upkeep, pages, suggestions.

The same tests run on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm) with TEST_DATABASE_URL.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import delete, select

from registry.directory import search, services
from registry.directory.models import (
    Contact,
    ContactKind,
    Keyword,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
    SearchDocument,
    Theme,
)
from registry.extensions import db

HOSTILE = ['"', '"kokemus', 'kokemus"', '""', "'", "AND", "kokemus AND", "AND OR NOT", "NEAR(",
           "NEAR(kokemus asiantuntija", "NEAR(kokemus, 2)", "col:val", "folded:kokemus", "search_fts:x", "-x",
           "-kokemus", "*", "kokemus*", "^kokemus", "😀", "😀kokemus😀", "x" * 2000, "kokemus " * 300,
           "'; DROP TABLE partner; --", "%", "_", "\\", "a%b_c\\", "%%%kokemus", "{}", "()", "[", "\u202e",
           "ä\u0308", "ǅ", "\t\n", "   ", "", "1=1", "kokemus OR 1", "NOT kokemus"]
FINDS_KOKEMUS = ['"kokemus', 'kokemus"', "kokemus AND", "-kokemus", "kokemus*", "^kokemus", "😀kokemus😀",
                 "kokemus " * 300, "%%%kokemus"]


def titles(q: str, **kwargs) -> list[str]:
    return [r.title for r in search.search(q, **kwargs)[1]]


@pytest.fixture
def finnish(app, reference, make_partner, make_contact):
    """A small Finnish directory: compound words, ä/ö, Swedish names, a mailbox and a Rise unit contact."""
    ids = {
        "kokemus": make_partner("Kokemusasiantuntijat ry", name_sv="Erfarenhetsexperterna rf", regions=("PIR",),
                                themes=("substance_mental",), business_id="0116297-6"),
        "hml": make_partner("Hämeenlinnan kaupunki", category=PartnerCategory.MUNICIPALITY,
                            level=PartnerLevel.LOCAL, regions=("KAH",)),
        "hml_oy": make_partner("Hameenlinna Consulting Oy", category=PartnerCategory.COMPANY,
                               level=PartnerLevel.NATIONAL),
        "krits": make_partner("Kriminaalihuollon tukisäätiö sr", category=PartnerCategory.FOUNDATION,
                              level=PartnerLevel.NATIONAL, themes=("housing",)),
    }
    ids["maija"] = make_contact("Maija Meikäläinen", partner_id=ids["kokemus"], title="Kokemusasiantuntija",
                                email="maija@kokemus.example", keywords=("vertaistuki", "päihdetyö"),
                                public=True)
    ids["mailbox"] = make_contact("Asumisneuvonta", partner_id=ids["krits"], kind=ContactKind.MAILBOX,
                                  email="asuminen@krits.example", public=True)
    ids["matti"] = make_contact("Matti Möttönen", unit="PROJ", title="Projektipäällikkö")
    return ids


# --- the examples ---------------------------------------------------------------------------


def test_part_of_a_compound_word_finds_the_word(app, finnish):
    with app.test_request_context():
        found = titles("asiantuntija")
        assert "Kokemusasiantuntijat ry" in found and "Maija Meikäläinen" in found
        assert set(titles("ASIANTUNTIJA")) == set(found)
        assert "Kriminaalihuollon tukisäätiö sr" in titles("tukisaatio")


def test_without_diacritics_and_exact_spelling_first(app, finnish):
    with app.test_request_context():
        plain = titles("Hameenlinna")
        assert plain[:2] == ["Hameenlinna Consulting Oy", "Hämeenlinnan kaupunki"]
        accented = titles("Hämeenlinna")
        assert accented[0] == "Hämeenlinnan kaupunki" and "Hameenlinna Consulting Oy" in accented
        assert titles("hämeenlinna")[0] == titles("HÄMEENLINNA")[0] == "Hämeenlinnan kaupunki"
        assert "Maija Meikäläinen" in titles("meikalainen") and "Matti Möttönen" in titles("MOTTONEN")


def test_word_order_and_case_do_not_matter_and_every_word_must_match(app, finnish):
    with app.test_request_context():
        assert titles("kaupunki hämeenlinnan") == titles("Hämeenlinnan KAUPUNKI") == ["Hämeenlinnan kaupunki"]
        assert titles("hameenlinna oy") == ["Hameenlinna Consulting Oy"]
        assert titles("hameenlinna nothingsuchword") == []


def test_other_fields_are_searched(app, finnish):
    with app.test_request_context():
        assert titles("0116297-6") == ["Kokemusasiantuntijat ry"]
        assert titles("erfarenhetsexperterna") == ["Kokemusasiantuntijat ry", "Maija Meikäläinen"]  # Swedish name
        assert "Kokemusasiantuntijat ry" in titles("pirkanmaan")  # region served
        assert "Kokemusasiantuntijat ry" in titles("mental health")  # theme in English
        assert titles("vertaistuki") == ["Maija Meikäläinen"]  # competence keyword
        assert titles("paihdetyo") == ["Maija Meikäläinen"]
        assert titles("asuminen@krits") == ["Asumisneuvonta"]  # e-mail
        assert titles("projektitoimisto") == ["Matti Möttönen"]  # the Rise unit's name
        assert titles("pv") == [] and "Matti Möttönen" in titles("mö")  # short words work too


def test_exact_spelling_then_title_prefix_then_the_rest(app, make_partner):
    make_partner("Yhdistys Alfa ry")
    make_partner("Beta Yhdistys ry")
    make_partner("Pöytäyhdistys ry")
    make_partner("Aaltoyhdistys ry")
    make_partner("Kahvipöytä ry")
    with app.test_request_context():
        # all contain "yhdistys" exactly; among them titles are in order
        assert titles("yhdistys") == ["Aaltoyhdistys ry", "Beta Yhdistys ry", "Pöytäyhdistys ry", "Yhdistys Alfa ry"]
        # "poyta" is not the exact spelling anywhere; the title prefix comes first
        assert titles("poyta") == ["Pöytäyhdistys ry", "Kahvipöytä ry"]
        assert titles("pöytä") == ["Kahvipöytä ry", "Pöytäyhdistys ry"]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_any_input_is_safe(app, finnish, q):
    with app.test_request_context():
        total, results = search.search(q)
        assert total >= len(results)
        assert isinstance(search.count_by_kind(q), dict)
        if q in FINDS_KOKEMUS:
            assert "Kokemusasiantuntijat ry" in [r.title for r in results]


def test_like_wildcards_are_literal(app, finnish, make_partner):
    make_partner("Sata_prosenttia 100% ry")
    with app.test_request_context():
        assert titles("_") == ["Sata_prosenttia 100% ry"]
        assert titles("a_p") == ["Sata_prosenttia 100% ry"]
        assert titles("100%") == ["Sata_prosenttia 100% ry"]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_pages_and_api_answer_any_input(app, finnish, client_as, q):
    client = client_as("staff")
    for url in ("/search", "/search/suggest", "/api/v1/search", "/api/v1/public/contacts"):
        response = client.get(url, query_string={"q": q})
        assert response.status_code == 200, (url, q)
    assert client.get("/search", query_string={"q": q, "kind": "partner", "page": "2"}).status_code == 200


def test_a_search_is_one_statement_that_uses_the_index(app, finnish, count_queries):
    with app.test_request_context():
        db.session.execute(select(1))  # open the connection first
        with count_queries() as statements:
            total, results = search.search("asiantuntija", limit=1)
        assert len(statements) == 1 and total == 2 and len(results) == 1
        if db.engine.dialect.name == "sqlite":
            assert "search_fts MATCH" in statements[0]


def test_counting_stops_at_the_window(app, make_partner, monkeypatch):
    for n in range(6):
        make_partner(f"Ikkunayhdistys {n} ry")
    monkeypatch.setattr(search, "WINDOW", 4)
    with app.test_request_context():
        total, results = search.search("ikkuna", limit=2)
        assert total == 4 and len(results) == 2
        assert search.search("ikkuna", limit=2, offset=4) == (0, [])


def test_limit_offset_and_total(app, make_partner):
    for n in range(7):
        make_partner(f"Sivutusyhdistys {n} ry")
    with app.test_request_context():
        total, first = search.search("sivutus", limit=3)
        _, second = search.search("sivutus", limit=3, offset=3)
        assert total == 7 and len(first) == 3 and not {r.id for r in first} & {r.id for r in second}
        assert search.count_by_kind("sivutus") == {"partner": 7, "contact": 0}


# --- filters ----------------------------------------------------------------------------------------


def test_partner_filters_keep_matching_partners_and_their_contacts(app, finnish):
    with app.test_request_context():
        assert titles("a", filters=search.Filters(region="PIR")) == ["Kokemusasiantuntijat ry", "Maija Meikäläinen"]
        assert titles("a", filters=search.Filters(theme="housing"), kinds=["partner"]) == [
            "Kriminaalihuollon tukisäätiö sr"]
        assert titles("hameenlinna", filters=search.Filters(category="municipality")) == ["Hämeenlinnan kaupunki"]
        assert titles("hameenlinna", filters=search.Filters(level="national")) == ["Hameenlinna Consulting Oy"]
        assert titles("hameenlinna", filters=search.Filters(category="no-such")) == []
        assert titles("matti", filters=search.Filters(region="PIR")) == []  # unit contacts have no partner


# --- index upkeep -----------------------------------------------------------------------------------


def document(app, kind: str, ref_id: int) -> SearchDocument | None:
    with app.app_context():
        doc = db.session.scalar(select(SearchDocument).where(SearchDocument.kind == kind,
                                                             SearchDocument.ref_id == ref_id))
        if doc is not None:
            db.session.expunge(doc)
        return doc


def test_create_edit_deactivate_and_delete_update_the_index(app, reference, make_partner, make_contact):
    pid = make_partner("Vanha Nimi ry")
    cid = make_contact("Liisa Lähde", partner_id=pid, title="Toiminnanjohtaja")
    assert document(app, "contact", cid).subtitle == "Toiminnanjohtaja, Vanha Nimi ry"
    with app.test_request_context():
        partner = db.session.get(Partner, pid)
        services.save_partner(partner, {"name_fi": "Uusi Nimi ry"})
        db.session.commit()
        assert titles("vanha") == [] and titles("uusi nimi") == ["Liisa Lähde", "Uusi Nimi ry"]
        assert document(app, "contact", cid).subtitle == "Toiminnanjohtaja, Uusi Nimi ry"
        services.set_active(db.session.get(Contact, cid), False)
        db.session.commit()
        assert titles("liisa") == []
        assert titles("liisa", filters=search.Filters(active=None)) == ["Liisa Lähde"]
        assert titles("liisa", filters=search.Filters(active=False)) == ["Liisa Lähde"]
        db.session.delete(db.session.get(Contact, cid))
        db.session.commit()
        assert document(app, "contact", cid) is None
        db.session.delete(db.session.get(Partner, pid))
        db.session.commit()
        assert document(app, "partner", pid) is None


def test_deactivating_a_partner_hides_it_and_its_contacts(app, reference, make_partner, make_contact):
    pid = make_partner("Lopettava yhdistys ry")
    make_contact("Kalle Kontakti", partner_id=pid)
    with app.test_request_context():
        services.set_active(db.session.get(Partner, pid), False)
        db.session.commit()
        assert titles("lopettava") == []
        assert titles("lopettava", filters=search.Filters(active=None)) == ["Kalle Kontakti",
                                                                            "Lopettava yhdistys ry"]


def test_keyword_theme_and_region_changes_update_the_index(app, reference, make_partner, make_contact):
    pid = make_partner("Teemayhdistys ry")
    cid = make_contact("Olli Osaaja", partner_id=pid, keywords=("rikosseuraamus",))
    with app.test_request_context():
        assert titles("rikosseuraamus") == ["Olli Osaaja"]
        services.set_keywords(db.session.get(Contact, cid), ["nuorisotyö"])
        db.session.commit()
        assert titles("rikosseuraamus") == [] and titles("nuorisotyo") == ["Olli Osaaja"]
        keyword = db.session.scalar(select(Keyword).where(Keyword.name == "nuorisotyö"))
        keyword.name = "nuorisotyö ja etsivä työ"
        db.session.commit()
        assert titles("etsiva") == ["Olli Osaaja"]
        partner = db.session.get(Partner, pid)
        partner.themes = list(db.session.scalars(select(Theme).where(Theme.code == "housing")))
        db.session.commit()
        assert titles("asunnottomuustyo") == ["Teemayhdistys ry"]
        theme = db.session.scalar(select(Theme).where(Theme.code == "housing"))
        theme.name_fi = "Asuminen ja kotiin kiinnittyminen"
        db.session.commit()
        assert titles("kiinnittyminen") == ["Teemayhdistys ry"] and titles("asunnottomuustyo") == []
        partner.themes = []
        db.session.commit()
        assert titles("kiinnittyminen") == []
        db.session.delete(db.session.scalar(select(Keyword).where(Keyword.name.like("nuoriso%"))))
        db.session.commit()
        assert titles("etsiva") == []


def test_a_contact_moving_to_another_organisation_is_reindexed(app, reference, make_partner, make_contact):
    first, second = make_partner("Ensimmäinen ry"), make_partner("Toinen ry")
    cid = make_contact("Siirtyvä Henkilö", partner_id=first)
    with app.test_request_context():
        contact = db.session.get(Contact, cid)
        contact.partner = db.session.get(Partner, second)
        db.session.commit()
        assert titles("siirtyva toinen") == ["Siirtyvä Henkilö"] and titles("siirtyva ensimmainen") == []


def test_merging_partners_moves_contacts_in_the_index(app, reference, make_partner, make_contact):
    survivor = make_partner("Säilyvä ry", regions=("PIR",))
    duplicate = make_partner("Poistuva ry", regions=("KAH",))
    make_contact("Kari Kopio", partner_id=duplicate)
    with app.test_request_context():
        services.merge_partners(db.session.get(Partner, survivor), db.session.get(Partner, duplicate))
        db.session.commit()
        assert titles("poistuva") == []
        assert titles("kari sailyva") == ["Kari Kopio"]
        assert "Säilyvä ry" in titles("kanta-hameen")  # the duplicate's region moved to the survivor


def test_liaison_roles_do_not_disturb_the_index(app, reference, make_partner, make_contact):
    pid = make_partner("Roolit ry")
    cid = make_contact("Rooli Henkilö", unit="PROJ")
    with app.test_request_context():
        services.add_liaison_role(db.session.get(Contact, cid), subject=LiaisonSubject.PARTNER,
                                  side=LiaisonSide.RISE, partner=db.session.get(Partner, pid),
                                  valid_from=date(2025, 1, 1))
        db.session.commit()
        assert titles("rooli") == ["Rooli Henkilö", "Roolit ry"]


def test_reindex_all_and_the_command(app, finnish):
    with app.app_context():
        db.session.execute(delete(SearchDocument))
        db.session.commit()
    with app.test_request_context():
        assert titles("asiantuntija") == []
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "partner 4, contact 3" in result.output
    with app.test_request_context():
        assert "Kokemusasiantuntijat ry" in titles("asiantuntija")
        assert search.reindex_all() == {"partner": 4, "contact": 3}
        db.session.commit()
        assert len(titles("a", filters=search.Filters(active=None), limit=100)) == 7


def test_new_partner_is_found_before_commit(app, reference):
    with app.test_request_context():
        services.save_partner(Partner(), {"name_fi": "Keskeneräinen ry", "category": PartnerCategory.OTHER,
                                          "level": PartnerLevel.LOCAL})
        assert titles("keskenerainen") == ["Keskeneräinen ry"]
        db.session.rollback()
        assert titles("keskenerainen") == []


# --- pages and suggestions --------------------------------------------------------------------------


def test_results_page_groups_by_kind_with_counts(app, finnish, client_as):
    client = client_as("staff")
    page = client.get("/search", query_string={"q": "asiantuntija"}).get_data(as_text=True)
    assert "Kokemusasiantuntijat ry" in page and "Maija Meikäläinen" in page
    assert 'id="results-partner"' in page and 'id="results-contact"' in page
    assert f'href="/directory/partners/{finnish["kokemus"]}"' in page or "/directory/partners/" in page
    assert "<script>" not in page and "style=" not in page
    only = client.get("/search", query_string={"q": "asiantuntija", "kind": "contact"}).get_data(as_text=True)
    assert "Maija Meikäläinen" in only and 'id="results-partner"' not in only
    empty = client.get("/search").get_data(as_text=True)
    assert 'name="q"' in empty and 'id="results-partner"' not in empty


def test_results_page_filters_and_pagination(app, reference, make_partner, client_as):
    for n in range(25):
        make_partner(f"Sivuyhdistys {n:02d} ry", regions=("PIR",) if n % 2 else ())
    client = client_as("staff")
    grouped = client.get("/search", query_string={"q": "sivuyhdistys"}).get_data(as_text=True)
    assert grouped.count("Sivuyhdistys ") == search_views_group_size() and "kind=partner" in grouped
    first = client.get("/search", query_string={"q": "sivuyhdistys", "kind": "partner"}).get_data(as_text=True)
    assert "Sivuyhdistys 00 ry" in first and "Sivuyhdistys 24 ry" not in first and 'rel="next"' in first
    second = client.get("/search", query_string={"q": "sivuyhdistys", "kind": "partner", "page": 2}) \
        .get_data(as_text=True)
    assert "Sivuyhdistys 24 ry" in second and 'rel="prev"' in second
    filtered = client.get("/search", query_string={"q": "sivuyhdistys", "region": "PIR", "kind": "partner"}) \
        .get_data(as_text=True)
    assert "Sivuyhdistys 01 ry" in filtered and "Sivuyhdistys 00 ry" not in filtered
    huge = client.get("/search", query_string={"q": "sivuyhdistys", "kind": "partner", "page": 10**30})
    assert huge.status_code == 200 and "Sivuyhdistys 24 ry" in huge.get_data(as_text=True)  # the last page
    odd = client.get("/search", query_string={"q": "sivuyhdistys", "kind": "partner", "_scheme": "x",
                                              "_external": "0", "_anchor": "x"})
    next_link = re.search(r'href="([^"]*)" rel="next"', odd.get_data(as_text=True))
    assert odd.status_code == 200 and next_link and "_scheme" not in next_link.group(1)


def search_views_group_size() -> int:
    from registry.directory.search_views import GROUP_SIZE

    return GROUP_SIZE


def test_suggestions_are_json(app, finnish, client_as):
    client = client_as("staff")
    data = client.get("/search/suggest", query_string={"q": "hameen"}).json
    assert [d["title"] for d in data] == ["Hämeenlinnan kaupunki", "Hameenlinna Consulting Oy"] or \
        {d["title"] for d in data} == {"Hämeenlinnan kaupunki", "Hameenlinna Consulting Oy"}
    assert set(data[0]) == {"title", "subtitle", "url", "type"} and data[0]["type"] == "partner"
    assert data[0]["url"].startswith("/directory/partners/")
    assert client.get("/search/suggest", query_string={"q": "a"}).json.__len__() <= 8
    assert app.test_client().get("/search/suggest?q=hameen").status_code == 302  # sign in first


def test_header_search_form_for_signed_in_users(app, client_as):
    page = client_as("staff").get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'action="/search"' in page and 'name="q"' in page
    assert 'id="site-search-suggestions"' in page and 'src="/static/js/suggest.js"' in page
    assert 'for="site-search-q"' in page
    assert "site-search" not in app.test_client().get("/login").get_data(as_text=True)
    script = app.test_client().get("/static/js/suggest.js")
    assert script.status_code == 200
    script.close()
