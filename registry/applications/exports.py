"""Exports as bytes: the applications with their review summaries as CSV and XLSX (formula-safe, by the
directory's builders) and the portfolio report PDF (laid out by the agreement register's renderer).

The rows are those of the lists' filters: `services.ApplicationFilters` (the application list, its exports and
the API) and `portfolio.PortfolioFilters` (the portfolio page and its report). Views only send what these
functions return.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..agreements.exports import render_register_pdf
from ..directory.exports import build_csv, build_xlsx
from ..extensions import db
from ..i18n import HELSINKI, current_language, format_date, format_datetime
from ..i18n import today as helsinki_today
from . import portfolio, services
from .models import (
    FUNDER_LABELS,
    PROJECT_STATUS_LABELS,
    STATEMENT_LABELS,
    STATUS_LABELS,
    Application,
    Project,
    ProjectOwner,
)

MAX_REPORT_ROWS = 10_000  # the report lists at most this many projects (narrow the filters for the rest)


# --- facts of the applications (the exports and the API) --------------------------------------------------


def received_conditions(received_from: date | None, received_to: date | None) -> list[Any]:
    """Applications received between the two Helsinki calendar days, inclusive (None: no limit)."""
    conditions: list[Any] = []
    if received_from is not None:
        conditions.append(Application.submitted_at >= datetime.combine(received_from, time(), HELSINKI))
    if received_to is not None:
        conditions.append(Application.submitted_at < datetime.combine(received_to + timedelta(days=1), time(),
                                                                      HELSINKI))
    return conditions


def eligible(application: Application) -> bool:
    """The outcome of the automatic checks (`checks.run_checks`, policy §8.2): eligible unless one fails."""
    from .checks import run_checks

    return all(check.outcome != "fail" for check in run_checks(application))


def number(value: Any, places: int = 2) -> str:
    """A number for people: two decimals, a decimal comma in Finnish and Swedish."""
    if value is None:
        return ""
    text = f"{float(value):.{places}f}"
    return text.replace(".", ",") if current_language() in ("fi", "sv") else text


# --- applications as CSV and XLSX -----------------------------------------------------------------------


def applications_for_export(filters: services.ApplicationFilters) -> list[Application]:
    """The applications of the list's filters (`services.applications_query`, the one definition), in its
    order, with what the export shows loaded."""
    stmt = services.applications_query(filters).options(selectinload(Application.partner))
    return list(db.session.scalars(stmt))


def application_rows(applications: Sequence[Application]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the application export with each review summary (`scoring.summarise` over the
    submitted reviews, each against its criteria version), in the current UI language."""
    summaries = services.summaries_for(list(applications)) if applications else {}
    header = [_("Reference"), _("Received"), _("Organisation"), _("Business ID"), _("Project"), _("Funder"),
              _("Status"), _("Checks"), _("Submitted reviews"), _("Weighted total (0–100)"), _("Statement")]
    rows = []
    for a in applications:
        summary = summaries.get(a.id)
        funder = str(FUNDER_LABELS[a.funder]) + (f": {a.funder_other}" if a.funder_other else "")
        rows.append([
            a.reference, format_date(a.submitted_at), a.organisation_name, a.business_id or "", a.project_name,
            funder, str(STATUS_LABELS[a.status]), _("Eligible") if eligible(a) else _("Not eligible"),
            str(summary.review_count if summary is not None else 0),
            number(summary.total if summary is not None else None),
            str(STATEMENT_LABELS[a.statement]) if a.statement else "",
        ])
    return header, rows


def applications_csv(applications: Sequence[Application]) -> bytes:
    """The applications as CSV for Finnish Excel; no cell can run as a formula (the directory's builder)."""
    header, rows = application_rows(applications)
    return build_csv(header, rows)


def applications_xlsx(applications: Sequence[Application]) -> bytes:
    """The applications as an .xlsx workbook of string cells only (the directory's builder)."""
    header, rows = application_rows(applications)
    return build_xlsx(_("Applications"), header, rows)


# --- the portfolio report PDF ---------------------------------------------------------------------------


def projects_for_report(filters: portfolio.PortfolioFilters, limit: int = MAX_REPORT_ROWS + 1) -> list[Project]:
    """The projects of the portfolio list's filters, in its order, the first `limit`."""
    return list(db.session.scalars(portfolio.portfolio_query(filters).limit(limit)))


def owner_text(project: Project) -> str:
    """Whose project it is: the partner (or the applicant organisation), or Rise's own."""
    if project.owner is ProjectOwner.RISE:
        return _("Rise (own project)")
    if project.partner is not None:
        return project.partner.name()
    return project.application.organisation_name if project.application is not None else ""


def period_text(project: Project) -> str:
    """The project's period, d.m.yyyy – d.m.yyyy (empty when neither date is known)."""
    if project.starts_on is None and project.ends_on is None:
        return ""
    return f"{format_date(project.starts_on)} – {format_date(project.ends_on)}"


def next_follow_up_text(project: Project, today: date) -> str:
    """The next follow-up's due date, marked when it is overdue."""
    if project.next_follow_up_on is None:
        return "–"
    due = format_date(project.next_follow_up_on)
    return _("%(date)s overdue", date=due) if project.next_follow_up_on < today else due


def build_portfolio_pdf(projects: Sequence[Project], *, filters_text: str, now: datetime, locale: str,
                        total: int | None = None, today: date | None = None) -> bytes:
    """The portfolio report as an A4 landscape PDF in `locale`: title, the filters, generation time (Helsinki),
    a table of the projects (name, funder, status, responsible person, unit, owner, period, next follow-up or
    overdue), the column headers on every page and "page X of Y" (the agreement register's layout)."""
    today = today or helsinki_today()
    with force_locale(locale):
        header = [_("Project"), _("Funder"), _("Status"), _("Responsible person"), _("Unit"), _("Owner"),
                  _("Period"), _("Next follow-up")]
        rows = [[p.name, portfolio.funder_label(p.funder), str(PROJECT_STATUS_LABELS[p.status]),
                 p.responsible.name if p.responsible else "–", p.unit.name(), owner_text(p), period_text(p),
                 next_follow_up_text(p, today)] for p in projects]
        texts = {"filters": _("Filters: %(filters)s", filters=filters_text) if filters_text
                 else _("No filters: all projects"),
                 "generated": _("Generated %(time)s (Finnish time)", time=format_datetime(now)),
                 "count": _("%(n)d projects", n=len(projects)) if not total or total <= len(projects)
                 else _("The first %(n)d of %(total)d projects: narrow the filters to see the rest.",
                        n=len(projects), total=total),
                 "empty": _("No projects match the filters."),
                 "author": _("Prison and Probation Service of Finland")}
        page_label = _("Page %(page)d of %(pages)d", page=999999, pages=888888)
        title = _("Project portfolio")
    return render_register_pdf(title, header, rows, texts=texts, page_label=page_label)


def describe_filters(filters: portfolio.PortfolioFilters) -> str:
    """The portfolio filters as one line of text for the report's heading (empty when none is set)."""
    return "; ".join(f"{label}: {value}" for label, value in portfolio.filter_labels(filters))
