"""Pagination of list pages: the page number from the request, clamped, and one shared page size."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..extensions import db

MAX_PAGE = 100_000  # any larger page number is treated as this one (an OFFSET must stay a sane integer)


def page_number() -> int:
    """The `page` query argument, clamped to 1…MAX_PAGE (junk gives 1)."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def paginate(stmt: Any, per_page: int | None = None) -> Any:
    """One page of the statement's rows (Flask-SQLAlchemy Pagination) for the current request."""
    return db.paginate(stmt, page=page_number(), per_page=per_page or current_app.config["PAGE_SIZE"],
                       error_out=False)
