"""The project portfolio (projektisalkku, DOMAIN §5.1 steps 5–8): funded partnership projects and Rise's own
development projects, their half-yearly follow-ups and the end evaluation of outputs for wider use (policy §8.2).

Verbs add and flush, never commit; the follow-up dates come from `followups` (pure). The queries of the
portfolio list, its chart, the report PDF and the dashboard are here too (one definition of the filters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from ..core.models import Unit, UnitKind, User, utcnow
from ..core.queries import MAX_ID
from ..core.services import ServiceError, scope_unit_ids
from ..directory.models import Partner, Theme
from ..extensions import db
from ..i18n import today as helsinki_today
from . import followups
from .models import (
    Application,
    ApplicationStatus,
    FollowUp,
    Funder,
    Project,
    ProjectOwner,
    ProjectStatus,
    Recommendation,
    project_theme,
)

OPEN = (ProjectStatus.PLANNED, ProjectStatus.RUNNING)  # projects whose status still follows their dates
NO_FUNDER = "none"  # the funder filter's value for projects without an external funder
DASHBOARD_ROWS = 10


class NotAllowed(ServiceError):
    """The user may not do this to this object (the view answers 403)."""


# --- who may do what ---------------------------------------------------------------------------------


def may_change(user: Any) -> bool:
    """The working group changes the portfolio (DESIGN §5)."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_role("working_group")


