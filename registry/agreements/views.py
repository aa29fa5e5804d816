"""Agreement pages: the register, one agreement, its lifecycle, liaisons, amendments and versions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..core.access import allowed
from ..core.audit import jsonable as audit_value
from ..core.models import Unit, UnitKind
from ..core.pagination import paginate
from ..core.queries import get_or_none
from ..core.services import ServiceError, scope_unit_ids
from ..core.web import form_failed
from ..directory import queries as directory_queries
from ..directory.models import SIDE_LABELS, Contact, LiaisonSide, Partner
from ..extensions import db
from ..i18n import today as helsinki_today
from . import history, queries, rules, services
from .documents import may_see_confidential
from .forms import NONE, TRANSITION_FIELDS, AgreementForm, AmendForm, LiaisonForm, TransitionForm
from .models import (
    KIND_LABELS,
    LEVEL_LABELS,
    RELATION_LABELS,
    RENEWAL_LABELS,
    STATUS_LABELS,
    Agreement,
    AgreementKind,
    AgreementLevel,
    AgreementStatus,
    RelationKind,
    RenewalType,
)

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


@bp.app_context_processor
def _agreement_labels() -> dict[str, Any]:
    """Agreement labels for every page (the partner page lists the partner's agreements too)."""
    return {"AGREEMENT_KIND_LABELS": KIND_LABELS, "AGREEMENT_LEVEL_LABELS": LEVEL_LABELS,
            "AGREEMENT_STATUS_LABELS": STATUS_LABELS}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"RENEWAL_LABELS": RENEWAL_LABELS, "RELATION_LABELS": RELATION_LABELS, "SIDE_LABELS": SIDE_LABELS,
            "TRANSITION_LABELS": services.TRANSITION_LABELS}




def _agreement_or_404(agreement_id: int) -> Agreement:
    agreement = queries.agreement_for_page(agreement_id)
    if agreement is None:
        abort(404)
    return agreement


def _require_change(agreement: Agreement) -> None:
    if not services.may_change(current_user, agreement):
        abort(403)  # outside the director's scope


def _may_change(agreement: Agreement) -> bool:
    return allowed("agreements.edit", current_user) and services.may_change(current_user, agreement)


def _scope() -> set[int] | None:
    return None if current_user.has_role("admin") else scope_unit_ids(current_user.home_unit)


# --- the register ---------------------------------------------------------------------------------


@bp.get("/")
def index() -> ResponseReturnValue:
    filters = queries.filters_from(request.args)
    today = helsinki_today()
    page = paginate(queries.agreements_query(filters, today))
    sides = services.liaison_sides([a.id for a in page.items], today)
    lacking = {a.id for a in page.items if rules.lacks_liaison(services.facts(a, sides[a.id]))}
    return render_template("agreements/index.html", page=page, filters=filters, lacking=lacking, today=today,
                           centres=queries.sanction_centres(), counterparts=queries.counterpart_kinds(),
                           themes=directory_queries.themes_ordered(), windows=rules.EXPIRING_WINDOWS)


# --- one agreement --------------------------------------------------------------------------------


def _transition_forms(agreement: Agreement, failed: TransitionForm | None = None) -> dict[str, TransitionForm]:
    """One small form per allowed next status (prefixed by it), the failed one kept with its input."""
    forms: dict[str, TransitionForm] = {}
    replacing = [NONE] + [SelectChoice(i, n) for i, n in queries.superseding_candidates(agreement)] \
        if rules.SUPERSEDED in rules.allowed_transitions(agreement.status) else [NONE]
    for status in services.next_steps(agreement):
        if failed is not None and failed.to_status.data == status:
            form = failed
        else:
            form = TransitionForm(formdata=None, prefix=status, meta={"csrf": False})
            form.to_status.data = status
            if status == rules.IN_FORCE:
                form.signed_on.data, form.valid_from.data = agreement.signed_on, agreement.valid_from
                form.valid_until.data = agreement.valid_until
        form.superseded_by.choices = replacing
        forms[status] = form
    return forms


def _detail_page(agreement: Agreement, failed: TransitionForm | None = None,
                 refused: str | None = None) -> ResponseReturnValue:
    today = helsinki_today()
    current, others = services.current_liaisons(agreement.id, today)
    sides = {r.side for r in current}
    facts = services.facts(agreement, sides)
    may_change = _may_change(agreement)
    page = render_template(
        "agreements/detail.html", agreement=agreement, today=today, may_change=may_change,
        rise_liaisons=[r for r in current if r.side is LiaisonSide.RISE],
        partner_liaisons=[r for r in current if r.side is LiaisonSide.PARTNER], other_liaisons=others,
        deadlines=rules.deadlines(facts, today), lacks_liaison=rules.lacks_liaison(facts),
        missing_for_force=rules.missing_for_transition(rules.IN_FORCE, facts),
        transition_forms=_transition_forms(agreement, failed) if may_change else {},
        transition_fields=TRANSITION_FIELDS, refused=refused,
        entries=history.history(agreement, confidential=may_see_confidential(current_user)))
    return page, 400 if refused or (failed is not None and failed.errors) else 200


