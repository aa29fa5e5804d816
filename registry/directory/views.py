"""Directory pages: partners, contacts, liaison roles, the competence keyword index, merging."""

from __future__ import annotations

from typing import Any

import phonenumbers
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..agreements.queries import partner_agreements
from ..core.access import allowed
from ..core.models import Unit, utcnow
from ..core.pagination import paginate
from ..core.queries import get_or_404, get_or_none
from ..core.services import ServiceError
from ..core.web import form_failed
from ..extensions import db
from ..i18n import LANGUAGE_NAMES, current_language
from ..i18n import today as helsinki_today
from . import queries, rules, search, services
from .forms import (
    KIND_LABELS,
    NONE,
    ContactForm,
    EndRoleForm,
    MergeForm,
    PartnerForm,
    PartnerLiaisonForm,
    RoleForm,
)
from .models import (
    CATEGORY_LABELS,
    LEVEL_LABELS,
    SIDE_LABELS,
    SUBJECT_LABELS,
    SUITABILITY_LABELS,
    Contact,
    ContactKind,
    Keyword,
    LiaisonRole,
    LiaisonSide,
    LiaisonSubject,
    Partner,
    PartnerCategory,
    PartnerLevel,
    SuitabilityOutcome,
)

bp = Blueprint("directory", __name__, url_prefix="/directory")

ACTIVE_ARGS = {"": True, "1": True, "0": False, "all": None}  # the `active` filter: default active only
# What a merge moves, by table; tables added by later modules are shown by their name.
MOVED_LABELS = {"contact": _l("contacts"), "liaison_role": _l("liaison roles"),
                "partner_region": _l("wellbeing services counties"), "partner_theme": _l("themes")}


@bp.app_template_filter("fphone")
def shown_phone(value: str | None) -> str:
    """A stored phone number in the Finnish display format; a value that is not E.164 is shown as it is."""
    try:
        return services.format_phone(value)
    except phonenumbers.NumberParseException:
        return value or ""


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"CATEGORY_LABELS": CATEGORY_LABELS, "LEVEL_LABELS": LEVEL_LABELS, "SIDE_LABELS": SIDE_LABELS,
            "SUBJECT_LABELS": SUBJECT_LABELS, "SUITABILITY_LABELS": SUITABILITY_LABELS, "KIND_LABELS": KIND_LABELS}






def _choice_ids(choices: Any) -> set[int]:
    return {c.value if isinstance(c, SelectChoice) else c[0] for c in choices or []}


def _arg(name: str, length: int = 40) -> str:
    return request.args.get(name, "").strip()[:length]


def _may_change(contact: Contact) -> bool:
    return allowed("directory.contact_edit", current_user) and services.may_change_contact(current_user, contact)


def _require_change(contact: Contact) -> None:
    if not services.may_change_contact(current_user, contact):
        abort(403)  # a Rise-unit contact outside the director's scope


# --- partners -------------------------------------------------------------------------------------


@bp.get("/partners")
def partners() -> ResponseReturnValue:
    active_arg = _arg("active")
    category, level = _arg("category"), _arg("level")  # an unknown choice from the drop-downs is ignored
    filters = queries.PartnerFilters(category=category if search.valid_category(category) else "",
                                     level=level if search.valid_level(level) else "",
                                     region=_arg("region"), theme=_arg("theme"),
                                     active=ACTIVE_ARGS.get(active_arg, True))
    page = paginate(queries.partners_query(filters))
    return render_template("directory/partners.html", page=page, filters=filters,
                           active_arg=active_arg if active_arg in {"0", "all"} else "",
                           regions=queries.regions_by_name(), themes=queries.themes_ordered())


def _names(partner: Partner) -> list[tuple[str, str, str]]:
    """(language code, language name, name) with the UI language first, then fi, sv, en."""
    first = current_language()
    order = [first] + [code for code in ("fi", "sv", "en") if code != first]
    return [(code, LANGUAGE_NAMES[code], getattr(partner, f"name_{code}")) for code in order
            if getattr(partner, f"name_{code}", None)]


