"""The access table: which roles may use each endpoint. Enforced for every request in one place.

Object scope (a director's own unit and its sub-units) is checked by `services.in_scope` in the
services that load objects; this table decides who may reach an endpoint at all.
"""

from __future__ import annotations

from flask import Flask, abort, jsonify, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.services import mfa_required

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user, whatever their roles
ADMIN = frozenset({"admin"})
COORDINATOR = frozenset({"coordinator"})
COORDINATOR_OR_DIRECTOR = frozenset({"coordinator", "director"})

ACCESS: dict[str, str | frozenset[str]] = {
    "static": PUBLIC,
    "main.healthz": PUBLIC,
    "main.set_language": PUBLIC,
    "auth.login": PUBLIC,
    "auth.verify": PUBLIC,  # second step of sign-in: the user is not signed in yet
    "api.openapi": PUBLIC,
    "main.dashboard": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.profile": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.totp_setup": SIGNED_IN,
    "auth.totp_disable": SIGNED_IN,
    "auth.recovery_codes": SIGNED_IN,
    "auth.token_create": SIGNED_IN,
    "auth.token_revoke": SIGNED_IN,
    "auth.end_other_sessions": SIGNED_IN,
    "api.me": SIGNED_IN,
    "api.units": SIGNED_IN,
    "api.regions": SIGNED_IN,
    "admin.users": ADMIN,
    "admin.user_new": ADMIN,
    "admin.user_edit": ADMIN,
    "admin.user_set_active": ADMIN,
    "admin.user_reset_password": ADMIN,
    "admin.user_end_sessions": ADMIN,
    "admin.units": ADMIN,
    "admin.unit_new": ADMIN,
    "admin.unit_edit": ADMIN,
    "admin.regions": ADMIN,
    "admin.region_edit": ADMIN,
    "admin.audit": ADMIN,
    # --- directory: partners, contacts, liaison roles, keywords (directory/views.py) ---
    # Everyone reads; directors and admins change (a director: Rise-unit contacts only in scope, checked in the
    # view with services.may_change_contact); merging partners is for admins (DESIGN §5).
    "directory.partners": SIGNED_IN,
    "directory.partner": SIGNED_IN,
    "directory.partner_new": frozenset({"director", "admin"}),
    "directory.partner_edit": frozenset({"director", "admin"}),
    "directory.partner_set_active": frozenset({"director", "admin"}),
    "directory.partner_liaison_add": frozenset({"director", "admin"}),
    "directory.partner_merge": ADMIN,
    "directory.contacts": SIGNED_IN,
    "directory.contact": SIGNED_IN,
    "directory.contact_new": frozenset({"director", "admin"}),
    "directory.contact_edit": frozenset({"director", "admin"}),
    "directory.contact_set_active": frozenset({"director", "admin"}),
    "directory.role_add": frozenset({"director", "admin"}),
    "directory.role_end": frozenset({"director", "admin"}),
    "directory.keywords": SIGNED_IN,
    "directory.keyword": SIGNED_IN,
    # --- search and the directory API (directory/search_views.py, api/views.py) ---
    "search.results": SIGNED_IN,  # every role sees partners and contacts (DESIGN §5)
    "search.suggest": SIGNED_IN,
    "api.search": SIGNED_IN,
    "api.partners": SIGNED_IN,
    "api.partner": SIGNED_IN,
    "api.contacts": SIGNED_IN,
    "api.public_contacts": PUBLIC,  # the public directory: only contacts flagged public
    # --- import and export (directory/transfer_views.py) ---
    "transfer.index": SIGNED_IN,  # everyone sees the export links; the import part only directors and admins
    "transfer.import_upload": frozenset({"director", "admin"}),
    "transfer.import_mapping": frozenset({"director", "admin"}),  # only the uploader's own file (404 otherwise)
    "transfer.import_preview": frozenset({"director", "admin"}),
    "transfer.import_commit": frozenset({"director", "admin"}),
    "transfer.import_cancel": frozenset({"director", "admin"}),
    "transfer.partners_csv": SIGNED_IN,
    "transfer.partners_xlsx": SIGNED_IN,
    "transfer.contacts_csv": SIGNED_IN,
    "transfer.contacts_xlsx": SIGNED_IN,
    "transfer.contact_vcard": SIGNED_IN,
    "transfer.centre_pdf": SIGNED_IN,
    # --- keeping data current, mail outbox, jobs (directory/currency_views.py, admin) ---
    "currency.stale": frozenset({"director", "admin"}),
    "currency.send_confirmations": frozenset({"director", "admin"}),
    "currency.job": SIGNED_IN,  # the job's owner or an admin: checked in the view (others get 404)
    "currency.job_json": SIGNED_IN,
    "currency.confirm": PUBLIC,  # the contact's own single-use link; rate-limited
    "outbox.index": ADMIN,
    "outbox.message": ADMIN,
    # --- people with access to units: criminal-offence data (GDPR art. 10), access/*views.py ---
    # Only coordinators (all people) and directors of the units concerned (a person with an assignment in the
    # director's scope; others get 404 from access.protection.may_see) — never admins or other roles.
    "access.people": COORDINATOR_OR_DIRECTOR,
    "access.person": COORDINATOR_OR_DIRECTOR,
    "access.person_new": COORDINATOR,
    "access.person_edit": COORDINATOR,
    "access.training_new": COORDINATOR,
    "access.training_edit": COORDINATOR,
    "access.clearance_new": COORDINATOR,
    "access.clearance_edit": COORDINATOR,
    "access.sentence_new": COORDINATOR,
    "access.sentence_edit": COORDINATOR,
    "access.sentence_delete": COORDINATOR,
    "access.induction_new": COORDINATOR_OR_DIRECTOR,  # a unit inducts its own outside workers (policy §16)
    "access.document": COORDINATOR_OR_DIRECTOR,
    "access.org_clearances": COORDINATOR,
    "access.org_clearance_new": COORDINATOR,
    "access.org_clearance_edit": COORDINATOR,
    "access.assignment_new": COORDINATOR,
    "access.assignment": COORDINATOR_OR_DIRECTOR,
    "access.assignment_edit": COORDINATOR,
    "access.assess": COORDINATOR_OR_DIRECTOR,
    "access.assessment": COORDINATOR_OR_DIRECTOR,
    "access.decision_new": frozenset({"director"}),  # the unit director decides (policy §10.3); scope checked
    "access.concern_new": COORDINATOR_OR_DIRECTOR,
    "access.person_export_json": COORDINATOR,  # data-subject access requests
    "access.person_export_pdf": COORDINATOR,
    "access.retention": COORDINATOR,
    "access.retention_erase": COORDINATOR,
    "access.parameters": COORDINATOR,
    "access.parameters_new": COORDINATOR,
    "api.eligibility_assess": COORDINATOR,
    # --- agreements (agreements/*views.py) ---
    # Everyone reads; directors and admins change, a director only agreements in scope (checked in the views
    # with agreements.services.may_change: owner unit or a sanction centre in scope; national-area users their
    # area's national agreements).
    "agreements.index": SIGNED_IN,
    "agreements.detail": SIGNED_IN,
    "agreements.new": frozenset({"director", "admin"}),
    "agreements.edit": frozenset({"director", "admin"}),
    "agreements.transition": frozenset({"director", "admin"}),
    "agreements.amend": frozenset({"director", "admin"}),
    "agreements.liaison_add": frozenset({"director", "admin"}),
    # Documents: uploads by those who may change the agreement; downloads by everyone, except confidential
    # documents, which staff never see (404; agreements/documents.py). Exports and the API read like the list.
    "agreements.document_new": frozenset({"director", "admin"}),
    "agreements.document": SIGNED_IN,
    "agreements.export_csv": SIGNED_IN,
    "agreements.export_xlsx": SIGNED_IN,
    "agreements.report_pdf": SIGNED_IN,
    "api.agreements": SIGNED_IN,
    "api.agreement": SIGNED_IN,
    # Dashboard and coverage: everyone reads (the dashboard shows the user's own scope). The deadlines feed is
    # public: its personal token authenticates (404 otherwise); the profile creates, rotates and revokes it.
    "agreements.dashboard": SIGNED_IN,
    "agreements.coverage": SIGNED_IN,
    "agreements.deadlines_ics": PUBLIC,
    "auth.feed_token": SIGNED_IN,
    "auth.reminder_settings": SIGNED_IN,
    # --- networks and the calendar views (meetings/views.py, meetings/agenda_views.py) ---
    # Everyone reads networks and calendars and may follow a network; directors and admins change, a director
    # only networks in scope (checked in the views with meetings.services.may_change: sanction centre, convenor
    # or facilitator in scope; national-area users the national networks their area convenes).
    "meetings.networks": SIGNED_IN,
    "meetings.network": SIGNED_IN,
    "meetings.network_new": frozenset({"director", "admin"}),
    "meetings.network_edit": frozenset({"director", "admin"}),
    "meetings.member_add": frozenset({"director", "admin"}),
    "meetings.member_edit": frozenset({"director", "admin"}),
    "meetings.member_remove": frozenset({"director", "admin"}),
    "meetings.evaluation_new": frozenset({"director", "admin"}),
    "meetings.follow": SIGNED_IN,
    "meetings.calendar": SIGNED_IN,
    # --- meeting series and single occurrences (meetings/series_views.py) ---
    # Everyone reads series, occurrences, minutes and their documents; directors and admins plan, edit, cancel,
    # move and record minutes, a director only for networks in scope (meetings.services.may_change via
    # series.network, checked in the views).
    "meetings.series": SIGNED_IN,
    "meetings.series_new": frozenset({"director", "admin"}),
    "meetings.series_edit": frozenset({"director", "admin"}),
    "meetings.series_onwards": frozenset({"director", "admin"}),
    "meetings.occurrence": SIGNED_IN,
    "meetings.occurrence_cancel": frozenset({"director", "admin"}),
    "meetings.occurrence_restore": frozenset({"director", "admin"}),
    "meetings.occurrence_move": frozenset({"director", "admin"}),
    "meetings.occurrence_agenda": frozenset({"director", "admin"}),
    "meetings.occurrence_minutes": frozenset({"director", "admin"}),
    "meetings.occurrence_document": SIGNED_IN,
    # --- iCalendar feeds and import, the meetings API (meetings/feed_views.py, api/meetings.py) ---
    # Everyone signed in downloads calendars and invitations and reads the API. The personal feed is public:
    # its token authenticates (404 otherwise), so calendar programs subscribe without a cookie. Importing
    # creates series: directors (networks in scope, meetings.services.may_change) and admins.
    "meetings.network_ics": SIGNED_IN,
    "meetings.series_ics": SIGNED_IN,
    "meetings.occurrence_ics": SIGNED_IN,
    "meetings.personal_feed": PUBLIC,
    "meetings.import_ics": frozenset({"director", "admin"}),
    "api.networks": SIGNED_IN,
    "api.network": SIGNED_IN,
    "api.meetings": SIGNED_IN,
    # --- project-partnership applications: the public form, the Webropol import (applications/public_views.py,
    # import_views.py) ---
    # Anyone applies without an account (rate-limited per address, bot-protected); the thanks page shows only the
    # reference kept in the applicant's own session. Importing is for the working group (only the uploader's own
    # file and report: 404 otherwise).
    "applications.apply": PUBLIC,
    "applications.thanks": PUBLIC,
    "applications.import_csv": frozenset({"working_group"}),
    "applications.import_mapping": frozenset({"working_group"}),
    "applications.import_preview": frozenset({"working_group"}),
    "applications.import_cancel": frozenset({"working_group"}),
    "applications.import_report": frozenset({"working_group"}),
    "applications.import_report_csv": frozenset({"working_group"}),
    # --- the working group's handling (applications/views.py, review_views.py) ---
    # Only the working group (admins only if they also hold the role). Reviewing is the assigned reviewer's own
    # (others are sent back to the application; a reviewer linked to the applicant or with a declared conflict is
    # blocked by services.may_review). The letter is public: the working group by session, the applicant with the
    # access key of their own link (compared in constant time; 404 otherwise; rate-limited).
    "applications.index": frozenset({"working_group"}),
    "applications.detail": frozenset({"working_group"}),
    "applications.edit": frozenset({"working_group"}),
    "applications.transition": frozenset({"working_group"}),
    "applications.meetings": frozenset({"working_group"}),
    "applications.meeting_new": frozenset({"working_group"}),
    "applications.meeting": frozenset({"working_group"}),
    "applications.agenda_add": frozenset({"working_group"}),
    "applications.reviewer_add": frozenset({"working_group"}),
    "applications.conflict": frozenset({"working_group"}),
    "applications.review": frozenset({"working_group"}),
    "applications.criteria": frozenset({"working_group"}),
    "applications.criteria_new_version": frozenset({"working_group"}),
    "applications.statement": frozenset({"working_group"}),
    "applications.statement_pdf": PUBLIC,
    "applications.decision": frozenset({"working_group"}),
    "applications.funding": frozenset({"working_group"}),
    # --- project portfolio (applications/portfolio_views.py) ---
    # Everyone reads the portfolio and its report; the working group changes it. A follow-up is filled by the
    # project's responsible person or the working group (others get 403 from portfolio.may_fill_follow_up).
    # The application exports and the applications API are for the working group only (not admins as such).
    "applications.portfolio": SIGNED_IN,
    "applications.project": SIGNED_IN,
    "applications.project_new": frozenset({"working_group"}),
    "applications.project_edit": frozenset({"working_group"}),
    "applications.follow_up": SIGNED_IN,
    "applications.project_evaluation": frozenset({"working_group"}),
    "applications.portfolio_pdf": SIGNED_IN,
    "applications.export_csv": frozenset({"working_group"}),
    "applications.export_xlsx": frozenset({"working_group"}),
    "api.applications": frozenset({"working_group"}),
    "api.application": frozenset({"working_group"}),
}

