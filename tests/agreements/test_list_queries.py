"""The register's filters on linked rows (uncorrelated IN lists), the search by a party's name and the order by
name, which the expression index of migration 0007 serves without sorting every agreement."""

from __future__ import annotations

import re

from sqlalchemy import text

from registry.agreements import queries
from registry.extensions import db
from registry.i18n import today as helsinki_today


def _names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/agreements/\d+">([^<]+)</a>', page)


def test_linked_filters_and_the_search_by_party(app, client_as, make_agreement, make_partner):
    kela, city = make_partner("Kela"), make_partner("Turun kaupunki")
    make_agreement("alfa", parties=(kela,), regions=("HKI",), themes=("criminal_justice",))
    make_agreement("Beta", parties=(kela, city), regions=("HKI", "VAK"))
    make_agreement("gamma", parties=(city,), owner="LSRSK")
    client = client_as("staff")

    def names(**args: str) -> list[str]:
        return _names(client.get("/agreements/", query_string=args).get_data(as_text=True))

    assert names() == ["alfa", "Beta", "gamma"]  # by name whatever the case
    assert names(region="HKI") == ["alfa", "Beta"] and names(region="VAK") == ["Beta"] and names(region="X") == []
    assert names(theme="criminal_justice") == ["alfa"] and names(centre="LSRSK") == ["gamma"]
    assert names(q="turun") == ["Beta", "gamma"]  # a party's name
    assert names(q="kela alfa") == ["alfa"]  # every word: one in a party's name, one in the agreement's
    with app.test_request_context():
        assert [a.name_fi for a in queries.partner_agreements(kela)] == ["alfa", "Beta"]
        assert [a.name_fi for a in queries.partner_agreements(city)] == ["Beta", "gamma"]


def test_the_list_comes_in_name_order_from_the_index(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            stmt = queries.agreements_query(queries.AgreementFilters(), helsinki_today()).limit(20)
            sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_agreement_name_fi_lower" in plan and "TEMP B-TREE" not in plan
        indexes = {"ix_agreement_name_fi_lower", "ix_partner_name_fi_lower", "ix_contact_name_lower",
                   "ix_contact_email_lower"}
        catalogue = "select name from sqlite_master where type = 'index'" if db.engine.dialect.name == "sqlite" \
            else "select indexname from pg_indexes"
        assert indexes <= set(db.session.scalars(text(catalogue)))