def _liaison_form(partner: Partner, form: PartnerLiaisonForm | None = None) -> PartnerLiaisonForm:
    form = form or PartnerLiaisonForm(formdata=None)
    own, rise = queries.liaison_candidates(partner.id, services.unit_scope(current_user))
    groups: dict[str, list[SelectChoice]] = {}
    if own:
        groups[partner.name()] = [SelectChoice(c.id, c.name + (f" ({c.title})" if c.title else "")) for c in own]
    if rise:
        groups[_("Rise")] = [SelectChoice(c.id, f"{c.name} ({c.unit.name() if c.unit else ''})") for c in rise]
    form.contact.choices = groups  # type: ignore[assignment]
    return form


def _partner_page(partner: Partner, liaison_form: PartnerLiaisonForm | None = None) -> ResponseReturnValue:
    today = helsinki_today()
    current, past = services.partner_liaisons(partner, today)
    routed = services.routed_contacts(partner, today)
    queries.load_role_details([*current, *past])
    queries.load_contact_organisations(routed)
    by_side = {side: [r for r in current if r.side is side] for side in LiaisonSide}
    history = [r for r in past if r.valid_to is not None and r.valid_to < today]
    upcoming = [r for r in past if r not in history]
    may_add = allowed("directory.partner_liaison_add", current_user) and partner.merged_into_id is None
    if may_add:
        liaison_form = _liaison_form(partner, liaison_form)
    survivor = db.session.get(Partner, partner.merged_into_id) if partner.merged_into_id else None
    page = render_template(
        "directory/partner.html", partner=partner, names=_names(partner), survivor=survivor,
        rise_roles=by_side[LiaisonSide.RISE], partner_roles=by_side[LiaisonSide.PARTNER], upcoming=upcoming,
        third_sector=partner.category.value in rules.THIRD_SECTOR, history=history, routed=routed,
        via_office=rules.routes_to_project_office(partner.category.value, bool(by_side[LiaisonSide.RISE])),
        contacts=[c for c in partner.contacts if c.active], inactive=[c for c in partner.contacts if not c.active],
        liaison_form=liaison_form if may_add else None, agreements=partner_agreements(partner.id))
    return page, 400 if liaison_form is not None and liaison_form.errors else 200


@bp.get("/partners/<int:partner_id>")
def partner(partner_id: int) -> ResponseReturnValue:
    found = queries.partner_for_page(partner_id)
    if found is None:
        abort(404)
    return _partner_page(found)


def _partner_data(form: PartnerForm, regions: dict[int, Any], themes: dict[int, Any]) -> dict[str, Any]:
    outcome = form.suitability_outcome.data
    return {
        "name_fi": form.name_fi.data, "name_sv": form.name_sv.data or None, "name_en": form.name_en.data or None,
        "business_id": form.business_id.data or "", "category": PartnerCategory(form.category.data),
        "legal_form": form.legal_form.data or None, "level": PartnerLevel(form.level.data),
        "regions": [regions[i] for i in form.regions.data or []], "themes": [themes[i] for i in form.themes.data or []],
        "website": form.website.data or None, "notes": (form.notes.data or "").strip() or None,
        "suitability_checked_on": form.suitability_checked_on.data,
        "suitability_checked_by": form.suitability_checked_by.data or None,
        "suitability_outcome": SuitabilityOutcome(outcome) if outcome else None,
        "suitability_notes": (form.suitability_notes.data or "").strip() or None,
    }


def _partner_form_page(partner: Partner | None) -> ResponseReturnValue:
    form = PartnerForm(obj=partner if request.method == "GET" else None)
    regions = {r.id: r for r in queries.regions_by_name()}
    themes = {t.id: t for t in queries.themes_ordered()}
    form.regions.choices = [SelectChoice(r.id, r.name()) for r in regions.values()]
    form.themes.choices = [SelectChoice(t.id, t.name()) for t in themes.values()]
    if request.method == "GET" and partner is not None:
        form.regions.data = [r.id for r in partner.regions]
        form.themes.data = [t.id for t in partner.themes]
        form.category.data = partner.category.value
        form.level.data = partner.level.value
        form.suitability_outcome.data = partner.suitability_outcome.value if partner.suitability_outcome else ""
    similar: list[Partner] = []
    duplicate_id: int | None = None
    if form.validate_on_submit():
        data = _partner_data(form, regions, themes)
        try:
            if partner is None and not form.confirm_similar.data:
                services.check_business_id(data["business_id"])  # a duplicate ID is refused before any warning
                similar = services.similar_partners(data["name_fi"])
            if not similar:
                saved = services.save_partner(partner or Partner(), data)
                db.session.commit()
                flash(_("The partner %(name)s was saved.", name=saved.name_fi), "success")
                return redirect(url_for("directory.partner", partner_id=saved.id))
        except services.DuplicateBusinessId as error:
            duplicate_id = error.existing_id
            form_failed(form, error)
        except ServiceError as error:
            form_failed(form, error)
    page = render_template("directory/partner_form.html", form=form, partner=partner, similar=similar,
                           duplicate_id=duplicate_id)
    return page, 400 if form.errors else 200


