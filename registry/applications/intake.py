"""Intake of project-partnership applications (DOMAIN §5.1 step 1): from the public form or a Webropol import.

`submit_application` gives the application its reference (PK-<year>-<running number>, unique also when two
applications arrive at the same moment) and its random access key, links it to the partner directory (an existing
partner by business ID, or a new *pending* partner, inactive until the working group accepts it) and adds it with
status received. `send_confirmation` queues the confirmation e-mail in the applicant's language. Both add and
flush; the caller commits.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..config import LANGUAGES
from ..core.mail import send_mail
from ..core.models import Unit, utcnow
from ..core.services import ServiceError
from ..directory import rules as directory_rules
from ..directory import services as directory_services
from ..directory.models import Partner, PartnerCategory, PartnerLevel, Theme
from ..extensions import db
from ..i18n import HELSINKI, format_date
from .models import ApplicantForm, Application, ApplicationSource, ApplicationStatus, Funder

REFERENCE_PREFIX = "PK"
REFERENCE_ATTEMPTS = 5  # a concurrent submission may take the number computed here: compute again

# The directory category of a pending partner created from an application (a private person gets none).
PARTNER_CATEGORY = {
    ApplicantForm.ASSOCIATION: PartnerCategory.ASSOCIATION,
    ApplicantForm.FOUNDATION: PartnerCategory.FOUNDATION,
    ApplicantForm.OTHER_LEGAL_ENTITY: PartnerCategory.OTHER,
    ApplicantForm.EDUCATIONAL_INSTITUTION: PartnerCategory.EDUCATIONAL_INSTITUTION,
    ApplicantForm.MUNICIPALITY: PartnerCategory.MUNICIPALITY,
    ApplicantForm.JOINT_MUNICIPAL_AUTHORITY: PartnerCategory.JOINT_MUNICIPAL_AUTHORITY,
    ApplicantForm.PARISH: PartnerCategory.PARISH,
    ApplicantForm.SOCIAL_ENTERPRISE: PartnerCategory.SOCIAL_ENTERPRISE,
    ApplicantForm.COMPANY: PartnerCategory.COMPANY,
}

# Fields of `submit_application`'s data copied to the application as they are (already validated and trimmed).
TEXT_FIELDS = ("organisation_name", "contact_name", "contact_email", "contact_phone", "address", "project_name",
               "description", "need", "target_groups", "funder_other", "funding_round")


def reference_year(submitted_at: datetime) -> int:
    """The year of the reference: the submission's calendar year in Finland."""
    return submitted_at.astimezone(HELSINKI).year


def next_reference(year: int) -> str:
    """The next free reference of the year, PK-<year>-<4-digit number> (more digits after 9999)."""
    prefix = f"{REFERENCE_PREFIX}-{year}-"
    with db.session.no_autoflush:
        taken = db.session.scalars(
            select(Application.reference).where(Application.reference.like(f"{prefix}%"))
            .order_by(func.length(Application.reference).desc(), Application.reference.desc()).limit(1)).first()
    number = int(taken[len(prefix):]) if taken and taken[len(prefix):].isdecimal() else 0
    return f"{prefix}{number + 1:04d}"


def _pending_note(reference: str) -> str:
    with force_locale("fi"):  # a note for the working group, written in the registry's working language
        return _("Created from project-partnership application %(reference)s. Activate the partner when the "
                 "partnership is accepted.", reference=reference)


def _create_pending(application: Application) -> Partner | None:
    """A new inactive partner for the applicant; None when another request created it meanwhile."""
    partner = Partner(name_fi=application.organisation_name[:300], business_id=application.business_id,
                      category=PARTNER_CATEGORY[application.applicant_form], level=PartnerLevel.REGIONAL,
                      active=False, notes=_pending_note(application.reference))
    try:
        with db.session.begin_nested():
            db.session.add(partner)
            db.session.flush()
    except IntegrityError:  # the same business ID arrived in a parallel submission
        return None
    return partner


