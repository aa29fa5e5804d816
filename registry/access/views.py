"""Pages for people with access to units (policy §10, §16): records, assignments, decisions, protection.

Every page of a person answers 404 to a user `protection.may_see` refuses (existence is never revealed), and
every read of a person's record or document is audit-logged.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..core import audit
from ..core.access import allowed
from ..core.documents import send_document
from ..core.models import Document, Unit
from ..core.pagination import paginate
from ..core.queries import MAX_ID, get_or_404, get_or_none
from ..core.services import ServiceError, scope_unit_ids
from ..core.web import form_failed
from ..directory import queries as directory_queries
from ..directory.models import Partner
from ..directory.services import format_phone
from ..extensions import db
from ..i18n import today as helsinki_today
from . import services
from .forms import (
    CLEARANCE_KIND_LABELS,
    FLAG_LABELS,
    NONE,
    ClearanceForm,
    InductionForm,
    OrgClearanceForm,
    PersonForm,
    SentenceForm,
    TrainingForm,
)
from .labels import CLEARANCE_RESULT_LABELS, DECISION_LABELS, ROLE_LABELS, SANCTION_LABELS
from .models import Person, SecurityClearance, Sentence, Training
from .protection import may_see

bp = Blueprint("access", __name__, url_prefix="/people")

# The data-subject exports, linked from the person page when they exist and the user may use them.
EXPORTS = (("access.person_export_json", "JSON"), ("access.person_export_pdf", "PDF"))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"ROLE_LABELS": ROLE_LABELS, "SANCTION_LABELS": SANCTION_LABELS, "DECISION_LABELS": DECISION_LABELS,
            "CLEARANCE_KIND_LABELS": CLEARANCE_KIND_LABELS, "CLEARANCE_RESULT_LABELS": CLEARANCE_RESULT_LABELS,
            "FLAG_LABELS": FLAG_LABELS, "money": lambda value: format_currency(value, "EUR"),
            "max_mb": f"{int(current_app.config['DOCUMENT_MAX_BYTES']) / 1024 / 1024:g}"}




def _arg(name: str, length: int = 40) -> str:
    return request.args.get(name, "").strip()[:length]


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and 0 < value <= MAX_ID else None


def _shown_phone(value: str | None) -> str:
    try:
        return format_phone(value)
    except phonenumbers.NumberParseException:
        return value or ""


def _upload(field: Any) -> services.Upload | None:
    """The uploaded file of a file field, or None when no file was chosen."""
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    data = storage.read(int(current_app.config["DOCUMENT_MAX_BYTES"]) + 1)  # one byte more shows it is too large
    return services.Upload(data, storage.filename)


def _person_or_404(person_id: int) -> Person:
    """The person with every section loaded, when the user may see them; 404 otherwise (never 403)."""
    person = services.person_for_page(person_id) if 0 < person_id <= MAX_ID else None
    if person is None or not may_see(current_user, person):
        abort(404)
    return person



def _unit_scope() -> set[int] | None:
    """The units the user may pick for an induction: all for coordinators, else the director's scope."""
    return None if current_user.has_role("coordinator") else scope_unit_ids(current_user.home_unit)


def _page(template: str, form: Any, **context: Any) -> ResponseReturnValue:
    return render_template(template, form=form, **context), 400 if form.errors else 200


def _to_person(person_id: int, anchor: str) -> ResponseReturnValue:
    return redirect(url_for("access.person", person_id=person_id, _anchor=anchor))


# --- the list and the person page -----------------------------------------------------------------


@bp.get("/")
def people() -> ResponseReturnValue:
    flag = _arg("flag")
    filters = services.PeopleFilters(q=_arg("q", 100), role=_arg("role"), partner=_id_arg("partner"),
                                     unit=_id_arg("unit"), flag=flag if flag in services.FLAGS else "")
    today = helsinki_today()
    page = paginate(services.people_query(current_user, filters, today))
    summaries = services.people_summaries([p.id for p in page.items], today)
    return render_template("access/people.html", page=page, filters=filters, summaries=summaries,
                           partners=services.people_partner_choices(current_user),
                           units=directory_queries.unit_choices(_unit_scope()))


@bp.get("/<int:person_id>")
def person(person_id: int) -> ResponseReturnValue:
    found = _person_or_404(person_id)
    today = helsinki_today()
    exports = [(label, url_for(endpoint, person_id=found.id)) for endpoint, label in EXPORTS
               if endpoint in current_app.view_functions and allowed(endpoint, current_user)]
    states = {c.id: services.clearance_state([c.valid_until], today) for c in found.clearances if c.completed_on}
    page = render_template("access/person.html", person=found, today=today, exports=exports, clearance_states=states,
                           summary=services.people_summaries([found.id], today)[found.id])
    audit.record_read(found)
    return page


@bp.get("/<int:person_id>/documents/<int:document_id>")
def document(person_id: int, document_id: int) -> ResponseReturnValue:
    found = _person_or_404(person_id)
    if document_id not in services.person_document_ids(found):
        abort(404)  # only the person's own documents, whatever exists under other ids
    doc = get_or_404(Document, document_id)
    response = send_document(doc)
    audit.record_read(doc, note=f"person {found.id}")
    return response