@bp.route("/partners/new", methods=["GET", "POST"])
def partner_new() -> ResponseReturnValue:
    return _partner_form_page(None)


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
def partner_edit(partner_id: int) -> ResponseReturnValue:
    return _partner_form_page(get_or_404(Partner, partner_id))


@bp.post("/partners/<int:partner_id>/active")
def partner_set_active(partner_id: int) -> ResponseReturnValue:
    partner = get_or_404(Partner, partner_id)
    activate = request.form.get("active") == "1"
    try:
        services.set_partner_active(partner, activate)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("directory.partner", partner_id=partner_id))
    db.session.commit()
    flash(_("The partner was reactivated.") if activate else _("The partner was deactivated."), "success")
    return redirect(url_for("directory.partner", partner_id=partner_id))


@bp.post("/partners/<int:partner_id>/liaisons")
def partner_liaison_add(partner_id: int) -> ResponseReturnValue:
    partner = queries.partner_for_page(partner_id)
    if partner is None:
        abort(404)
    form = _liaison_form(partner, PartnerLiaisonForm())
    if form.validate_on_submit():
        contact = get_or_404(Contact, form.contact.data or 0)
        _require_change(contact)
        try:
            services.add_partner_liaison(partner, contact, side=LiaisonSide(form.side.data),
                                         valid_from=form.valid_from.data, valid_to=form.valid_to.data)
            db.session.commit()
            flash(_("%(name)s is now a liaison for this partner.", name=contact.name), "success")
            return redirect(url_for("directory.partner", partner_id=partner_id, _anchor="liaisons"))
        except ServiceError as error:
            form_failed(form, error)
            partner = queries.partner_for_page(partner_id) or partner
    return _partner_page(partner, form)


# --- merging (admin) ------------------------------------------------------------------------------


def _moved_summary(moved: dict[str, int]) -> str:
    return ", ".join(f"{MOVED_LABELS.get(table, table)} {n}" for table, n in sorted(moved.items()) if n) or _("nothing")


@bp.route("/partners/<int:partner_id>/merge", methods=["GET", "POST"])
def partner_merge(partner_id: int) -> ResponseReturnValue:
    survivor = get_or_404(Partner, partner_id)
    if request.method == "POST":
        form = MergeForm()
        valid = form.validate_on_submit()
    else:
        chosen = "duplicate" in request.args
        form = MergeForm(formdata=request.args if chosen else None, meta={"csrf": False})
        valid = chosen and form.validate()
    duplicate: Partner | None = None
    if valid:
        try:
            duplicate = services.check_merge(survivor, get_or_none(Partner, form.duplicate.data))
        except ServiceError as error:
            form_failed(form, error)
    if duplicate is not None and request.method == "POST":
        name = duplicate.name_fi
        moved = services.merge_partners(survivor, duplicate)
        db.session.commit()
        flash(_("%(duplicate)s was merged into %(survivor)s. Moved: %(moved)s.", duplicate=name,
                survivor=survivor.name_fi, moved=_moved_summary(moved)), "success")
        return redirect(url_for("directory.partner", partner_id=survivor.id))
    counts = queries.reference_counts(duplicate.id) if duplicate is not None else {}
    candidates = services.similar_partners(survivor.name_fi, exclude_id=survivor.id) if duplicate is None else []
    page = render_template("directory/partner_merge.html", form=form, survivor=survivor, duplicate=duplicate,
                           counts=[(MOVED_LABELS.get(t, t), n) for t, n in sorted(counts.items())],
                           candidates=candidates)
    return page, 400 if form.errors else 200