def may_fill_follow_up(user: Any, project: Project) -> bool:
    """The project's responsible person (DOMAIN §5.1 step 6) or the working group fills its follow-ups."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (project.responsible_id is not None and user.id == project.responsible_id) or may_change(user)


# --- the application's status follows its project -----------------------------------------------------

_FALLBACK_STEPS = {(ApplicationStatus.FUNDING_DECIDED, ApplicationStatus.RUNNING),
                   (ApplicationStatus.RUNNING, ApplicationStatus.ENDED),
                   (ApplicationStatus.ENDED, ApplicationStatus.EVALUATED)}


def _can_move() -> Callable[[ApplicationStatus, ApplicationStatus], bool]:
    try:
        from .workflow import can_move
    except ImportError:  # the workflow module of the review part is not installed: the portfolio's own steps
        return lambda a, b: (a, b) in _FALLBACK_STEPS
    return can_move  # type: ignore[no-any-return]


def move_application(application: Application | None, to: ApplicationStatus) -> bool:
    """Move the project's application to `to` when the application workflow allows that step from where it
    is (running when the project starts, ended, evaluated); True when it moved."""
    if application is None or application.status is to or not _can_move()(application.status, to):
        return False
    application.status = to
    return True


# --- follow-up scheduling ----------------------------------------------------------------------------


def schedule(project: Project, today: date) -> date | None:
    """Set `next_follow_up_on`: the earliest open (not submitted) follow-up, else the next half-year after the
    last submitted one (`followups.next_follow_up_due`); none for an evaluated project or after its end."""
    if project.status is ProjectStatus.EVALUATED:
        project.next_follow_up_on = None
        return None
    open_dates = [f.due_on for f in project.follow_ups if f.submitted_at is None]
    if open_dates:
        project.next_follow_up_on = min(open_dates)
        return project.next_follow_up_on
    last = max((f.due_on for f in project.follow_ups if f.submitted_at is not None), default=None)
    end = project.ends_on
    if project.status is ProjectStatus.ENDED:
        end = min(end, today) if end is not None else today
    project.next_follow_up_on = followups.next_follow_up_due(project.starts_on, last, today, end)
    return project.next_follow_up_on


def _check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ServiceError(_("The end date must not be before the start date."), "ends_on")


def _status_from_dates(starts_on: date | None, ends_on: date | None, today: date) -> ProjectStatus:
    return ProjectStatus(followups.status_on(starts_on, ends_on, today))


# --- adding and changing projects --------------------------------------------------------------------


def add_from_application(application: Application, *, unit: Unit | None = None, responsible: User | None = None,
                         actor: Any = None, today: date | None = None) -> Project:
    """Enter a funded application into the portfolio as the partner's project (DOMAIN §5.1 steps 5–6): name,
    description, partner, funder, themes and period from the application; the unit (default: the first unit
    of the application) and its named responsible person; running if started, else planned; the first
    follow-up scheduled. The application moves to running when its project runs. An application already in
    the portfolio returns its project unchanged."""
    if application.project is not None:
        return application.project
    today = today or helsinki_today()
    unit = unit or (application.units[0] if application.units else None)
    if unit is None:
        raise ServiceError(_("Choose the Rise unit responsible for the project."), "unit")
    starts_on, ends_on = application.planned_start, application.planned_end
    _check_dates(starts_on, ends_on)
    project = Project(application=application, owner=ProjectOwner.PARTNER, name=application.project_name,
                      description=application.description, partner=application.partner, funder=application.funder,
                      themes=list(application.themes), starts_on=starts_on, ends_on=ends_on, unit=unit,
                      responsible=responsible, status=_status_from_dates(starts_on, ends_on, today))
    if project.status is ProjectStatus.ENDED:
        project.status = ProjectStatus.RUNNING  # a funded project is not ended by entering it late
    db.session.add(project)
    schedule(project, today)
    if project.status is ProjectStatus.RUNNING:
        move_application(application, ApplicationStatus.RUNNING)
    db.session.flush()
    return project


def add_own_project(data: dict[str, Any], *, actor: Any = None, today: date | None = None) -> Project:
    """Add Rise's own development project (DOMAIN §5.1 step 7) from validated form data: name, description,
    funder, themes, starts_on, ends_on, unit, responsible. Its status follows its dates."""
    today = today or helsinki_today()
    _check_dates(data.get("starts_on"), data.get("ends_on"))
    project = Project(owner=ProjectOwner.RISE, name=data["name"], description=data.get("description"),
                      funder=data.get("funder"), themes=list(data.get("themes") or []),
                      starts_on=data.get("starts_on"), ends_on=data.get("ends_on"), unit=data["unit"],
                      responsible=data.get("responsible"),
                      status=_status_from_dates(data.get("starts_on"), data.get("ends_on"), today))
    db.session.add(project)
    schedule(project, today)
    db.session.flush()
    return project


EDITABLE = ("name", "description", "funder", "themes", "starts_on", "ends_on", "unit", "responsible")


def save_project(project: Project, data: dict[str, Any], *, actor: Any = None, today: date | None = None) -> Project:
    """Change a project's details and, through `status`, start or end it by hand (ending goes through
    `end_project`); an evaluated project keeps its status. The next follow-up is rescheduled."""
    today = today or helsinki_today()
    _check_dates(data.get("starts_on", project.starts_on), data.get("ends_on", project.ends_on))
    for key in EDITABLE:
        if key in data:
            setattr(project, key, list(data[key] or []) if key == "themes" else data[key])
    wanted = data.get("status")
    if wanted is not None and wanted is not project.status:
        if project.status is ProjectStatus.EVALUATED:
            raise ServiceError(_("An evaluated project keeps its status."), "status")
        if wanted is ProjectStatus.EVALUATED:
            raise ServiceError(_("Record the evaluation to mark the project evaluated."), "status")
        if wanted is ProjectStatus.ENDED:
            end_project(project, ends_on=project.ends_on if project.ends_on and project.ends_on <= today else today,
                        actor=actor, today=today)
        else:
            project.status = wanted
            if wanted is ProjectStatus.RUNNING:
                move_application(project.application, ApplicationStatus.RUNNING)
    if project.status is ProjectStatus.RUNNING and project.starts_on is not None and project.starts_on > today:
        raise ServiceError(_("A project whose start date is in the future is planned, not running."), "status")
    if project.status is ProjectStatus.ENDED and project.ends_on is not None and project.ends_on > today:
        raise ServiceError(_("An ended project's end date cannot be in the future."), "ends_on")
    schedule(project, today)
    db.session.flush()
    return project


def end_project(project: Project, *, ends_on: date | None = None, actor: Any = None,
                today: date | None = None) -> Project:
    """End a planned or running project on `ends_on` (default today; never in the future): no follow-ups are
    due after its end; the application moves to ended. The working group then records the evaluation."""
    today = today or helsinki_today()
    if project.status not in OPEN:
        raise ServiceError(_("The project has already ended."), "status")
    ends_on = ends_on or today
    if ends_on > today:
        raise ServiceError(_("An ended project's end date cannot be in the future."), "ends_on")
    _check_dates(project.starts_on, ends_on)
    project.ends_on, project.status = ends_on, ProjectStatus.ENDED
    move_application(project.application, ApplicationStatus.RUNNING)  # a project that ran before it ended
    move_application(project.application, ApplicationStatus.ENDED)
    # A follow-up already open stays owed; one scheduled after the end is dropped.
    schedule(project, today)
    db.session.flush()
    return project


def submit_follow_up(follow_up: FollowUp, data: dict[str, Any], actor: Any, *,
                     today: date | None = None) -> FollowUp:
    """Record the half-yearly follow-up (progress, risks, next steps); only the responsible person or the
    working group (`may_fill_follow_up`). A correction keeps the first submission's time; the first
    submission schedules the next follow-up."""
    project = follow_up.project
    if not may_fill_follow_up(actor, project):
        raise NotAllowed(_("Only the project's responsible person or the working group fills its follow-ups."))
    if project.status is ProjectStatus.EVALUATED:
        raise ServiceError(_("The project has been evaluated; its follow-ups are closed."))
    progress = (data.get("progress") or "").strip()
    if not progress:
        raise ServiceError(_("Describe the progress of the project."), "progress")
    follow_up.progress = progress
    follow_up.risks = (data.get("risks") or "").strip() or None
    follow_up.next_steps = (data.get("next_steps") or "").strip() or None
    if follow_up.submitted_at is None:
        follow_up.submitted_at = utcnow()
        follow_up.submitted_by_id = actor.id
    db.session.flush()
    schedule(project, today or helsinki_today())
    db.session.flush()
    return follow_up


def record_evaluation(project: Project, outputs: str, wider_use: str, recommendation: Recommendation | str,
                      actor: Any) -> Project:
    """Record the end evaluation of the project's outputs from the viewpoint of wider usability and the
    recommendation for adoption (policy §8.2; DOMAIN §5.1 step 8). Only for an ended project; the project
    (and its application) become evaluated. Recording again corrects the evaluation."""
    if project.status not in (ProjectStatus.ENDED, ProjectStatus.EVALUATED):
        raise ServiceError(_("A project is evaluated after it has ended."))
    if not (outputs or "").strip():
        raise ServiceError(_("Describe the outputs of the project."), "outputs")
    if not (wider_use or "").strip():
        raise ServiceError(_("Assess the outputs' usability beyond the project."), "wider_use")
    project.evaluation_outputs, project.evaluation_wider_use = outputs.strip(), wider_use.strip()
    project.recommendation = Recommendation(recommendation)
    project.evaluated_at, project.evaluated_by_id = utcnow(), actor.id if actor is not None else None
    project.status = ProjectStatus.EVALUATED
    project.next_follow_up_on = None
    move_application(project.application, ApplicationStatus.EVALUATED)
    db.session.flush()
    return project


def apply_dates(today: date) -> dict[str, int]:
    """Statuses that follow passing dates (the daily job): planned projects start on their start date, running
    ones end the day after their end date; their applications follow. Idempotent."""
    started = ended = 0
    for project in db.session.scalars(select(Project).where(Project.status.in_(OPEN)).order_by(Project.id)
                                      .options(selectinload(Project.application),
                                               selectinload(Project.follow_ups))):
        wanted = _status_from_dates(project.starts_on, project.ends_on, today)
        if wanted is ProjectStatus.ENDED:
            end_project(project, ends_on=project.ends_on, today=today)
            ended += 1
        elif wanted is ProjectStatus.RUNNING and project.status is ProjectStatus.PLANNED:
            project.status = ProjectStatus.RUNNING
            move_application(project.application, ApplicationStatus.RUNNING)
            schedule(project, today)
            started += 1
    db.session.flush()
    return {"started": started, "ended": ended}


# --- follow-up lists ---------------------------------------------------------------------------------

_FOLLOW_UP_LOADS = (selectinload(FollowUp.project).selectinload(Project.unit),
                    selectinload(FollowUp.project).selectinload(Project.responsible))


def overdue_follow_ups(today: date, *, responsible_id: int | None = None) -> list[FollowUp]:
    """Follow-ups past their due date and not submitted (projects not yet evaluated), oldest first."""
    stmt = (select(FollowUp).join(Project, Project.id == FollowUp.project_id)
            .where(FollowUp.submitted_at.is_(None), FollowUp.due_on < today,
                   Project.status != ProjectStatus.EVALUATED)
            .options(*_FOLLOW_UP_LOADS).order_by(FollowUp.due_on, FollowUp.id))
    if responsible_id is not None:
        stmt = stmt.where(Project.responsible_id == responsible_id)
    return list(db.session.scalars(stmt))


def open_follow_ups(responsible_id: int) -> list[FollowUp]:
    """The follow-ups a responsible person has been asked for and not yet submitted, by due date."""
    return list(db.session.scalars(
        select(FollowUp).join(Project, Project.id == FollowUp.project_id)
        .where(FollowUp.submitted_at.is_(None), Project.responsible_id == responsible_id,
               Project.status != ProjectStatus.EVALUATED)
        .options(*_FOLLOW_UP_LOADS).order_by(FollowUp.due_on, FollowUp.id)))


@dataclass
class FollowUpPanel:
    """The dashboard's portfolio panel: overdue follow-ups for the working group, own ones for a responsible
    person."""

    today: date
    overdue: list[FollowUp] = field(default_factory=list)
    overdue_total: int = 0
    mine: list[FollowUp] = field(default_factory=list)
    working_group: bool = False


def dashboard_panel(user: Any, today: date) -> FollowUpPanel | None:
    """What the dashboard shows of the portfolio to this user (None: nothing)."""
    panel = FollowUpPanel(today, working_group=may_change(user))
    if panel.working_group:
        overdue = overdue_follow_ups(today)
        panel.overdue, panel.overdue_total = overdue[:DASHBOARD_ROWS], len(overdue)
    panel.mine = open_follow_ups(user.id)
    return panel if panel.working_group or panel.mine else None


# --- the portfolio list, its filters and chart -------------------------------------------------------


@dataclass(frozen=True)
class PortfolioFilters:
    """Filters of the portfolio list and report: status and funder (enum values; funder `none`: no external
    funder), centre (a sanction centre's code: projects of its units), theme (code), owner (partner/rise) and
    free text `q` (name, description, partner). An unknown value matches nothing; empty values do not filter."""

    status: str = ""
    funder: str = ""
    centre: str = ""
    theme: str = ""
    owner: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(self.args().values())

    def args(self) -> dict[str, str]:
        """The set filters as query-string arguments."""
        values = {"status": self.status, "funder": self.funder, "centre": self.centre, "theme": self.theme,
                  "owner": self.owner, "q": self.q}
        return {k: v for k, v in values.items() if v}


def filters_from(args: Any) -> PortfolioFilters:
    """Filters from request arguments; junk is cut to size, never an error."""
    def text(name: str, length: int = 40) -> str:
        return str(args.get(name, "") or "").strip()[:length]

    return PortfolioFilters(status=text("status"), funder=text("funder"), centre=text("centre"),
                            theme=text("theme"), owner=text("owner"), q=text("q", 200))


def _enum(column: Any, enum: Any, value: str) -> Any:
    return column == enum(value) if value in enum._value2member_map_ else false()


def portfolio_conditions(filters: PortfolioFilters) -> list[Any]:
    """The filters as SQL conditions on `Project` (the list, the chart and the report)."""
    conditions: list[Any] = []
    if filters.status:
        conditions.append(_enum(Project.status, ProjectStatus, filters.status))
    if filters.funder:
        conditions.append(Project.funder.is_(None) if filters.funder == NO_FUNDER
                          else _enum(Project.funder, Funder, filters.funder))
    if filters.owner:
        conditions.append(_enum(Project.owner, ProjectOwner, filters.owner))
    if filters.centre:
        centre = db.session.scalar(select(Unit).where(Unit.code == filters.centre,
                                                      Unit.kind == UnitKind.SANCTION_CENTRE))
        conditions.append(Project.unit_id.in_(sorted(scope_unit_ids(centre))) if centre is not None else false())
    if filters.theme:
        conditions.append(select(project_theme.c.project_id).join(Theme, Theme.id == project_theme.c.theme_id)
                          .where(project_theme.c.project_id == Project.id, Theme.code == filters.theme).exists())
    for word in filters.q.lower().split()[:8]:
        like = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        conditions.append(or_(func.lower(Project.name).like(like), func.lower(Project.description).like(like),
                              select(Partner.id).where(Partner.id == Project.partner_id,
                                                       func.lower(Partner.name_fi).like(like)).exists()))
    return conditions


def portfolio_query(filters: PortfolioFilters) -> Select[tuple[Project]]:
    """Projects matching the filters, with unit, partner, responsible person and themes loaded, by name."""
    return (select(Project).options(selectinload(Project.unit), selectinload(Project.partner),
                                    selectinload(Project.responsible), selectinload(Project.themes),
                                    selectinload(Project.application))
            .where(*portfolio_conditions(filters)).order_by(func.lower(Project.name), Project.id))


def count_projects(filters: PortfolioFilters) -> int:
    """How many projects match the filters."""
    return db.session.scalar(select(func.count(Project.id)).where(*portfolio_conditions(filters))) or 0


def filter_labels(filters: PortfolioFilters) -> list[tuple[str, str]]:
    """The set filters as (translated label, shown value) pairs, e.g. for the report's heading."""
    from .models import PROJECT_STATUS_LABELS

    owners = owner_labels()
    pairs: list[tuple[str, str]] = []
    if filters.status:
        pairs.append((_("Status"), str(PROJECT_STATUS_LABELS[ProjectStatus(filters.status)])
                      if filters.status in ProjectStatus._value2member_map_ else filters.status))
    if filters.funder:
        pairs.append((_("Funder"), funder_label(Funder(filters.funder)) if filters.funder in Funder._value2member_map_
                      else funder_label(None) if filters.funder == NO_FUNDER else filters.funder))
    if filters.centre:
        unit = db.session.scalar(select(Unit).where(Unit.code == filters.centre))
        pairs.append((_("Sanction centre"), unit.name() if unit is not None else filters.centre))
    if filters.theme:
        theme = db.session.scalar(select(Theme).where(Theme.code == filters.theme))
        pairs.append((_("Theme"), theme.name() if theme is not None else filters.theme))
    if filters.owner:
        pairs.append((_("Owner"), owners.get(filters.owner, filters.owner)))
    if filters.q:
        pairs.append((_("Search"), filters.q))
    return pairs


def funder_label(funder: Funder | None) -> str:
    """The funder's name, or that the project has no external funder."""
    from .models import FUNDER_LABELS

    return str(FUNDER_LABELS[funder]) if funder is not None else _("No external funder")


def owner_labels() -> dict[str, str]:
    """The owner filter's values and their names."""
    return {ProjectOwner.PARTNER.value: _("Partner's project"), ProjectOwner.RISE.value: _("Rise's own project")}


def project_for_page(project_id: int) -> Project | None:
    """One project with everything its page shows loaded."""
    if not 0 < project_id <= MAX_ID:
        return None
    return db.session.scalar(select(Project).where(Project.id == project_id).options(
        selectinload(Project.unit), selectinload(Project.partner), selectinload(Project.responsible),
        selectinload(Project.themes), selectinload(Project.application), selectinload(Project.evaluated_by),
        selectinload(Project.follow_ups).selectinload(FollowUp.submitted_by)))


def sanction_centres() -> list[Unit]:
    """The sanction centres, by code (the centre filter)."""
    return list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE).order_by(Unit.code)))



def status_funder_counts(filters: PortfolioFilters) -> dict[tuple[ProjectStatus, Funder | None], int]:
    """The projects matching the filters counted by status and funder (one grouped query; the chart)."""
    return {(status, funder): n for status, funder, n in db.session.execute(
        select(Project.status, Project.funder, func.count(Project.id))
        .where(*portfolio_conditions(filters)).group_by(Project.status, Project.funder))}
