"""Pagination of list pages: the page number from the request, clamped, and one shared page size."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class PageShape:
    """The attributes the pagination macro reads, for pages not built by `paginate` (grouped search results,
    dashboard lists)."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page's number."""
        return self.page + 1