# --- contacts -------------------------------------------------------------------------------------


@bp.get("/contacts")
def contacts() -> ResponseReturnValue:
    active_arg, kind, org = _arg("active"), _arg("kind"), _arg("org")
    filters = queries.ContactFilters(kind=kind if kind in {k.value for k in ContactKind} else "",
                                     org=org if org in {"partner", "unit"} else "",
                                     active=ACTIVE_ARGS.get(active_arg, True), stale=_arg("stale") == "1")
    now = utcnow()
    page = paginate(queries.contacts_query(filters, now))
    stale = {c.id for c in page.items if rules.is_stale(c.last_confirmed_at, now)}
    return render_template("directory/contacts.html", page=page, filters=filters, stale=stale,
                           active_arg=active_arg if active_arg in {"0", "all"} else "")


def _contact_or_404(contact_id: int) -> Contact:
    contact = queries.contact_for_page(contact_id)
    if contact is None:
        abort(404)
    return contact


def _role_form(form: RoleForm | None = None, contact: Contact | None = None) -> RoleForm:
    if form is None:  # a fresh form: a partner's contact is most often the liaison for its own partner
        form = RoleForm(formdata=None)
        if contact is not None:
            form.partner.data = contact.partner_id or 0
            form.side.data = (LiaisonSide.PARTNER if contact.partner_id else LiaisonSide.RISE).value
    chosen = form.partner.data if isinstance(form.partner.data, int) else None
    form.partner.choices = [NONE] + [SelectChoice(pid, name) for pid, name in queries.partner_choices(
        contact.partner_id if contact is not None else None, chosen)]
    form.theme.choices = [NONE] + [SelectChoice(t.id, t.name()) for t in queries.themes_ordered()]
    return form


def _contact_page(contact: Contact, role_form: RoleForm | None = None,
                  end_errors: dict[int, str] | None = None) -> ResponseReturnValue:
    today = helsinki_today()
    current = [r for r in contact.roles if r.current(today)]
    history = [r for r in contact.roles if r.valid_to is not None and r.valid_to < today]
    upcoming = [r for r in contact.roles if r not in current and r not in history]
    may_change = _may_change(contact)
    if may_change:
        role_form = _role_form(role_form, contact)
    page = render_template("directory/contact.html", contact=contact, current=current, upcoming=upcoming,
                           history=history, today=today, may_change=may_change,
                           stale=rules.is_stale(contact.last_confirmed_at, utcnow()),
                           role_form=role_form if may_change else None,
                           end_errors=end_errors or {})
    return page, 400 if (role_form is not None and role_form.errors) or end_errors else 200


@bp.get("/contacts/<int:contact_id>")
def contact(contact_id: int) -> ResponseReturnValue:
    return _contact_page(_contact_or_404(contact_id))


def _contact_data(form: ContactForm) -> dict[str, Any]:
    return {
        "kind": ContactKind(form.kind.data), "partner": get_or_none(Partner, form.partner.data),
        "unit": get_or_none(Unit, form.unit.data), "name": form.name.data, "title": form.title.data or None,
        "email": (form.email.data or "").lower() or None, "phone": form.phone.data or "",
        "mobile": form.mobile.data or "", "public": bool(form.public.data),
        "notes": (form.notes.data or "").strip() or None,
    }