def match_partner(application: Application) -> Partner | None:
    """The applicant's partner: found by business ID (or, without one, by the exact name), else a new pending one.

    A private person is never entered in the directory (policy §8.2: never a partner). A merged partner is
    followed to the partner it was merged into.
    """
    if application.applicant_form is ApplicantForm.PRIVATE_PERSON:
        return None
    with db.session.no_autoflush:
        if application.business_id:
            found = directory_services.partner_by_business_id(application.business_id)
        else:
            found = db.session.scalars(select(Partner).where(
                Partner.business_id.is_(None), Partner.merged_into_id.is_(None),
                func.lower(Partner.name_fi) == application.organisation_name.lower()).order_by(Partner.id)).first()
    for _hop in range(5):  # follow merges (never a cycle, but stay bounded)
        if found is None or found.merged_into_id is None:
            break
        found = db.session.get(Partner, found.merged_into_id)
    if found is not None:
        return found
    created = _create_pending(application)
    if created is None and application.business_id:
        return directory_services.partner_by_business_id(application.business_id)
    return created


def _by_ids(model: Any, ids: list[int], field: str) -> list[Any]:
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    found = {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(unique)))}
    if len(found) != len(unique):
        raise ServiceError(_("Choose from the list."), field)
    return [found[i] for i in unique]


def _valid_unit(unit: Unit, on: date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= on) and (unit.valid_to is None or on <= unit.valid_to)


def submit_application(data: dict[str, Any], *, source: ApplicationSource, language: str) -> Application:
    """Add a received application from validated data; returns it flushed, with its reference.

    `data` holds the model's text fields, `business_id` (normalised or None), `applicant_form`, `funder`,
    `planned_start`/`planned_end` (dates or None), `prison_work`/`e_services` (bools), `unit_ids`/`theme_ids`
    (lists of ids) and optionally `submitted_at` (an aware datetime: an imported application's original date).
    """
    submitted_at: datetime = data.get("submitted_at") or utcnow()
    start, end = data.get("planned_start"), data.get("planned_end")
    if start and end and end < start:
        raise ServiceError(_("The end must be after the start."), "planned_end")
    business_id = data.get("business_id") or None
    if business_id is not None and directory_rules.normalise_business_id(business_id) != business_id:
        raise ServiceError(_("This is not a valid business ID (check digit or format 1234567-8)."), "business_id")
    units = _by_ids(Unit, list(data.get("unit_ids") or []), "units")
    on = submitted_at.astimezone(HELSINKI).date()
    if source is ApplicationSource.WEB and not all(_valid_unit(u, on) for u in units):
        raise ServiceError(_("Choose from the list."), "units")
    application = Application(
        status=ApplicationStatus.RECEIVED, source=source, submitted_at=submitted_at,
        language=language if language in LANGUAGES else "fi", business_id=business_id,
        applicant_form=ApplicantForm(data["applicant_form"]), funder=Funder(data["funder"]),
        planned_start=start, planned_end=end, prison_work=bool(data.get("prison_work")),
        e_services=bool(data.get("e_services")),
        **{name: data.get(name) or None for name in TEXT_FIELDS})
    for required in ("organisation_name", "contact_name", "contact_email", "project_name", "description"):
        if not getattr(application, required):
            raise ServiceError(_("This field is required."), required)
    application.units = units
    application.themes = _by_ids(Theme, list(data.get("theme_ids") or []), "themes")
    year = reference_year(submitted_at)
    application.reference = next_reference(year)  # the pending partner's note names it
    application.partner = match_partner(application)
    for _attempt in range(REFERENCE_ATTEMPTS):
        application.access_key = secrets.token_urlsafe(32)
        try:
            with db.session.begin_nested():
                db.session.add(application)
                db.session.flush()
            return application
        except IntegrityError:  # a parallel submission took the number between our read and our insert
            application.reference = next_reference(year)
    raise ServiceError(_("The application could not be saved. Send it again in a moment."))


def confirmation_email(application: Application) -> tuple[str, str]:
    """Subject and body of the confirmation, in the applicant's language (naming the reference)."""
    language = application.language if application.language in LANGUAGES else "fi"
    with force_locale(language):
        subject = _("Application received: %(reference)s", reference=application.reference)
        body = render_template("email/application_received.txt", application=application,
                               submitted=format_date(application.submitted_at))
    return subject, body


def send_confirmation(application: Application) -> None:
    """Queue the confirmation e-mail to the applicant's contact person (delivered after the caller commits)."""
    subject, body = confirmation_email(application)
    send_mail(application.contact_email, subject, body)
