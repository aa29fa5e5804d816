"""Network verbs: who may change a network, creating and running it, its members and their liaisons, the yearly
evaluation, following. Meeting series and occurrences use `may_change` through `series.network`.

They add and flush; the caller commits. The audit log records every change automatically.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from ..core.models import Unit, UnitKind
from ..core.services import ServiceError
from ..directory.models import Contact, Partner
from ..extensions import db
from ..i18n import HELSINKI
from .models import Cadence, GoalsMet, Network, NetworkEvaluation, NetworkLevel, NetworkMember

FIRST_EVALUATION_YEAR = 2000
# The themes policy §7.2 names for the sanction centres' stakeholder networks, a) to e); others are allowed.
POLICY_THEMES = ("education_work", "substance_mental", "housing", "youth_child_welfare", "rehabilitation")

# --- who may change a network ---------------------------------------------------------------------


def _unit_id(unit: Unit | None, column: int | None) -> int | None:
    # The relationship, not the column: on a form that has just set a new unit the column is not yet flushed.
    return unit.id if unit is not None else column


def may_change(user: Any, network: Network) -> bool:
    """Whether the user may change this network, its members, evaluations and meetings (DESIGN §5).

    Admins change everything. A director changes a network whose sanction centre, convenor or facilitator unit
    is in their scope (their home unit and its sub-units); a director whose home unit is a national
    responsibility area changes the national networks it convenes. Other roles only read.
    """
    from ..core.services import scope_unit_ids

    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("admin"):
        return True
    if not user.has_role("director") or user.home_unit is None:
        return False
    home = user.home_unit
    convenor_id = _unit_id(network.convenor_unit, network.convenor_unit_id)
    if home.kind is UnitKind.RESPONSIBILITY_AREA and network.level is NetworkLevel.NATIONAL \
            and convenor_id == home.id:
        return True
    scope = scope_unit_ids(home)
    units = (_unit_id(network.centre, network.centre_id), convenor_id,
             _unit_id(network.facilitator_unit, network.facilitator_unit_id))
    return any(unit_id is not None and unit_id in scope for unit_id in units)


def local_now() -> datetime:
    """The current wall-clock time in Helsinki as a naive datetime (meeting times are stored so)."""
    return datetime.now(HELSINKI).replace(tzinfo=None, second=0, microsecond=0)


# --- creating and running a network ---------------------------------------------------------------

NETWORK_FIELDS = ("name_fi", "name_sv", "name_en", "theme", "level", "centre", "convenor_unit", "facilitator_unit",
                  "cadence", "cadence_note", "goals", "active")
TEXT_FIELDS = frozenset({"name_fi", "name_sv", "name_en", "cadence_note", "goals"})


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _check(network: Network, user: Any) -> None:
    """The data rules of one network (policy §7.2: a sanction centre's network or a national one; a convenor)."""
    if not network.name_fi:
        raise ServiceError(_("Give the name in Finnish."), "name_fi")
    if not isinstance(network.level, NetworkLevel):
        raise ServiceError(_("Choose the level."), "level")
    if not isinstance(network.cadence, Cadence):
        raise ServiceError(_("Choose the agreed cadence."), "cadence")
    if network.level is NetworkLevel.CENTRE:
        if network.centre is None:
            raise ServiceError(_("A sanction centre's network needs its sanction centre."), "centre")
        if network.centre.kind is not UnitKind.SANCTION_CENTRE:
            raise ServiceError(_("Choose a sanction centre."), "centre")
    if network.convenor_unit is None:
        raise ServiceError(_("Choose the convening unit."), "convenor_unit")
    if user is not None and not may_change(user, network):
        raise ServiceError(_("Choose a sanction centre, convenor or facilitator within your own scope."),
                           "convenor_unit")


def _save(network: Network, data: dict[str, Any], user: Any) -> Network:
    with db.session.no_autoflush:
        for key in NETWORK_FIELDS:
            if key in data:
                setattr(network, key, _text(data[key]) if key in TEXT_FIELDS else data[key])
        if network.level is NetworkLevel.NATIONAL:
            network.centre = None  # a national network belongs to no sanction centre
        if network.active is None:
            network.active = True
        _check(network, user)
    db.session.add(network)
    db.session.flush()
    return network


def create_network(data: dict[str, Any], *, user: Any = None) -> Network:
    """A new network from validated form data (keys of `NETWORK_FIELDS`; units and theme as rows).

    With `user`, the network must be within the user's scope (`may_change`).
    """
    return _save(Network(), data, user)


def update_network(network: Network, data: dict[str, Any], *, user: Any = None) -> Network:
    """Change a network from validated form data; with `user`, it must stay within the user's scope."""
    return _save(network, data, user)


# --- members and their liaisons -------------------------------------------------------------------


def _check_liaison(partner: Partner, liaison: Contact | None, current: Contact | None = None) -> None:
    """The liaison a member names must be a contact of that partner (policy §7.3)."""
    if liaison is None:
        return
    if liaison.partner_id != partner.id:
        raise ServiceError(_("The liaison must be a contact of this partner."), "liaison")
    if not liaison.active and liaison is not current:
        raise ServiceError(_("This contact is inactive."), "liaison")


def add_member(network: Network, partner: Partner, *, liaison: Contact | None = None,
               joined_on: date | None = None) -> NetworkMember:
    """Make the partner a member of the network with its named liaison (the policy asks every member to name
    one; a member without one is flagged on the network page)."""
    if partner.merged_into_id is not None:
        raise ServiceError(_("This partner was merged into another one; choose that one."), "partner")
    if not partner.active:
        raise ServiceError(_("This partner is inactive."), "partner")
    if any(m.partner_id == partner.id for m in network.members):
        raise ServiceError(_("This partner is already a member of the network."), "partner")
    _check_liaison(partner, liaison)
    member = NetworkMember(partner=partner, liaison=liaison, joined_on=joined_on)
    network.members.append(member)
    db.session.flush()
    return member


def update_member(member: NetworkMember, *, liaison: Contact | None, joined_on: date | None = None) -> NetworkMember:
    """Change the member's liaison and joining date."""
    _check_liaison(member.partner, liaison, member.liaison)
    member.liaison = liaison
    member.joined_on = joined_on
    db.session.flush()
    return member


def remove_member(member: NetworkMember) -> None:
    """Remove the partner from the network."""
    member.network.members.remove(member)
    db.session.flush()


# --- the yearly evaluation ------------------------------------------------------------------------


def record_evaluation(network: Network, *, year: int, goals_met: str, results: str | None = None,
                      changes: str | None = None, user: Any = None, today: date) -> NetworkEvaluation:
    """Record the network's evaluation of one year: goals met, results, changes (policy §7.2: the network
    evaluates its activity and results). One per year; a year that has not started cannot be evaluated."""
    if not FIRST_EVALUATION_YEAR <= year <= today.year:
        raise ServiceError(_("Give a year from %(first)d to %(last)d.", first=FIRST_EVALUATION_YEAR,
                             last=today.year), "year")
    if goals_met not in GoalsMet._value2member_map_:
        raise ServiceError(_("Choose whether the goals were met."), "goals_met")
    if any(e.year == year for e in network.evaluations):
        raise ServiceError(_("The evaluation of %(year)d has already been recorded.", year=year), "year")
    evaluation = NetworkEvaluation(year=year, goals_met=GoalsMet(goals_met), results=_text(results),
                                   changes=_text(changes), recorded_by_id=getattr(user, "id", None))
    network.evaluations.append(evaluation)
    db.session.flush()
    return evaluation


# --- following ------------------------------------------------------------------------------------


def is_following(network: Network, user: Any) -> bool:
    """Whether the user follows the network (its meetings come to their calendar and feed)."""
    return any(u.id == user.id for u in network.followers)


def follow(network: Network, user: Any) -> None:
    """Follow the network (idempotent)."""
    if not is_following(network, user):
        network.followers.append(user)
        db.session.flush()


def unfollow(network: Network, user: Any) -> None:
    """Stop following the network (idempotent)."""
    network.followers[:] = [u for u in network.followers if u.id != user.id]
    db.session.flush()


def toggle_follow(network: Network, user: Any) -> bool:
    """Follow the network if the user does not yet, else stop; returns whether the user now follows it."""
    if is_following(network, user):
        unfollow(network, user)
        return False
    follow(network, user)
    return True
