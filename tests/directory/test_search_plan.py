"""The search of one kind (the grouped search page asks for each kind apart) is driven by the full-text index:
with the kind index instead, SQLite tested MATCH on every record of the kind (seconds at 100,000 partners)."""

from __future__ import annotations

from sqlalchemy import select, text

from registry.directory import search
from registry.extensions import db


def test_a_search_of_one_kind_starts_from_the_text_index(app, make_partner):
    make_partner("Turun Majakka ry")
    make_partner("Oulun Majakka ry", active=False)
    with app.test_request_context():
        total, found = search.search("majakka", kinds=["partner"], filters=search.Filters(active=True))
        assert (total, [r.title for r in found]) == (1, ["Turun Majakka ry"])
        if db.engine.dialect.name == "sqlite":
            hits = search._hits("majakka", ["majakka"], kinds=["partner"], filters=search.Filters(active=True),
                                public_only=False)
            sql = str(select(hits.c.id).compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_search_document_ref" not in plan and "search_fts" in plan