# --- the person's details -------------------------------------------------------------------------


def _person_data(form: PersonForm) -> dict[str, Any]:
    return {"name": form.name.data, "email": form.email.data, "phone": form.phone.data, "role": form.role.data,
            "partner": get_or_none(Partner, form.partner.data), "peer_role": form.peer_role.data,
            "developer_role": form.developer_role.data, "hourly_fee": form.hourly_fee.data,
            "travel_costs_paid": form.travel_costs_paid.data, "undertaking_signed_on": form.undertaking_signed_on.data,
            "open_criminal_case": form.open_criminal_case.data, "notes": form.notes.data}


def _person_form_page(person: Person | None) -> ResponseReturnValue:
    form = PersonForm(obj=person if request.method == "GET" else None)
    chosen = form.partner.data if request.method == "POST" and isinstance(form.partner.data, int) else None
    form.partner.choices = [NONE] + [SelectChoice(pid, name) for pid, name in directory_queries.partner_choices(
        person.partner_id if person else None, chosen)]
    if request.method == "GET":
        if person is not None:
            form.role.data = person.role.value
            form.partner.data = person.partner_id or 0
            form.phone.data = _shown_phone(person.phone)
        else:
            wanted = _id_arg("partner")
            form.partner.data = wanted if wanted in {c.value for c in form.partner.choices} else 0
    if form.validate_on_submit():
        try:
            saved = services.save_person(person or Person(), _person_data(form), today=helsinki_today(),
                                         upload=_upload(form.undertaking_document), user_id=current_user.id)
            db.session.commit()
            flash(_("The record of %(name)s was saved.", name=saved.name), "success")
            return redirect(url_for("access.person", person_id=saved.id))
        except ServiceError as error:
            form_failed(form, error)
    return _page("access/person_form.html", form, person=person)


@bp.route("/new", methods=["GET", "POST"])
def person_new() -> ResponseReturnValue:
    return _person_form_page(None)


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
def person_edit(person_id: int) -> ResponseReturnValue:
    return _person_form_page(_person_or_404(person_id))


# --- trainings ------------------------------------------------------------------------------------


def _training_form_page(person: Person, training: Training | None) -> ResponseReturnValue:
    form = TrainingForm(obj=training if request.method == "GET" else None)
    if form.validate_on_submit():
        data = {"provider": form.provider.data, "programme": form.programme.data,
                "completed_on": form.completed_on.data, "verified": form.verified.data}
        try:
            services.save_training(training or Training(), person, data, today=helsinki_today(), user=current_user,
                                   upload=_upload(form.document))
            db.session.commit()
            flash(_("The training was saved."), "success")
            return _to_person(person.id, "trainings")
        except ServiceError as error:
            form_failed(form, error)
            person = _person_or_404(person.id)
    return _page("access/training_form.html", form, person=person, training=training)


@bp.route("/<int:person_id>/training/new", methods=["GET", "POST"])
def training_new(person_id: int) -> ResponseReturnValue:
    return _training_form_page(_person_or_404(person_id), None)


@bp.route("/training/<int:training_id>", methods=["GET", "POST"])
def training_edit(training_id: int) -> ResponseReturnValue:
    training = get_or_404(Training, training_id)
    return _training_form_page(_person_or_404(training.person_id), training)


# --- personal security clearances -----------------------------------------------------------------


def _clearance_data(form: ClearanceForm | OrgClearanceForm) -> dict[str, Any]:
    return {"requested_on": form.requested_on.data, "completed_on": form.completed_on.data,
            "result": form.result.data or None, "valid_until": form.valid_until.data, "notes": form.notes.data}


def _clearance_form_page(person: Person, clearance: SecurityClearance | None) -> ResponseReturnValue:
    form = ClearanceForm(obj=clearance if request.method == "GET" else None)
    if request.method == "GET" and clearance is not None:
        form.kind.data = clearance.kind.value
        form.result.data = clearance.result.value if clearance.result else ""
    if form.validate_on_submit():
        data = {**_clearance_data(form), "kind": form.kind.data, "consent_on": form.consent_on.data}
        try:
            services.save_clearance(clearance or SecurityClearance(), person, data, today=helsinki_today())
            db.session.commit()
            flash(_("The security clearance was saved."), "success")
            return _to_person(person.id, "clearances")
        except ServiceError as error:
            form_failed(form, error)
            person = _person_or_404(person.id)
    return _page("access/clearance_form.html", form, person=person, clearance=clearance)


@bp.route("/<int:person_id>/clearances/new", methods=["GET", "POST"])
def clearance_new(person_id: int) -> ResponseReturnValue:
    return _clearance_form_page(_person_or_404(person_id), None)


@bp.route("/clearances/<int:clearance_id>", methods=["GET", "POST"])
def clearance_edit(clearance_id: int) -> ResponseReturnValue:
    clearance = get_or_404(SecurityClearance, clearance_id)
    if clearance.person_id is None:
        abort(404)  # an organisation's clearance has its own page
    return _clearance_form_page(_person_or_404(clearance.person_id), clearance)


