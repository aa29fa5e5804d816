"""Keeping contact data current: stale contacts, bulk confirmation requests, job progress, the contact's own link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import TemplateNotFound
from wtforms import EmailField, StringField, ValidationError
from wtforms.validators import DataRequired, Email, Length, Optional

from ..core import jobs, queries
from ..core.models import Job, utcnow
from ..core.pagination import paginate
from ..core.services import ServiceError
from ..extensions import db, limiter
from ..i18n import format_date
from . import currency
from .services import format_phone, keywords_from_text, normalise_phone

bp = Blueprint("currency", __name__)


def _phone(_form: Any, field: Any) -> None:
    if (field.data or "").strip() and normalise_phone(field.data) is None:
        raise ValidationError(_l("This is not a valid phone number."))


class ContactDetailsForm(FlaskForm):
    """The contact's own corrections (the same checks as the directory's contact form)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), _phone])
    mobile = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=40), _phone])
    keywords = StringField(_l("Competence keywords"), validators=[Optional(), Length(max=2000)])


# --- stale contacts and bulk requests ----------------------------------------------------------------


@bp.get("/directory/stale")
def stale() -> ResponseReturnValue:
    now = utcnow()
    choices = currency.group_choices()
    key = request.args.get("centre", "")
    if key not in {k for k, _label in choices} | {currency.ALL}:
        key = currency.default_group(current_user)
    if key == currency.ALL:
        groups, page = currency.stale_overview(now), None
    else:
        page = paginate(currency.stale_query(key, now))
        groups = [currency.StaleGroup(key, dict(choices)[key], page.total or 0, list(page.items))]
    shown = [c.id for group in groups for c in group.contacts]
    return render_template("currency/stale.html", groups=groups, page=page, key=key, choices=choices,
                           requested=currency.open_requests(shown, now), ALL=currency.ALL)


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values[:currency.MAX_SELECTION]:
        if value.isdecimal() and 0 < int(value) <= queries.MAX_ID:
            ids.append(int(value))
    return ids


@bp.post("/directory/stale/confirmations")
def send_confirmations() -> ResponseReturnValue:
    key = request.form.get("centre", "")[:20]
    try:
        ids = currency.confirmation_targets(key, _ids(request.form.getlist("contact")),
                                            request.form.get("all") == "1", utcnow())
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("currency.stale", centre=key or None))
    user = current_user._get_current_object()
    job = jobs.start_job(currency.JOB_KIND, user, len(ids), currency.send_confirmation_requests, ids, user.id)
    return redirect(url_for("currency.job", job_id=job.id))


# --- job progress ---------------------------------------------------------------------------------


def _job(job_id: int) -> Job:
    job = queries.get_or_404(Job, job_id)
    if not jobs.visible_job(job, current_user):
        abort(404)
    return job


def _result_template(kind: str) -> str | None:
    try:
        current_app.jinja_env.get_template(f"jobs/{kind}.html")
    except TemplateNotFound:
        return None
    return f"jobs/{kind}.html"


@bp.get("/jobs/<int:job_id>")
def job(job_id: int) -> ResponseReturnValue:
    job = _job(job_id)
    result = job.result if isinstance(job.result, dict) else {}
    url = result.get("url")
    return render_template("currency/job.html", job=job, result=result, done=jobs.live_done(job),
                           kind_label=jobs.KIND_LABELS.get(job.kind, job.kind),
                           status_label=jobs.STATUS_LABELS.get(job.status, job.status),
                           running=job.status in {"queued", "running"},
                           continue_url=url if isinstance(url, str) and url.startswith("/")
                           and not url.startswith("//") else None,
                           result_template=_result_template(job.kind))


@bp.get("/jobs/<int:job_id>.json")
def job_json(job_id: int) -> ResponseReturnValue:
    return jsonify(jobs.job_as_dict(_job(job_id)))


# --- the contact's own link (public) ----------------------------------------------------------------


def _confirm_limit() -> str:
    return str(current_app.config["CONFIRM_LIMIT_PER_ADDRESS"])


def _details(form: ContactDetailsForm) -> dict[str, Any]:
    return {"name": (form.name.data or "").strip(), "title": (form.title.data or "").strip() or None,
            "email": (form.email.data or "").strip().lower(), "phone": form.phone.data or "",
            "mobile": form.mobile.data or ""}


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_confirm_limit)
def confirm(token: str) -> ResponseReturnValue:
    confirmation = currency.request_by_token(token)
    problem = currency.link_problem(confirmation, utcnow())
    if problem == "used" and confirmation is not None and session.get("confirmed_request") == confirmation.id:
        return render_template("currency/confirm_done.html", contact=confirmation.contact)
    if problem is not None or confirmation is None:
        expires = format_date(confirmation.expires_at) if confirmation is not None else ""
        return render_template("currency/link_problem.html", problem=problem, expires=expires), \
            404 if problem == "unknown" else 410
    contact = confirmation.contact
    form = ContactDetailsForm(obj=contact if request.method == "GET" else None)
    if request.method == "GET":
        form.phone.data, form.mobile.data = format_phone(contact.phone), format_phone(contact.mobile)
        form.keywords.data = ", ".join(k.name for k in contact.keywords)
    if request.method == "POST" and request.form.get("action") == "confirm":
        currency.confirm_details(confirmation)
        db.session.commit()
        session["confirmed_request"] = confirmation.id
        flash(_("Thank you. Your details are confirmed."), "success")
        return redirect(url_for("currency.confirm", token=token))
    if form.validate_on_submit():
        try:
            currency.correct_details(confirmation, _details(form), keywords_from_text(form.keywords.data or ""))
            db.session.commit()
            session["confirmed_request"] = confirmation.id
            flash(_("Thank you. Your corrections were saved."), "success")
            return redirect(url_for("currency.confirm", token=token))
        except ServiceError as error:
            db.session.rollback()
            target = getattr(form, error.field or "", None)
            (target.errors if target is not None else form.form_errors).append(error.message)  # type: ignore[union-attr]
    page = render_template("currency/confirm.html", form=form, contact=contact, token=token,
                           phone=format_phone(contact.phone), mobile=format_phone(contact.mobile),
                           expires=confirmation.expires_at)
    return page, 400 if form.errors else 200