# Where a signed-in user who still owes a password change or a second-factor enrolment may go.
SETUP_ENDPOINTS = frozenset({"static", "main.healthz", "main.set_language", "auth.logout", "auth.profile",
                             "auth.change_password", "auth.totp_setup", "auth.recovery_codes"})


def allowed(endpoint: str, user: object) -> bool:
    """Whether the user (possibly anonymous) may use the endpoint according to the table."""
    rule = ACCESS.get(endpoint)
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return rule == SIGNED_IN or user.has_role(*rule)  # type: ignore[attr-defined]


def is_api_request() -> bool:
    """Requests under /api/ get JSON errors instead of pages."""
    return request.path.startswith("/api/")


def _enforce() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:  # 404 / 405: let routing raise its own error
        return None
    rule = ACCESS.get(endpoint)
    if rule is None:
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if is_api_request():
            response = jsonify(error="unauthorized", message="Sign in or send a bearer token.")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if endpoint not in SETUP_ENDPOINTS and not is_api_request():
        if current_user.must_change_password:
            return redirect(url_for("auth.profile", _anchor="password"))
        if mfa_required(current_user) and current_user.totp_enabled_at is None:
            return redirect(url_for("auth.totp_setup"))
    if not allowed(endpoint, current_user):
        abort(403)
    return None


def check_table_covers(app: Flask) -> None:
    """Refuse to start when an endpoint is missing from the access table."""
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS))
    if missing:
        raise RuntimeError(f"endpoints missing from the access table: {', '.join(missing)}")


def register_access(app: Flask) -> None:
    """Install the per-request access check and the `can()` helper for templates."""
    app.before_request(_enforce)
    app.jinja_env.globals["can"] = lambda endpoint: allowed(endpoint, current_user)
