"""The project portfolio: projects, half-yearly follow-ups, end evaluation, reports and exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..core.models import User, utcnow
from ..core.pagination import paginate
from ..core.queries import get_or_none, units_ordered
from ..core.services import ServiceError
from ..core.web import form_failed
from ..directory import queries as directory_queries
from ..extensions import db
from ..i18n import current_language
from ..i18n import today as helsinki_today
from . import exports, followups, portfolio, services
from .models import (
    FUNDER_LABELS,
    PROJECT_STATUS_LABELS,
    RECOMMENDATION_LABELS,
    FollowUp,
    Funder,
    Project,
    ProjectStatus,
    Recommendation,
)
from .portfolio_forms import NONE, EvaluationForm, FollowUpForm, ProjectForm
from .views import bp

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.context_processor
def _portfolio_labels() -> dict[str, Any]:
    return {"PROJECT_STATUS_LABELS": PROJECT_STATUS_LABELS, "RECOMMENDATION_LABELS": RECOMMENDATION_LABELS,
            "FUNDER_LABELS": FUNDER_LABELS, "funder_label": portfolio.funder_label,
            "owner_text": exports.owner_text, "period_text": exports.period_text}


def _project_or_404(project_id: int) -> Project:
    project = portfolio.project_for_page(project_id)
    if project is None:
        abort(404)
    return project


# --- the chart: counts by status and funder as labelled bars ----------------------------------------------

CHART_WIDTH, CHART_LABEL, CHART_ROW = 640, 230, 22  # SVG user units: the picture, the label column, one row
FUNDER_COLOURS = {Funder.STEA: "#2d6da3", Funder.ESR: "#2f7d43", Funder.OTHER: "#a35400", None: "#5a6470"}


@dataclass(frozen=True)
class ChartBar:
    """One funder's count within a status (`y`, `width` in SVG user units); its label is written beside it,
    so colour is never the only signal."""

    label: str
    count: int
    y: int
    width: float
    colour: str


@dataclass(frozen=True)
class ChartGroup:
    """One status: its heading row and a bar per funder."""

    status: ProjectStatus
    total: int
    y: int
    bars: list[ChartBar]


@dataclass(frozen=True)
class Chart:
    """The chart's geometry and the table's counts (the same facts)."""

    groups: list[ChartGroup]
    funders: list[tuple[Funder | None, str]]
    counts: dict[tuple[ProjectStatus, Funder | None], int]
    height: int
    width: int = CHART_WIDTH
    label_width: int = CHART_LABEL

    @property
    def total(self) -> int:
        """All projects in the chart."""
        return sum(self.counts.values())

    def count(self, status: ProjectStatus, funder: Funder | None) -> int:
        """Projects with this status and funder."""
        return self.counts.get((status, funder), 0)

    def funder_total(self, funder: Funder | None) -> int:
        """Projects with this funder."""
        return sum(n for (_status, f), n in self.counts.items() if f is funder)


def build_chart(counts: dict[tuple[ProjectStatus, Funder | None], int]) -> Chart:
    """Lay the counts out as grouped horizontal bars: a heading row per status, a bar per funder."""
    funders: list[tuple[Funder | None, str]] = [(f, portfolio.funder_label(f)) for f in (*Funder, None)]
    biggest = max(counts.values(), default=0) or 1
    plot = CHART_WIDTH - CHART_LABEL - 40  # room for the count after the longest bar
    groups, y = [], 0
    for status in ProjectStatus:
        top, y = y, y + CHART_ROW
        bars = []
        for funder, label in funders:
            n = counts.get((status, funder), 0)
            bars.append(ChartBar(label, n, y, round(plot * n / biggest, 1), FUNDER_COLOURS[funder]))
            y += CHART_ROW
        groups.append(ChartGroup(status, sum(b.count for b in bars), top, bars))
        y += CHART_ROW // 2
    return Chart(groups, funders, counts, y)


# --- the list ------------------------------------------------------------------------------------------


@bp.get("/portfolio/", endpoint="portfolio")
def portfolio_index() -> ResponseReturnValue:
    filters = portfolio.filters_from(request.args)
    page = paginate(portfolio.portfolio_query(filters))
    return render_template("applications/portfolio.html", page=page, filters=filters, today=helsinki_today(),
                           chart=build_chart(portfolio.status_funder_counts(filters)),
                           centres=portfolio.sanction_centres(), themes=directory_queries.themes_ordered(),
                           owners=portfolio.owner_labels(), no_funder=portfolio.NO_FUNDER)


# --- one project ---------------------------------------------------------------------------------------


@bp.get("/portfolio/<int:project_id>")
def project(project_id: int) -> ResponseReturnValue:
    item = _project_or_404(project_id)
    today = helsinki_today()
    return render_template("applications/project.html", project=item, today=today,
                           may_change=portfolio.may_change(current_user),
                           may_fill=portfolio.may_fill_follow_up(current_user, item),
                           overdue={f.id for f in item.follow_ups
                                    if followups.is_overdue(f.due_on, f.submitted_at is not None, today)})


def _choices(form: ProjectForm, project: Project | None) -> dict[str, dict[int, Any]]:
    units = {u.id: u for u in units_ordered()}
    themes = {t.id: t for t in directory_queries.themes_ordered()}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))}
    if project is not None and project.responsible is not None:
        people.setdefault(project.responsible.id, project.responsible)
    form.unit.choices = [NONE] + [SelectChoice(u.id, u.name()) for u in units.values()]
    form.responsible.choices = [NONE] + [SelectChoice(u.id, f"{u.name} ({u.email})") for u in people.values()]
    form.themes.choices = [SelectChoice(t.id, t.name()) for t in themes.values()]
    return {"units": units, "themes": themes, "people": people}


def _data(form: ProjectForm, found: dict[str, dict[int, Any]]) -> dict[str, Any]:
    return {"name": form.name.data, "description": form.description.data or None,
            "funder": Funder(form.funder.data) if form.funder.data else None,
            "unit": found["units"].get(form.unit.data or 0),
            "responsible": found["people"].get(form.responsible.data or 0),
            "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
            "themes": [found["themes"][i] for i in form.themes.data or [] if i in found["themes"]]}


def _project_form(item: Project | None) -> ResponseReturnValue:
    form = ProjectForm(obj=item if request.method == "GET" else None)
    if item is None or item.status is ProjectStatus.EVALUATED:
        del form.status
    found = _choices(form, item)
    if request.method == "GET":
        if item is not None:
            form.funder.data = item.funder.value if item.funder else ""
            form.unit.data, form.responsible.data = item.unit_id, item.responsible_id or 0
            form.themes.data = [t.id for t in item.themes]
            if form.status is not None:
                form.status.data = item.status.value
        else:
            form.unit.data = current_user.home_unit_id or 0
    if form.validate_on_submit():
        data = _data(form, found)
        try:
            if item is None:
                saved = portfolio.add_own_project(data, actor=current_user)
            else:
                if form.status is not None:
                    data["status"] = ProjectStatus(form.status.data)
                saved = portfolio.save_project(item, data, actor=current_user)
            db.session.commit()
            flash(_("The project %(name)s was saved.", name=saved.name), "success")
            return redirect(url_for("applications.project", project_id=saved.id))
        except ServiceError as error:
            form_failed(form, error)
            item = _project_or_404(item.id) if item is not None else None
    page = render_template("applications/project_form.html", form=form, project=item)
    return page, 400 if form.errors or form.form_errors else 200


@bp.route("/portfolio/new", methods=["GET", "POST"])
def project_new() -> ResponseReturnValue:
    return _project_form(None)


@bp.route("/portfolio/<int:project_id>/edit", methods=["GET", "POST"])
def project_edit(project_id: int) -> ResponseReturnValue:
    return _project_form(_project_or_404(project_id))


# --- follow-ups and the evaluation ----------------------------------------------------------------------


@bp.route("/portfolio/<int:project_id>/follow-ups/<int:follow_up_id>", methods=["GET", "POST"])
def follow_up(project_id: int, follow_up_id: int) -> ResponseReturnValue:
    item = get_or_none(FollowUp, follow_up_id)
    if item is None or item.project_id != project_id:
        abort(404)
    may_fill = portfolio.may_fill_follow_up(current_user, item.project) \
        and item.project.status is not ProjectStatus.EVALUATED
    if request.method == "POST" and not may_fill:
        abort(403)  # another staff member: only the responsible person or the working group
    form = FollowUpForm(obj=item if request.method == "GET" else None)
    if may_fill and form.validate_on_submit():
        try:
            portfolio.submit_follow_up(item, {"progress": form.progress.data, "risks": form.risks.data,
                                              "next_steps": form.next_steps.data}, current_user)
            db.session.commit()
            flash(_("The follow-up was saved. Thank you."), "success")
            return redirect(url_for("applications.project", project_id=project_id, _anchor="follow-ups"))
        except portfolio.NotAllowed:
            abort(403)
        except ServiceError as error:
            form_failed(form, error)
            item = get_or_none(FollowUp, follow_up_id)
    today = helsinki_today()
    page = render_template("applications/follow_up.html", form=form, follow_up=item, project=item.project,
                           may_fill=may_fill, today=today,
                           overdue=followups.is_overdue(item.due_on, item.submitted_at is not None, today))
    return page, 400 if form.errors or form.form_errors else 200


@bp.route("/portfolio/<int:project_id>/evaluation", methods=["GET", "POST"])
def project_evaluation(project_id: int) -> ResponseReturnValue:
    item = _project_or_404(project_id)
    if item.status not in (ProjectStatus.ENDED, ProjectStatus.EVALUATED):
        # A project is evaluated after it has ended (policy §8.2): the page explains, without a form.
        return render_template("applications/evaluation.html", project=item, form=None), 409
    form = EvaluationForm(obj=None)
    if request.method == "GET" and item.status is ProjectStatus.EVALUATED:
        form.outputs.data, form.wider_use.data = item.evaluation_outputs, item.evaluation_wider_use
        form.recommendation.data = item.recommendation.value if item.recommendation else None
    if form.validate_on_submit():
        try:
            portfolio.record_evaluation(item, form.outputs.data or "", form.wider_use.data or "",
                                        Recommendation(form.recommendation.data), current_user)
            db.session.commit()
            flash(_("The evaluation of %(name)s was recorded.", name=item.name), "success")
            return redirect(url_for("applications.project", project_id=project_id, _anchor="evaluation"))
        except ServiceError as error:
            form_failed(form, error)
            item = _project_or_404(project_id)
    page = render_template("applications/evaluation.html", project=item, form=form)
    return page, 400 if form.errors or form.form_errors else 200


# --- exports -------------------------------------------------------------------------------------------


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/portfolio/report.pdf")
def portfolio_pdf() -> ResponseReturnValue:
    filters = portfolio.filters_from(request.args)
    rows = exports.projects_for_report(filters)
    total = portfolio.count_projects(filters) if len(rows) > exports.MAX_REPORT_ROWS else len(rows)
    data = exports.build_portfolio_pdf(rows[:exports.MAX_REPORT_ROWS], filters_text=exports.describe_filters(filters),
                                       now=utcnow(), locale=current_language(), total=total)
    return _download(data, "application/pdf", f"project-portfolio-{helsinki_today().isoformat()}.pdf")


@bp.get("/applications/export.csv")
def export_csv() -> ResponseReturnValue:
    rows = exports.applications_for_export(services.filters_from(request.args))
    return _download(exports.applications_csv(rows), CSV_TYPE, f"applications-{helsinki_today().isoformat()}.csv")


@bp.get("/applications/export.xlsx")
def export_xlsx() -> ResponseReturnValue:
    rows = exports.applications_for_export(services.filters_from(request.args))
    return _download(exports.applications_xlsx(rows), XLSX_TYPE, f"applications-{helsinki_today().isoformat()}.xlsx")