@bp.get("/<int:agreement_id>")
def detail(agreement_id: int) -> ResponseReturnValue:
    return _detail_page(_agreement_or_404(agreement_id))


# --- create and edit ------------------------------------------------------------------------------


def _form_choices(form: AgreementForm, agreement: Agreement | None) -> dict[str, dict[int, Any]]:
    """Fill the drop-downs; returns the chosen-by-id lookups the data is built from."""
    scope = _scope()
    units = {u.id: u for u in db.session.scalars(db.select(Unit).order_by(Unit.kind, Unit.name_fi))}
    owners = [u for u in units.values() if scope is None or u.id in scope
              or (agreement is not None and u.id == agreement.owner_unit_id)]
    centres = {u.id: u for u in units.values() if u.kind is UnitKind.SANCTION_CENTRE}
    regions = {r.id: r for r in directory_queries.regions_by_name()}
    themes = {t.id: t for t in directory_queries.themes_ordered()}
    kinds = {k.id: k for k in queries.counterpart_kinds()}
    bases = {b.id: b for b in queries.legal_bases()}
    form.owner_unit.choices = [NONE] + [SelectChoice(u.id, u.name()) for u in owners]
    form.centres.choices = [SelectChoice(u.id, u.name()) for u in centres.values()]
    form.regions.choices = [SelectChoice(r.id, r.name()) for r in regions.values()]
    form.themes.choices = [SelectChoice(t.id, t.name()) for t in themes.values()]
    form.counterpart_kind.choices = [NONE] + [SelectChoice(k.id, k.name()) for k in kinds.values()]
    form.legal_bases.choices = [SelectChoice(b.id, f"{b.code} – {b.subject_en or b.statute_fi}"
                                             if b.section else f"{b.code} – {b.statute_fi}") for b in bases.values()]
    form.parent.choices = [NONE] + [SelectChoice(i, n) for i, n in queries.national_agreements(
        agreement.id if agreement is not None else None)]
    chosen = [p for p in (form.parties.data or []) if isinstance(p, int)] if request.method == "POST" else []
    have = [p.id for p in agreement.parties] if agreement is not None else []
    form.parties.choices = [SelectChoice(pid, name) for pid, name in
                            directory_queries.partner_choices(*have, *chosen)]
    return {"units": units, "centres": centres, "regions": regions, "themes": themes, "kinds": kinds,
            "bases": bases}


def _data(form: AgreementForm, found: dict[str, dict[int, Any]]) -> dict[str, Any]:
    partners = {p.id: p for p in db.session.scalars(db.select(Partner).where(Partner.id.in_(form.parties.data or [])))}
    return {
        "name_fi": form.name_fi.data, "name_sv": form.name_sv.data or None, "name_en": form.name_en.data or None,
        "kind": AgreementKind(form.kind.data), "level": AgreementLevel(form.level.data),
        "owner_unit": found["units"].get(form.owner_unit.data or 0),
        "centres": [found["centres"][i] for i in form.centres.data or []],
        "regions": [found["regions"][i] for i in form.regions.data or []],
        "themes": [found["themes"][i] for i in form.themes.data or []],
        "legal_bases": [found["bases"][i] for i in form.legal_bases.data or []],
        "counterpart_kind": found["kinds"].get(form.counterpart_kind.data or 0),
        "parent": get_or_none(Agreement, form.parent.data),
        "parties": [partners[i] for i in form.parties.data or [] if i in partners],
        "dnro": form.dnro.data or None, "signed_on": form.signed_on.data, "valid_from": form.valid_from.data,
        "valid_until": form.valid_until.data, "renewal_type": RenewalType(form.renewal_type.data),
        "renewal_months": form.renewal_months.data, "notice_months": form.notice_months.data,
        "lead_time_days": form.lead_time_days.data, "review_on": form.review_on.data,
        "review_interval_months": form.review_interval_months.data,
        "notes": (form.notes.data or "").strip() or None,
    }