# --- inductions -----------------------------------------------------------------------------------


@bp.route("/<int:person_id>/inductions/new", methods=["GET", "POST"])
def induction_new(person_id: int) -> ResponseReturnValue:
    found = _person_or_404(person_id)
    form = InductionForm()
    form.unit.choices = [NONE] + [SelectChoice(uid, name) for uid, name in
                                  directory_queries.unit_choices(_unit_scope())]
    if form.validate_on_submit():
        data = {"unit": get_or_none(Unit, form.unit.data), "inducted_on": form.inducted_on.data,
                "inducted_by": form.inducted_by.data}
        try:
            services.add_induction(found, data, user=current_user, today=helsinki_today())
            db.session.commit()
            flash(_("The induction was recorded."), "success")
            return _to_person(person_id, "inductions")
        except ServiceError as error:
            form_failed(form, error)
            found = _person_or_404(person_id)
    return _page("access/induction_form.html", form, person=found)


# --- sentences ------------------------------------------------------------------------------------


def _sentence_form_page(person: Person, sentence: Sentence | None) -> ResponseReturnValue:
    form = SentenceForm(obj=sentence if request.method == "GET" else None)
    if request.method == "GET" and sentence is not None:
        form.sanction.data = sentence.sanction.value
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in services.SENTENCE_FIELDS}
        try:
            services.save_sentence(sentence or Sentence(), person, data, today=helsinki_today())
            db.session.commit()
            flash(_("The sentence facts were saved."), "success")
            return _to_person(person.id, "sentences")
        except ServiceError as error:
            form_failed(form, error)
            person = _person_or_404(person.id)
    page = _page("access/sentence_form.html", form, person=person, sentence=sentence)
    if request.method == "GET" and sentence is not None:
        audit.record_read(sentence)  # criminal-offence data (GDPR art. 10): every read is logged
    return page


@bp.route("/<int:person_id>/sentences/new", methods=["GET", "POST"])
def sentence_new(person_id: int) -> ResponseReturnValue:
    return _sentence_form_page(_person_or_404(person_id), None)


@bp.route("/sentences/<int:sentence_id>", methods=["GET", "POST"])
def sentence_edit(sentence_id: int) -> ResponseReturnValue:
    sentence = get_or_404(Sentence, sentence_id)
    return _sentence_form_page(_person_or_404(sentence.person_id), sentence)


@bp.post("/sentences/<int:sentence_id>/delete")
def sentence_delete(sentence_id: int) -> ResponseReturnValue:
    sentence = get_or_404(Sentence, sentence_id)
    person_id = _person_or_404(sentence.person_id).id
    services.delete_sentence(sentence)
    db.session.commit()
    flash(_("The sentence facts were deleted."), "success")
    return _to_person(person_id, "sentences")


# --- organisation-level clearances (policy §8.2) --------------------------------------------------


@bp.get("/organisations")
def org_clearances() -> ResponseReturnValue:
    partner_id = _id_arg("partner")
    today = helsinki_today()
    page = paginate(services.org_clearances_query(partner_id))
    states = {c.id: services.clearance_state([c.valid_until], today) for c in page.items if c.completed_on}
    return render_template("access/org_clearances.html", page=page, partner_id=partner_id, states=states,
                           partners=services.org_clearance_partner_choices())


def _org_clearance_form_page(clearance: SecurityClearance | None) -> ResponseReturnValue:
    form = OrgClearanceForm(obj=clearance if request.method == "GET" else None)
    wanted = _id_arg("partner") if clearance is None else None
    chosen = form.partner.data if request.method == "POST" and isinstance(form.partner.data, int) else None
    form.partner.choices = [NONE] + [SelectChoice(pid, name) for pid, name in directory_queries.partner_choices(
        clearance.partner_id if clearance else None, wanted, chosen)]
    if request.method == "GET":
        form.partner.data = clearance.partner_id if clearance else (wanted or 0)
        if clearance is not None:
            form.result.data = clearance.result.value if clearance.result else ""
    if form.validate_on_submit():
        data = {**_clearance_data(form), "partner": get_or_none(Partner, form.partner.data)}
        try:
            saved = services.save_org_clearance(clearance or SecurityClearance(), data, today=helsinki_today())
            db.session.commit()
            flash(_("The organisation's security clearance was saved."), "success")
            return redirect(url_for("access.org_clearances", partner=saved.partner_id))
        except ServiceError as error:
            form_failed(form, error)
    return _page("access/org_clearance_form.html", form, clearance=clearance)


@bp.route("/organisations/new", methods=["GET", "POST"])
def org_clearance_new() -> ResponseReturnValue:
    return _org_clearance_form_page(None)


@bp.route("/organisations/<int:clearance_id>", methods=["GET", "POST"])
def org_clearance_edit(clearance_id: int) -> ResponseReturnValue:
    clearance = get_or_404(SecurityClearance, clearance_id)
    if clearance.partner_id is None:
        abort(404)  # a person's clearance is part of the person's record
    return _org_clearance_form_page(clearance)


from . import assignment_views, protection_views  # noqa: E402,F401  (they register their routes on bp)
