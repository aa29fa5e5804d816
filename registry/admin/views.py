"""Admin pages: users, units, wellbeing services counties and the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..auth.services import end_all_sessions
from ..config import ROLES
from ..core import queries, services
from ..core.models import Region, Unit, UnitKind, User
from ..core.pagination import paginate
from ..core.services import ServiceError
from ..core.views import ROLE_NAMES
from ..core.web import form_failed
from ..extensions import db
from .forms import NewUserForm, RegionForm, UnitForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
NONE_CHOICE = SelectChoice(0, "—")


def _unit_choices(kinds: tuple[UnitKind, ...] | None = None, exclude: Unit | None = None) -> list[Any]:
    units = [u for u in queries.units_ordered() if kinds is None or u.kind in kinds]
    return [NONE_CHOICE] + [SelectChoice(u.id, u.name()) for u in units if u is not exclude]



# --- users ----------------------------------------------------------------------------------------


@bp.get("/users")
def users() -> ResponseReturnValue:
    # No name or e-mail address is longer than 254 characters (and SQLite refuses LIKE patterns over 50 kB).
    q, role, active = (request.args.get(k, "").strip()[:254] for k in ("q", "role", "active"))
    page = paginate(queries.users_query(q, role if role in ROLES else "", active))
    return render_template("admin/users.html", page=page, q=q, role=role, active=active, roles=ROLE_NAMES)


def _user_form(form: UserForm, user: User | None = None, *, prefill: bool = False) -> UserForm:
    form.roles.choices = [SelectChoice(r, ROLE_NAMES[r]) for r in ROLES]
    form.home_unit.choices = _unit_choices()
    if prefill and user is not None:
        form.roles.data = sorted(user.roles)
        form.home_unit.data = user.home_unit_id or 0
    return form


def _user_page(form: UserForm, user: User | None, temporary: str | None = None) -> ResponseReturnValue:
    page = render_template("admin/user_form.html", form=form, user=user, temporary=temporary)
    return page, 400 if form.errors else 200


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> ResponseReturnValue:
    form = _user_form(NewUserForm())
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data or "", name=form.name.data or "", password=form.password.data or "",
                roles=form.roles.data or [], home_unit=db.session.get(Unit, form.home_unit.data or 0),
                locale=form.locale.data, must_change_password=True)
            db.session.commit()
            flash(_("User %(name)s was created. They must change the password at first sign-in.",
                    name=user.name), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        except ServiceError as error:
            form_failed(form, error)
    return _user_page(form, None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> ResponseReturnValue:
    user = queries.get_or_404(User, user_id)
    form = _user_form(UserForm(obj=user if request.method == "GET" else None), user,
                      prefill=request.method == "GET")
    if form.validate_on_submit():
        try:
            other = services.user_by_email(form.email.data or "")
            if other is not None and other is not user:
                raise ServiceError(_("A user with this e-mail address already exists."), "email")
            user.email = (form.email.data or "").strip().lower()
            user.name = (form.name.data or "").strip()
            user.locale = form.locale.data
            user.home_unit = db.session.get(Unit, form.home_unit.data or 0)
            services.set_roles(user, form.roles.data or [], acting=current_user)
            db.session.commit()
            flash(_("The changes were saved."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        except ServiceError as error:
            form_failed(form, error)
    return _user_page(form, user)


@bp.post("/users/<int:user_id>/active")
def user_set_active(user_id: int) -> ResponseReturnValue:
    user = queries.get_or_404(User, user_id)
    activate = request.form.get("active") == "1"
    try:
        services.set_active(user, activate, acting=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    db.session.commit()
    flash(_("The user was enabled.") if activate else _("The user was disabled and their sessions ended."),
          "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
def user_reset_password(user_id: int) -> ResponseReturnValue:
    user = queries.get_or_404(User, user_id)
    temporary = services.reset_password(user)
    db.session.commit()
    return _user_page(_user_form(UserForm(formdata=None, obj=user), user, prefill=True), user, temporary)


@bp.post("/users/<int:user_id>/sessions")
def user_end_sessions(user_id: int) -> ResponseReturnValue:
    user = queries.get_or_404(User, user_id)
    count = end_all_sessions(user)
    db.session.commit()
    flash(_("Sessions ended: %(n)d.", n=count), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- units and regions ----------------------------------------------------------------------------


@bp.get("/units")
def units() -> ResponseReturnValue:
    return render_template("admin/units.html", units=queries.units_ordered())


def _unit_data(form: UnitForm) -> dict[str, Any]:
    return {
        "code": (form.code.data or "").strip(), "kind": UnitKind(form.kind.data),
        "parent": db.session.get(Unit, form.parent.data or 0),
        "name_fi": form.name_fi.data, "name_sv": form.name_sv.data, "name_en": form.name_en.data,
        "mailbox": form.mailbox.data or None, "valid_from": form.valid_from.data, "valid_to": form.valid_to.data,
    }


def _unit_page(unit: Unit | None) -> ResponseReturnValue:
    form = UnitForm(obj=unit if request.method == "GET" else None)
    form.parent.choices = _unit_choices(exclude=unit)
    if request.method == "GET" and unit is not None:
        form.parent.data = unit.parent_id or 0
        form.kind.data = unit.kind.value
    if form.validate_on_submit():
        try:
            saved = services.save_unit(unit or Unit(), _unit_data(form))
            db.session.commit()
            flash(_("The unit was saved."), "success")
            return redirect(url_for("admin.unit_edit", unit_id=saved.id))
        except ServiceError as error:
            form_failed(form, error)
    return render_template("admin/unit_form.html", form=form, unit=unit), 400 if form.errors else 200


@bp.route("/units/new", methods=["GET", "POST"])
def unit_new() -> ResponseReturnValue:
    return _unit_page(None)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int) -> ResponseReturnValue:
    return _unit_page(queries.get_or_404(Unit, unit_id))


@bp.get("/regions")
def regions() -> ResponseReturnValue:
    return render_template("admin/regions.html", regions=queries.regions_ordered())


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
def region_edit(region_id: int) -> ResponseReturnValue:
    region = queries.get_or_404(Region, region_id)
    form = RegionForm(obj=region if request.method == "GET" else None)
    form.sanction_centre.choices = _unit_choices((UnitKind.SANCTION_CENTRE,))
    if request.method == "GET":
        form.sanction_centre.data = region.sanction_centre_id or 0
    if form.validate_on_submit():
        services.save_region(region, {
            "name_fi": form.name_fi.data, "name_sv": form.name_sv.data, "name_en": form.name_en.data,
            "sanction_centre": db.session.get(Unit, form.sanction_centre.data or 0)})
        db.session.commit()
        flash(_("The wellbeing services county was saved."), "success")
        return redirect(url_for("admin.regions"))
    return render_template("admin/region_form.html", form=form, region=region), 400 if form.errors else 200


# --- audit log ------------------------------------------------------------------------------------


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/audit")
def audit() -> ResponseReturnValue:
    filters = {k: request.args.get(k, "").strip()[:100] for k in ("actor", "object_type", "object_id", "action")}
    day_from, day_to = _day("from"), _day("to")
    page = paginate(queries.audit_query(**filters, day_from=day_from, day_to=day_to))
    types, actions = queries.audit_choices()
    return render_template("admin/audit.html", page=page, filters=filters, day_from=day_from, day_to=day_to,
                           types=types, actions=actions)