def _fill(form: AgreementForm, agreement: Agreement) -> None:
    for name in ("kind", "level", "renewal_type"):
        getattr(form, name).data = getattr(agreement, name).value
    form.owner_unit.data = agreement.owner_unit_id
    form.centres.data = [u.id for u in agreement.centres]
    form.regions.data = [r.id for r in agreement.regions]
    form.themes.data = [t.id for t in agreement.themes]
    form.legal_bases.data = [b.id for b in agreement.legal_bases]
    form.parties.data = [p.id for p in agreement.parties]
    form.counterpart_kind.data = agreement.counterpart_kind_id or 0
    form.parent.data = agreement.parent_id or 0
    form.version.data = str(agreement.version)


FORM_FIELDS = {"owner_unit_id": "owner_unit", "counterpart_kind_id": "counterpart_kind", "parent_id": "parent"}


def _submitted(key: str, data: dict[str, Any]) -> Any:
    """What the refused form says of one field, in the form the audit log stores it."""
    if key in FORM_FIELDS:
        related = data.get(key.removesuffix("_id"))
        return related.id if related is not None else None
    value = data.get(key)
    if isinstance(value, list):
        return sorted(str(item) for item in value)
    return audit_value(value)


def _take_their_changes(form: AgreementForm, agreement: Agreement, stale: services.StaleAgreement,
                        data: dict[str, Any]) -> None:
    """A refused save loses nothing: a field only the other person changed takes their new value; a field both
    changed keeps this user's input, with the other value shown in the list of changes."""
    db.session.refresh(agreement)
    current = AgreementForm(formdata=None, obj=agreement)
    _form_choices(current, agreement)
    _fill(current, agreement)
    for change in stale.changes:
        name = FORM_FIELDS.get(change.field, change.field)
        if hasattr(form, name) and _submitted(change.field, data) == change.old:
            getattr(form, name).data = getattr(current, name).data


