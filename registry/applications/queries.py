"""Read-only application queries shared by the pages, the exports and the API: the list and its filters, meetings,
agenda candidates, working-group members, the dashboard panel, the status history; number formatting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import selectinload

from ..core.models import User, UserRole, utcnow
from ..extensions import db
from ..i18n import format_date
from .models import Application, ApplicationStatus, Funder, Review, Reviewer, ReviewMeeting

S = ApplicationStatus
AGENDA_STATUSES = (S.RECEIVED, S.ELIGIBILITY_CHECKED, S.IN_REVIEW)


# --- the list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationFilters:
    """Filters of the application list: status and funder (enum values), meeting (id), free text."""

    status: str = ""
    funder: str = ""
    meeting: int | None = None
    q: str = ""

    def args(self) -> dict[str, Any]:
        """The filters as query-string arguments."""
        values = {"status": self.status, "funder": self.funder, "meeting": self.meeting, "q": self.q}
        return {k: v for k, v in values.items() if v not in ("", None)}


def filters_from(args: Any) -> ApplicationFilters:
    """Filters from request arguments; junk is cut to size, never an error."""
    def text(name: str, length: int = 40) -> str:
        return str(args.get(name, "") or "").strip()[:length]

    meeting = text("meeting", 9)
    return ApplicationFilters(status=text("status"), funder=text("funder"), q=text("q", 200),
                              meeting=int(meeting) if meeting.isdigit() else None)


def applications_query(filters: ApplicationFilters) -> Any:
    """The application list: newest first, with what the list shows loaded."""
    stmt = select(Application).options(selectinload(Application.reviewers), selectinload(Application.units),
                                       selectinload(Application.review_meeting)) \
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    # An unknown status or funder matches nothing (comparing an enum column with junk would be an error).
    if filters.status:
        stmt = stmt.where(Application.status == S(filters.status) if filters.status in S._value2member_map_
                          else false())
    if filters.funder:
        stmt = stmt.where(Application.funder == Funder(filters.funder) if filters.funder in Funder._value2member_map_
                          else false())
    if filters.meeting is not None:
        stmt = stmt.where(Application.review_meeting_id == filters.meeting)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        stmt = stmt.where(func.lower(Application.reference).like(like)
                          | func.lower(Application.organisation_name).like(like)
                          | func.lower(Application.project_name).like(like)
                          | func.lower(func.coalesce(Application.dnro, "")).like(like))
    return stmt


def meetings() -> list[ReviewMeeting]:
    """Every working-group meeting, newest first."""
    return list(db.session.scalars(select(ReviewMeeting).order_by(ReviewMeeting.held_on.desc(),
                                                                  ReviewMeeting.id.desc())))


def working_group_panel(user: Any) -> dict[str, list[Application]]:
    """The working-group dashboard: applications awaiting checks, awaiting my review, statements to give."""
    received = list(db.session.scalars(select(Application).where(Application.status == S.RECEIVED)
                                       .order_by(Application.submitted_at).limit(20)))
    mine = list(db.session.scalars(
        select(Application).join(Reviewer, Reviewer.application_id == Application.id)
        .where(Reviewer.user_id == user.id, Application.status == S.IN_REVIEW,
               ~select(Review.id).where(Review.application_id == Application.id, Review.reviewer_id == user.id,
                                        Review.submitted_at.is_not(None)).exists())
        .order_by(Application.submitted_at).limit(20)))
    statements = list(db.session.scalars(
        select(Application).where(Application.status == S.IN_REVIEW, Application.reviews.any(
            Review.submitted_at.is_not(None))).order_by(Application.submitted_at).limit(20)))
    return {"received": received, "to_review": mine, "statements": statements}


@dataclass(frozen=True)
class HistoryEntry:
    """One status step or note from the audit log."""

    at: Any
    actor: str
    from_status: str | None
    to_status: str | None
    note: str | None


def status_history(application: Application) -> list[HistoryEntry]:
    """The application's status steps and their notes, oldest first (one query on the audit log)."""
    from ..core.models import AuditEvent

    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "application", AuditEvent.object_id == str(application.id))
        .order_by(AuditEvent.id))
    entries = []
    for event in events:
        after, before = event.after or {}, event.before or {}
        if "status" in after or event.note:
            entries.append(HistoryEntry(at=event.at, actor=event.actor_label, from_status=before.get("status"),
                                        to_status=after.get("status"), note=event.note))
    return entries


def format_score(value: Any) -> str:
    """A score with at most two decimals (Finnish decimal comma in Finnish and Swedish)."""
    from ..i18n import current_language

    if value is None:
        return "—"
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if current_language() in ("fi", "sv") else text


def letter_date(application: Application) -> str:
    """The letter's date (the day the statement was given, in Helsinki)."""
    return format_date(application.statement_given_at or utcnow())


def agenda_candidates() -> list[Application]:
    """Pending applications not on any meeting's agenda yet, oldest first."""
    return list(db.session.scalars(select(Application).where(
        Application.status.in_(AGENDA_STATUSES), Application.review_meeting_id.is_(None))
        .order_by(Application.submitted_at, Application.id)))



def working_group_members() -> list[User]:
    """Active users with the working-group role, by name."""
    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == "working_group", User.active.is_(True)).order_by(User.name)))