def _contact_form_page(contact: Contact | None) -> ResponseReturnValue:
    if contact is not None:
        _require_change(contact)
    form = ContactForm(obj=contact if request.method == "GET" else None)
    scope = services.unit_scope(current_user)
    wanted_partner = request.args.get("partner_id", type=int) if contact is None else None
    form.partner.choices = [NONE] + [SelectChoice(pid, name) for pid, name in queries.partner_choices(
        contact.partner_id if contact else None, wanted_partner,
        form.partner.data if request.method == "POST" else None)]
    form.unit.choices = [NONE] + [SelectChoice(uid, name) for uid, name in queries.unit_choices(scope)]
    if request.method == "GET":
        if contact is not None:
            form.kind.data = contact.kind.value
            form.partner.data = contact.partner_id or 0
            form.unit.data = contact.unit_id or 0
            form.phone.data = shown_phone(contact.phone)
            form.mobile.data = shown_phone(contact.mobile)
            form.keywords.data = ", ".join(k.name for k in contact.keywords)
        else:
            wanted_unit = request.args.get("unit_id", type=int)
            form.partner.data = wanted_partner if wanted_partner in _choice_ids(form.partner.choices) else 0
            form.unit.data = wanted_unit if wanted_unit in _choice_ids(form.unit.choices) else 0
    if form.validate_on_submit():
        try:
            saved = services.save_contact(contact or Contact(), _contact_data(form),
                                          services.keywords_from_text(form.keywords.data or ""))
            db.session.commit()
            flash(_("The contact %(name)s was saved.", name=saved.name), "success")
            return redirect(url_for("directory.contact", contact_id=saved.id))
        except ServiceError as error:
            form_failed(form, error)
    page = render_template("directory/contact_form.html", form=form, contact=contact)
    return page, 400 if form.errors else 200


@bp.route("/contacts/new", methods=["GET", "POST"])
def contact_new() -> ResponseReturnValue:
    return _contact_form_page(None)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(contact_id: int) -> ResponseReturnValue:
    return _contact_form_page(_contact_or_404(contact_id))


@bp.post("/contacts/<int:contact_id>/active")
def contact_set_active(contact_id: int) -> ResponseReturnValue:
    contact = get_or_404(Contact, contact_id)
    _require_change(contact)
    activate = request.form.get("active") == "1"
    services.set_active(contact, activate)
    db.session.commit()
    flash(_("The contact was reactivated.") if activate else _("The contact was deactivated."), "success")
    return redirect(url_for("directory.contact", contact_id=contact_id))


# --- liaison roles --------------------------------------------------------------------------------


@bp.post("/contacts/<int:contact_id>/roles")
def role_add(contact_id: int) -> ResponseReturnValue:
    contact = _contact_or_404(contact_id)
    _require_change(contact)
    form = _role_form(RoleForm(), contact)
    if form.validate_on_submit():
        subject = LiaisonSubject(form.subject.data)
        try:
            services.add_liaison_role(
                contact, subject=subject, side=LiaisonSide(form.side.data),
                partner=get_or_none(Partner, form.partner.data) if subject is LiaisonSubject.PARTNER else None,
                theme_id=(form.theme.data or None) if subject is LiaisonSubject.THEME else None,
                project=form.project.data if subject is LiaisonSubject.PROJECT else None,
                valid_from=form.valid_from.data, valid_to=form.valid_to.data)
            db.session.commit()
            flash(_("The liaison role was added."), "success")
            return redirect(url_for("directory.contact", contact_id=contact_id, _anchor="roles"))
        except ServiceError as error:
            form_failed(form, error)
            contact = _contact_or_404(contact_id)
    return _contact_page(contact, form)


@bp.post("/roles/<int:role_id>/end")
def role_end(role_id: int) -> ResponseReturnValue:
    role = get_or_404(LiaisonRole, role_id)
    _require_change(role.contact)
    form = EndRoleForm()
    if form.validate_on_submit():
        try:
            services.finish_liaison_role(role, form.valid_to.data or helsinki_today())
            db.session.commit()
            flash(_("The liaison role was ended; it is now in the history."), "success")
            return redirect(url_for("directory.contact", contact_id=role.contact_id, _anchor="roles"))
        except ServiceError as error:
            db.session.rollback()
            message = error.message
    else:
        message = " ".join(form.valid_to.errors) or _("Check the date.")
    return _contact_page(_contact_or_404(role.contact_id), end_errors={role_id: message})


# --- competence keyword index ---------------------------------------------------------------------


@bp.get("/keywords")
def keywords() -> ResponseReturnValue:
    return render_template("directory/keywords.html", groups=queries.keyword_index())


@bp.get("/keywords/<int:keyword_id>")
def keyword(keyword_id: int) -> ResponseReturnValue:
    found = get_or_404(Keyword, keyword_id)
    page = paginate(queries.keyword_contacts_query(found.id))
    return render_template("directory/keyword.html", keyword=found, page=page)