def _version(form: AgreementForm) -> int:
    raw = (form.version.data or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


# A new agreement can start prefilled from a link (a coverage-matrix gap, "add a regional agreement under this
# national one"): only values among the field's own choices are taken.
PREFILL = {"level": "level", "counterpart_kind": "counterpart_kind", "owner_unit": "owner_unit",
           "centres": "centres", "regions": "regions", "parent_id": "parent"}


def _choice_values(field: Any) -> set[Any]:
    return {c.value if isinstance(c, SelectChoice) else c[0] for c in field.choices or ()}


def _prefill(form: AgreementForm) -> None:
    for arg, name in PREFILL.items():
        field = getattr(form, name)
        many = isinstance(field.data, list) or name in {"centres", "regions"}
        raw = request.args.getlist(arg) if many else [request.args.get(arg, "")]
        try:
            values = [field.coerce(v) for v in raw if v]
        except (TypeError, ValueError):
            continue
        values = [v for v in values if v in _choice_values(field)]
        if values:
            field.data = values if many else values[0]
    if request.args.get("parent_id") and form.parent.data:
        form.level.data = AgreementLevel.REGIONAL.value  # an agreement under a national one is regional


def _form_page(agreement: Agreement | None) -> ResponseReturnValue:
    if agreement is not None:
        _require_change(agreement)
    form = AgreementForm(obj=agreement if request.method == "GET" else None)
    if agreement is None:
        del form.version
    else:
        del form.status
    found = _form_choices(form, agreement)
    if request.method == "GET":
        if agreement is not None:
            _fill(form, agreement)
        else:
            form.owner_unit.data = current_user.home_unit_id or 0
            _prefill(form)
    stale: services.StaleAgreement | None = None
    if form.validate_on_submit():
        data = _data(form, found)
        try:
            if agreement is None:
                data["status"] = AgreementStatus(form.status.data)
                saved = services.save_agreement(Agreement(), data, user=current_user)
            else:
                saved = services.save_agreement(agreement, data, user=current_user, version=_version(form))
            db.session.commit()
            flash(_("The agreement %(name)s was saved.", name=saved.name_fi), "success")
            return redirect(url_for("agreements.detail", agreement_id=saved.id))
        except services.StaleAgreement as error:
            db.session.rollback()
            stale = error
            form.form_errors.append(error.message)
            assert agreement is not None  # only an edit can be stale
            _take_their_changes(form, agreement, error, data)
            # Saving again is a conscious choice after seeing the changes: the form now carries the new version.
            form.version.data = str(error.current_version)
        except ServiceError as error:
            form_failed(form, error)
    page = render_template("agreements/form.html", form=form, agreement=agreement, stale=stale)
    return page, 409 if stale is not None else 400 if form.errors or form.form_errors else 200


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    return _form_page(None)


@bp.route("/<int:agreement_id>/edit", methods=["GET", "POST"])
def edit(agreement_id: int) -> ResponseReturnValue:
    return _form_page(_agreement_or_404(agreement_id))


# --- lifecycle ------------------------------------------------------------------------------------


@bp.post("/<int:agreement_id>/transition")
def transition(agreement_id: int) -> ResponseReturnValue:
    agreement = _agreement_or_404(agreement_id)
    _require_change(agreement)
    step = request.form.get("step", "")[:40]
    if step not in rules.allowed_transitions(agreement.status):
        return _detail_page(agreement, refused=_("This change of status is not allowed."))
    # Several of these forms share one page, so each has a prefix; the CSRF token is checked for every POST
    # by the application (core.web), under its usual unprefixed name.
    form = TransitionForm(prefix=step, meta={"csrf": False})
    form.to_status.data = step
    form.superseded_by.choices = [NONE] + [SelectChoice(i, n) for i, n in queries.superseding_candidates(agreement)]
    if form.validate_on_submit():
        try:
            services.transition(agreement, step, user=current_user, today=helsinki_today(), note=form.note.data,
                                superseded_by=get_or_none(Agreement, form.superseded_by.data),
                                signed_on=form.signed_on.data, valid_from=form.valid_from.data,
                                valid_until=form.valid_until.data)
            db.session.commit()
            flash(_("The status is now: %(status)s.", status=STATUS_LABELS[AgreementStatus(step)]), "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement_id, _anchor="lifecycle"))
        except ServiceError as error:
            form_failed(form, error)  # a missing liaison has no field here: it goes to the form's own errors
            agreement = _agreement_or_404(agreement_id)
    return _detail_page(agreement, form)


# --- amendments and new versions ------------------------------------------------------------------


@bp.route("/<int:agreement_id>/amend", methods=["GET", "POST"])
def amend(agreement_id: int) -> ResponseReturnValue:
    agreement = _agreement_or_404(agreement_id)
    _require_change(agreement)
    form = AmendForm()
    if request.method == "GET":
        form.relation.data = (RelationKind.NEW_VERSION if agreement.status in rules.CLOSED
                              else RelationKind.AMENDMENT).value
        form.name_fi.data, form.name_sv.data, form.name_en.data = agreement.name_fi, agreement.name_sv, \
            agreement.name_en
    if form.validate_on_submit():
        try:
            made = services.amend(agreement, relation=form.relation.data or "", user=current_user,
                                  today=helsinki_today(), name_fi=form.name_fi.data or "",
                                  name_sv=form.name_sv.data, name_en=form.name_en.data, notes=form.notes.data)
            db.session.commit()
            flash(_("The new agreement was created from %(name)s; complete its details.", name=agreement.name_fi),
                  "success")
            return redirect(url_for("agreements.edit", agreement_id=made.id))
        except ServiceError as error:
            form_failed(form, error)
            agreement = _agreement_or_404(agreement_id)
    page = render_template("agreements/amend_form.html", form=form, agreement=agreement)
    return page, 400 if form.errors or form.form_errors else 200


# --- liaisons -------------------------------------------------------------------------------------


@bp.route("/<int:agreement_id>/liaisons/new", methods=["GET", "POST"])
def liaison_add(agreement_id: int) -> ResponseReturnValue:
    agreement = _agreement_or_404(agreement_id)
    _require_change(agreement)
    form = LiaisonForm()
    own, rise = queries.liaison_candidates(agreement, _scope())
    groups: dict[str, list[SelectChoice]] = {}
    if own:
        groups[_("Contacts of the parties")] = [
            SelectChoice(c.id, f"{c.name} ({c.partner.name() if c.partner else ''})") for c in own]
    if rise:
        groups[_("Rise")] = [SelectChoice(c.id, f"{c.name} ({c.unit.name() if c.unit else ''})") for c in rise]
    form.contact.choices = groups  # type: ignore[assignment]
    if request.method == "GET":
        wanted = request.args.get("side", "")
        form.side.data = wanted if wanted in LiaisonSide._value2member_map_ else LiaisonSide.RISE.value
    if form.validate_on_submit():
        contact = get_or_none(Contact, form.contact.data)
        try:
            if contact is None:
                raise ServiceError(_("Choose the contact."), "contact")
            services.add_liaison(agreement, contact, side=form.side.data or "", today=helsinki_today(),
                                 valid_from=form.valid_from.data, valid_to=form.valid_to.data)
            db.session.commit()
            flash(_("%(name)s is now a liaison of this agreement.", name=contact.name), "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement_id, _anchor="liaisons"))
        except ServiceError as error:
            form_failed(form, error)
            agreement = _agreement_or_404(agreement_id)
    page = render_template("agreements/liaison_form.html", form=form, agreement=agreement,
                           has_choices=bool(own or rise))
    return page, 400 if form.errors else 200


# Imported last: they add routes to `bp`.
from . import dashboard_views, document_views  # noqa: E402,F401
