"""Search pages: the results page and suggestions while typing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from ..core.pagination import PageShape
from . import rules, search

bp = Blueprint("search", __name__)

PER_PAGE = 20  # results per page of one kind
GROUP_SIZE = 5  # results per kind on the grouped page
SUGGESTIONS = 8
FORM_ARGS = ("q", "category", "region", "theme", "level", "active")  # kept in links between result kinds
MAX_Q = 2000  # characters echoed back into the form; the search itself reads the first 200


Page = PageShape


def filters_from(args: MultiDict[str, str]) -> search.Filters:
    """Search filters from query arguments; unknown categories and levels are ignored."""
    category, level, region, theme = (args.get(k, "").strip()[:100] for k in ("category", "level", "region",
                                                                               "theme"))
    active_arg = args.get("active", "")
    active = {"0": False, "all": None}.get(active_arg, True)
    return search.Filters(category=category if search.valid_category(category) else "",
                          level=level if search.valid_level(level) else "", region=region, theme=theme,
                          active=active)


@bp.get("/search")
def results() -> ResponseReturnValue:
    q = request.args.get("q", "")[:MAX_Q]
    kind = request.args.get("kind", "")
    kind = kind if kind in search.KINDS else ""
    filters = filters_from(request.args)
    active_arg = request.args.get("active", "")
    page_no = min(max(request.args.get("page", 1, type=int) or 1, 1), search.WINDOW // PER_PAGE)
    terms = rules.search_terms(q)
    counts = dict.fromkeys(search.KINDS, 0)
    groups: list[dict[str, Any]] = []
    for name, spec in search.KINDS.items():
        # One statement per kind gives its count and its page (or the few shown on the grouped page).
        size, number = (PER_PAGE, page_no) if name == kind else (GROUP_SIZE, 1)
        total, found = search.search(q, kinds=[name], filters=filters, limit=size, offset=(number - 1) * size) \
            if terms else (0, [])
        if name == kind and not found and total and number > 1:  # past the last page: show the last one
            number = -(-total // size)
            total, found = search.search(q, kinds=[name], filters=filters, limit=size, offset=(number - 1) * size)
        counts[name] = total
        if not kind or name == kind:
            groups.append({"kind": name, "label": spec.label, "count": total, "results": found,
                           "page": Page(number, size, total)})
    args: dict[str, Any] = {k: v[:MAX_Q] for k, v in request.args.items() if k in FORM_ARGS}
    kind_urls = {name: url_for("search.results", **args, kind=name) for name in search.KINDS}
    for group in groups:  # links to the neighbouring pages keep only the known arguments
        page = group["page"]
        group["prev_url"] = url_for("search.results", **args, kind=kind, page=page.prev_num) \
            if kind and page.has_prev else None
        group["next_url"] = url_for("search.results", **args, kind=kind, page=page.next_num) \
            if kind and page.has_next else None
    return render_template("search/results.html", q=q, kind=kind, filters=filters, terms=terms, groups=groups,
                           counts=counts, capped={k: n >= search.WINDOW for k, n in counts.items()},
                           total=sum(counts.values()), kinds=search.KINDS, kind_urls=kind_urls,
                           all_url=url_for("search.results", **args), choices=search.filter_choices(),
                           active_arg=active_arg if active_arg in {"0", "all"} else "")


@bp.get("/search/suggest")
def suggest() -> ResponseReturnValue:
    q = request.args.get("q", "")
    if not any(len(term) >= search.FTS_MIN for term in rules.search_terms(q)):
        return jsonify([])  # suggestions start at three letters (shorter words cannot use the index)
    _total, found = search.search(q, limit=SUGGESTIONS, count=False)
    return jsonify([{"title": r.title, "subtitle": r.subtitle, "url": r.url, "type": r.type} for r in found])
