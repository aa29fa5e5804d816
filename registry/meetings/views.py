"""Network pages: networks, members, evaluations, meeting series and their occurrences."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..core.access import allowed
from ..core.models import Unit, UnitKind
from ..core.pagination import paginate
from ..core.queries import get_or_none
from ..core.services import ServiceError, scope_unit_ids
from ..core.web import form_failed
from ..directory import queries as directory_queries
from ..directory.models import Contact, Partner
from ..extensions import db
from ..i18n import today as helsinki_today
from . import queries, services
from .forms import NONE, EvaluationForm, MemberForm, NetworkForm
from .models import (
    CADENCE_LABELS,
    GOALS_MET_LABELS,
    LEVEL_LABELS,
    OCCURRENCE_STATUS_LABELS,
    Cadence,
    Network,
    NetworkLevel,
    NetworkMember,
)
from .occurrences import Item

bp = Blueprint("meetings", __name__)

UPCOMING = 10  # meetings listed on the network page
PAST = 10


@bp.app_context_processor
def _network_labels() -> dict[str, Any]:
    """Network and meeting labels for every page (the dashboard lists the user's next meetings too)."""
    return {"NETWORK_LEVEL_LABELS": LEVEL_LABELS, "CADENCE_LABELS": CADENCE_LABELS,
            "GOALS_MET_LABELS": GOALS_MET_LABELS, "OCCURRENCE_STATUS_LABELS": OCCURRENCE_STATUS_LABELS}


def _network_or_404(network_id: int) -> Network:
    network = queries.network_for_page(network_id)
    if network is None:
        abort(404)
    return network


def _require_change(network: Network) -> None:
    if not services.may_change(current_user, network):
        abort(403)  # outside the director's scope


def _may_change(network: Network) -> bool:
    return allowed("meetings.network_edit", current_user) and services.may_change(current_user, network)


def _scope() -> set[int] | None:
    return None if current_user.has_role("admin") else scope_unit_ids(current_user.home_unit)


# --- the list -------------------------------------------------------------------------------------


@bp.get("/networks/")
def networks() -> ResponseReturnValue:
    filters = queries.filters_from(request.args)
    page = paginate(queries.networks_query(filters, current_user))
    return render_template("meetings/networks.html", page=page, filters=filters,
                           themes=directory_queries.themes_ordered(), centres=queries.sanction_centres())


# --- one network ----------------------------------------------------------------------------------


def _meetings(network: Network) -> tuple[list[Item], list[Item]]:
    """The network's next meetings and its latest past ones (newest first)."""
    now = services.local_now()
    return queries.next_items(network.series, now, UPCOMING), queries.last_items(network.series, now, PAST)


@bp.get("/networks/<int:network_id>")
def network(network_id: int) -> ResponseReturnValue:
    found = _network_or_404(network_id)
    upcoming, past = _meetings(found)
    return render_template("meetings/network.html", network=found, members=queries.sorted_members(found),
                           may_change=_may_change(found), upcoming=upcoming, past=past,
                           following=queries.is_following(found.id, current_user.id))


# --- create and edit ------------------------------------------------------------------------------


def _form_choices(form: NetworkForm, network: Network | None) -> dict[str, dict[int, Any]]:
    """Fill the drop-downs; returns the chosen-by-id lookups the data is built from."""
    scope = _scope()
    units = {u.id: u for u in queries.units_by_kind()}
    convenors = [u for u in units.values() if scope is None or u.id in scope
                 or (network is not None and u.id == network.convenor_unit_id)]
    centres = {u.id: u for u in units.values() if u.kind is UnitKind.SANCTION_CENTRE}
    themes = {t.id: t for t in directory_queries.themes_ordered()}
    # The policy's themes a)–e) first, lettered as in the policy; then the others.
    lettered = [(code, letter) for letter, code in zip("abcde", services.POLICY_THEMES, strict=True)]
    by_code = {t.code: t for t in themes.values()}
    form.theme.choices = [NONE] + [SelectChoice(by_code[c].id, f"{letter}) {by_code[c].name()}")
                                   for c, letter in lettered if c in by_code] + [
        SelectChoice(t.id, t.name()) for t in themes.values() if t.code not in services.POLICY_THEMES]
    form.centre.choices = [NONE] + [SelectChoice(u.id, u.name()) for u in centres.values()]
    form.convenor_unit.choices = [NONE] + [SelectChoice(u.id, u.name()) for u in convenors]
    form.facilitator_unit.choices = [NONE] + [SelectChoice(u.id, u.name()) for u in units.values()]
    return {"units": units, "centres": centres, "themes": themes}


def _data(form: NetworkForm, found: dict[str, dict[int, Any]]) -> dict[str, Any]:
    data = {
        "name_fi": form.name_fi.data, "name_sv": form.name_sv.data, "name_en": form.name_en.data,
        "theme": found["themes"].get(form.theme.data or 0), "level": NetworkLevel(form.level.data),
        "centre": found["centres"].get(form.centre.data or 0),
        "convenor_unit": found["units"].get(form.convenor_unit.data or 0),
        "facilitator_unit": found["units"].get(form.facilitator_unit.data or 0),
        "cadence": Cadence(form.cadence.data), "cadence_note": form.cadence_note.data, "goals": form.goals.data,
    }
    if form.active is not None:
        data["active"] = bool(form.active.data)
    return data


def _fill(form: NetworkForm, network: Network) -> None:
    form.level.data, form.cadence.data = network.level.value, network.cadence.value
    form.theme.data = network.theme_id or 0
    form.centre.data = network.centre_id or 0
    form.convenor_unit.data = network.convenor_unit_id
    form.facilitator_unit.data = network.facilitator_unit_id or 0


def _defaults(form: NetworkForm, home: Unit | None) -> None:
    """A new network starts as the user's own: their centre's network, or a national one of their area."""
    form.theme.data = form.centre.data = form.facilitator_unit.data = 0
    form.convenor_unit.data = home.id if home is not None else 0
    form.level.data = NetworkLevel.CENTRE.value
    form.cadence.data = Cadence.QUARTERLY.value
    if home is None:
        return
    if home.kind is UnitKind.RESPONSIBILITY_AREA:
        form.level.data = NetworkLevel.NATIONAL.value
    elif home.kind is UnitKind.SANCTION_CENTRE:
        form.centre.data = home.id
    elif home.parent is not None and home.parent.kind is UnitKind.SANCTION_CENTRE:
        form.centre.data = home.parent.id


def _form_page(network: Network | None) -> ResponseReturnValue:
    if network is not None:
        _require_change(network)
    form = NetworkForm(obj=network if request.method == "GET" else None)
    if network is None:
        del form.active
    found = _form_choices(form, network)
    if request.method == "GET":
        if network is not None:
            _fill(form, network)
        else:
            _defaults(form, current_user.home_unit)
    if form.validate_on_submit():
        try:
            data = _data(form, found)
            if network is None:
                saved = services.create_network(data, user=current_user)
            else:
                saved = services.update_network(network, data, user=current_user)
            db.session.commit()
            flash(_("The network %(name)s was saved.", name=saved.name_fi), "success")
            return redirect(url_for("meetings.network", network_id=saved.id))
        except ServiceError as error:
            form_failed(form, error)
    page = render_template("meetings/network_form.html", form=form, network=network)
    return page, 400 if form.errors or form.form_errors else 200


@bp.route("/networks/new", methods=["GET", "POST"])
def network_new() -> ResponseReturnValue:
    return _form_page(None)


@bp.route("/networks/<int:network_id>/edit", methods=["GET", "POST"])
def network_edit(network_id: int) -> ResponseReturnValue:
    return _form_page(_network_or_404(network_id))


# --- members --------------------------------------------------------------------------------------


def _liaison_choices(form: MemberForm, partner_id: int | None, current: int | None = None) -> bool:
    """The chosen partner's contacts as the liaison's choices; whether there are any."""
    contacts = queries.partner_contacts(partner_id, current)
    form.liaison.choices = [SelectChoice(0, _("— not yet named —"))] + [
        SelectChoice(c.id, f"{c.name}{' (' + c.title + ')' if c.title else ''}") for c in contacts]
    return bool(contacts)


def _member_page(network: Network, form: MemberForm, member: NetworkMember | None,
                 has_contacts: bool) -> ResponseReturnValue:
    page = render_template("meetings/member_form.html", form=form, network=network, member=member,
                           has_contacts=has_contacts)
    return page, 400 if form.errors or form.form_errors else 200


@bp.route("/networks/<int:network_id>/members/new", methods=["GET", "POST"])
def member_add(network_id: int) -> ResponseReturnValue:
    found = _network_or_404(network_id)
    _require_change(found)
    form = MemberForm()
    if request.method == "GET":
        wanted = request.args.get("partner", type=int)
        form.partner.data = wanted if wanted and 0 < wanted else 0
    chosen = form.partner.data if isinstance(form.partner.data, int) else None
    partners = queries.member_partner_choices(found, chosen)
    form.partner.choices = [NONE] + [SelectChoice(i, n) for i, n in partners]
    if chosen not in {i for i, _n in partners}:
        chosen = None
    has_contacts = _liaison_choices(form, chosen)
    if request.method == "POST" and request.form.get("step") == "contacts":
        form.liaison.data = 0  # only list the chosen partner's contacts; nothing is saved yet
        return _member_page(found, form, None, has_contacts)
    if form.validate_on_submit():
        partner = get_or_none(Partner, form.partner.data)
        try:
            if partner is None:
                raise ServiceError(_("Choose the partner."), "partner")
            services.add_member(found, partner, liaison=get_or_none(Contact, form.liaison.data),
                                joined_on=form.joined_on.data)
            db.session.commit()
            flash(_("%(name)s is now a member of the network.", name=partner.name_fi), "success")
            return redirect(url_for("meetings.network", network_id=network_id, _anchor="members"))
        except ServiceError as error:
            form_failed(form, error)
            found = _network_or_404(network_id)
    return _member_page(found, form, None, has_contacts)


def _member_or_404(network: Network, member_id: int) -> NetworkMember:
    member = queries.member_or_none(network, member_id)
    if member is None:
        abort(404)
    return member


@bp.route("/networks/<int:network_id>/members/<int:member_id>", methods=["GET", "POST"])
def member_edit(network_id: int, member_id: int) -> ResponseReturnValue:
    found = _network_or_404(network_id)
    _require_change(found)
    member = _member_or_404(found, member_id)
    form = MemberForm(obj=member if request.method == "GET" else None)
    del form.partner
    has_contacts = _liaison_choices(form, member.partner_id, member.liaison_id)
    if request.method == "GET":
        form.liaison.data = member.liaison_id or 0
    if form.validate_on_submit():
        try:
            services.update_member(member, liaison=get_or_none(Contact, form.liaison.data),
                                   joined_on=form.joined_on.data)
            db.session.commit()
            flash(_("The member %(name)s was saved.", name=member.partner.name_fi), "success")
            return redirect(url_for("meetings.network", network_id=network_id, _anchor="members"))
        except ServiceError as error:
            form_failed(form, error)
            found = _network_or_404(network_id)
            member = _member_or_404(found, member_id)
    return _member_page(found, form, member, has_contacts)


@bp.post("/networks/<int:network_id>/members/<int:member_id>/remove")
def member_remove(network_id: int, member_id: int) -> ResponseReturnValue:
    found = _network_or_404(network_id)
    _require_change(found)
    member = _member_or_404(found, member_id)
    name = member.partner.name_fi
    services.remove_member(member)
    db.session.commit()
    flash(_("%(name)s is no longer a member of the network.", name=name), "success")
    return redirect(url_for("meetings.network", network_id=network_id, _anchor="members"))


# --- the yearly evaluation ------------------------------------------------------------------------


@bp.route("/networks/<int:network_id>/evaluations/new", methods=["GET", "POST"])
def evaluation_new(network_id: int) -> ResponseReturnValue:
    found = _network_or_404(network_id)
    _require_change(found)
    today = helsinki_today()
    form = EvaluationForm()
    if request.method == "GET":
        done = {e.year for e in found.evaluations}
        form.year.data = today.year - 1 if today.year - 1 not in done else today.year
    if form.validate_on_submit():
        try:
            services.record_evaluation(found, year=form.year.data or 0, goals_met=form.goals_met.data or "",
                                       results=form.results.data, changes=form.changes.data, user=current_user,
                                       today=today)
            db.session.commit()
            flash(_("The evaluation of %(year)d was recorded.", year=form.year.data), "success")
            return redirect(url_for("meetings.network", network_id=network_id, _anchor="evaluations"))
        except ServiceError as error:
            form_failed(form, error)
            found = _network_or_404(network_id)
    page = render_template("meetings/evaluation_form.html", form=form, network=found)
    return page, 400 if form.errors or form.form_errors else 200


# --- following ------------------------------------------------------------------------------------


@bp.post("/networks/<int:network_id>/follow")
def follow(network_id: int) -> ResponseReturnValue:
    found = _network_or_404(network_id)
    if services.toggle_follow(found, current_user._get_current_object()):
        message = _("You now follow %(name)s: its meetings are in your calendar and your calendar feed.",
                    name=found.name())
    else:
        message = _("You no longer follow %(name)s.", name=found.name())
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("meetings.network", network_id=network_id))


# The other page modules register their routes on this blueprint.
from . import agenda_views, feed_views, series_views  # noqa: E402,F401
