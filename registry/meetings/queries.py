"""Read-only network and calendar queries: the network list and its filters, page loaders, choices, the
networks that are "mine", and the series the calendar pages expand."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..core.models import Unit, UnitKind
from ..core.queries import MAX_ID
from ..directory.models import Contact, Partner, Theme
from ..extensions import db
from .models import (
    Cadence,
    MeetingSeries,
    Network,
    NetworkEvaluation,
    NetworkLevel,
    NetworkMember,
    Occurrence,
    network_follower,
    series_attendee,
)
from .occurrences import Item, items_between

MAX_CHOICES = 3000


@dataclass(frozen=True)
class NetworkFilters:
    """Filters of the network list: free text `q` (names, goals, member partners), codes (theme, centre = a
    sanction centre's unit code), enum values (level, cadence), `active` ("1" active, "0" inactive, "" both;
    the list shows active ones by default) and `mine` (only the user's networks, `user_network_ids`).
    An unknown value matches nothing; empty values do not filter."""

    q: str = ""
    theme: str = ""
    level: str = ""
    centre: str = ""
    cadence: str = ""
    active: str = "1"
    mine: bool = False

    @property
    def any_set(self) -> bool:
        """Whether any filter other than the default "active" one is set."""
        return any((self.q, self.theme, self.level, self.centre, self.cadence, self.mine)) or self.active != "1"

    def args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for links to the next page)."""
        values = {"q": self.q, "theme": self.theme, "level": self.level, "centre": self.centre,
                  "cadence": self.cadence, "active": self.active or "all", "mine": "1" if self.mine else ""}
        return {k: v for k, v in values.items() if v}


def filters_from(args: Any) -> NetworkFilters:
    """Filters from request arguments (a MultiDict or dict); junk is cut to size, never an error."""
    def text(name: str, length: int = 40) -> str:
        return str(args.get(name, "") or "").strip()[:length]

    active = text("active", 5)
    return NetworkFilters(q=text("q", 200), theme=text("theme"), level=text("level"), centre=text("centre"),
                          cadence=text("cadence"), active=active if active in {"1", "0"} else
                          "" if active == "all" else "1", mine=text("mine", 5) in {"1", "on", "true"})


def _enum_condition(column: Any, enum: Any, value: str) -> Any:
    return column == enum(value) if value in enum._value2member_map_ else false()


def network_conditions(filters: NetworkFilters, user: Any = None) -> list[Any]:
    """The filters as SQL conditions on `Network` (one definition for the list and the API)."""
    conditions: list[Any] = []
    if filters.level:
        conditions.append(_enum_condition(Network.level, NetworkLevel, filters.level))
    if filters.cadence:
        conditions.append(_enum_condition(Network.cadence, Cadence, filters.cadence))
    if filters.theme:
        conditions.append(Network.theme_id == select(Theme.id).where(Theme.code == filters.theme).scalar_subquery())
    if filters.centre:
        conditions.append(Network.centre_id == select(Unit.id).where(
            Unit.code == filters.centre, Unit.kind == UnitKind.SANCTION_CENTRE).scalar_subquery())
    if filters.active in {"1", "0"}:
        conditions.append(Network.active.is_(filters.active == "1"))
    if filters.mine:
        ids = user_network_ids(user) if user is not None else []
        conditions.append(Network.id.in_(ids) if ids else false())
    for word in filters.q.lower().split()[:8]:
        like = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        conditions.append(or_(func.lower(Network.name_fi).like(like), func.lower(Network.name_sv).like(like),
                              func.lower(Network.name_en).like(like), func.lower(Network.goals).like(like),
                              select(NetworkMember.id).join(Partner, Partner.id == NetworkMember.partner_id).where(
                                  NetworkMember.network_id == Network.id,
                                  func.lower(Partner.name_fi).like(like)).exists()))
    return conditions


def networks_query(filters: NetworkFilters, user: Any = None) -> Select[tuple[Network]]:
    """Networks matching the filters, with theme, units and members loaded (one query per relation), by name."""
    return (select(Network)
            .options(selectinload(Network.theme), selectinload(Network.centre),
                     selectinload(Network.convenor_unit), selectinload(Network.facilitator_unit),
                     selectinload(Network.members))
            .where(*network_conditions(filters, user))
            .order_by(func.lower(Network.name_fi), Network.id))


def network_for_page(network_id: int) -> Network | None:
    """One network with everything its page shows loaded."""
    if not 0 < network_id <= MAX_ID:
        return None
    return db.session.scalar(select(Network).where(Network.id == network_id).options(
        selectinload(Network.theme), selectinload(Network.centre), selectinload(Network.convenor_unit),
        selectinload(Network.facilitator_unit),
        selectinload(Network.members).selectinload(NetworkMember.partner),
        selectinload(Network.members).selectinload(NetworkMember.liaison),
        selectinload(Network.evaluations).selectinload(NetworkEvaluation.recorded_by),
        selectinload(Network.series).selectinload(MeetingSeries.network)))


def member_or_none(network: Network, member_id: int) -> NetworkMember | None:
    """The network's member with this id (a member of another network is None)."""
    return next((m for m in network.members if m.id == member_id), None)


def is_following(network_id: int, user_id: int) -> bool:
    """Whether the user follows the network; one query."""
    return db.session.scalar(select(network_follower.c.user_id).where(
        network_follower.c.network_id == network_id, network_follower.c.user_id == user_id)) is not None


def sorted_members(network: Network) -> list[NetworkMember]:
    """The network's members by partner name."""
    return sorted(network.members, key=lambda m: (m.partner.name_fi.lower(), m.id))


# --- "my" networks --------------------------------------------------------------------------------


def user_network_ids(user: Any) -> list[int]:
    """The ids of the user's networks: convened or facilitated by a unit in the user's scope, or whose sanction
    centre is in it; those where a contact with the user's e-mail is a member's liaison or a series attendee;
    and the networks the user follows. One query (after the scope's)."""
    from ..core.services import scope_unit_ids

    if not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return []
    conditions: list[Any] = [Network.id.in_(select(network_follower.c.network_id)
                                            .where(network_follower.c.user_id == user.id))]
    scope = scope_unit_ids(user.home_unit) if user.home_unit is not None else set()
    if scope:
        conditions += [Network.convenor_unit_id.in_(scope), Network.facilitator_unit_id.in_(scope),
                       Network.centre_id.in_(scope)]
    email = (user.email or "").strip().lower()
    if email:
        mine = select(Contact.id).where(func.lower(Contact.email) == email)
        conditions += [
            Network.id.in_(select(NetworkMember.network_id).where(NetworkMember.liaison_id.in_(mine))),
            Network.id.in_(select(MeetingSeries.network_id).join(
                series_attendee, series_attendee.c.series_id == MeetingSeries.id).where(
                series_attendee.c.contact_id.in_(mine))),
        ]
    return list(db.session.scalars(select(Network.id).where(or_(*conditions)).order_by(Network.id)))


# --- the calendar ---------------------------------------------------------------------------------


def calendar_series(network_ids: Iterable[int] | None, *, with_network: bool = True,
                    before: datetime | None = None) -> list[MeetingSeries]:
    """The series of these networks (None: of every network), each with its network unless told not to (the
    month view shows none: loading a thousand networks costs time); one query.

    With `before` (the end of the window shown), series that start only after it are left out, unless one of
    their occurrences was moved to before it.
    """
    stmt = select(MeetingSeries).order_by(MeetingSeries.id)
    if with_network:
        stmt = stmt.options(joinedload(MeetingSeries.network))
    if before is not None:
        moved_earlier = select(Occurrence.id).where(Occurrence.series_id == MeetingSeries.id,
                                                    Occurrence.starts_at < before).exists()
        stmt = stmt.where(or_(MeetingSeries.starts_at < before, moved_earlier))
    if network_ids is not None:
        ids = list(network_ids)
        stmt = stmt.where(MeetingSeries.network_id.in_(ids) if ids else false())
    return list(db.session.scalars(stmt).unique())


def next_items(series: Sequence[MeetingSeries], now: datetime, limit: int, *,
               horizons: Sequence[int] = (62, 2 * 366), include_cancelled: bool = True) -> list[Item]:
    """The first `limit` occurrences of the series starting at or after `now`: a short window first, the longer
    ones only when it holds too few (a daily series need not be expanded for two years)."""
    found: list[Item] = []
    for days in horizons:
        found = [i for i in items_between(series, now, now + timedelta(days=days), include_cancelled=include_cancelled)
                 if i.starts_at >= now]
        if len(found) >= limit:
            break
    return found[:limit]


def last_items(series: Sequence[MeetingSeries], now: datetime, limit: int, *,
               horizons: Sequence[int] = (62, 3 * 366)) -> list[Item]:
    """The last `limit` occurrences of the series that started before `now`, newest first (short window first)."""
    found: list[Item] = []
    for days in horizons:
        found = [i for i in items_between(series, now - timedelta(days=days), now) if i.starts_at < now][::-1]
        if len(found) >= limit:
            break
    return found[:limit]


def next_meetings(user: Any, now: datetime, *, limit: int = 5) -> list[Item]:
    """The user's next meetings within a year (their networks, `user_network_ids`), cancelled ones left out: for
    the dashboard. One query for the networks, one for the series, one for the exceptions (per window)."""
    ids = user_network_ids(user)
    if not ids:
        return []
    return next_items(calendar_series(ids), now, limit, horizons=(31, 366), include_cancelled=False)


def network_choices(network_ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """(id, name in the UI language) of networks for the calendar's filter: active ones, or the given ids."""
    stmt = select(Network).order_by(func.lower(Network.name_fi), Network.id)
    if network_ids is None:
        stmt = stmt.where(Network.active.is_(True))
    else:
        ids = list(network_ids)
        stmt = stmt.where(Network.id.in_(ids) if ids else false())
    return [(n.id, n.name()) for n in db.session.scalars(stmt.limit(MAX_CHOICES))]


# --- choices for the forms and filters ------------------------------------------------------------


def sanction_centres() -> list[Unit]:
    """The sanction centres, by code."""
    return list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE).order_by(Unit.code)))


def units_by_kind() -> list[Unit]:
    """All units by kind and Finnish name."""
    return list(db.session.scalars(select(Unit).order_by(Unit.kind, Unit.name_fi)))


def partner_contacts(partner_id: int | None, *keep: int | None) -> list[Contact]:
    """The partner's active contacts by name, plus any of `keep` (e.g. the current, now inactive, liaison)."""
    if not partner_id or not 0 < partner_id <= MAX_ID:
        return []
    wanted = [k for k in keep if k]
    stmt = select(Contact).where(Contact.partner_id == partner_id,
                                 or_(Contact.active.is_(True), Contact.id.in_(wanted) if wanted else false()))
    return list(db.session.scalars(stmt.order_by(Contact.name, Contact.id)))


def member_partner_choices(network: Network, *selected: int | None) -> list[tuple[int, str]]:
    """(id, Finnish name) of active partners that are not yet members of the network, plus any selected."""
    from ..directory.queries import partner_choices

    members = {m.partner_id for m in network.members}
    return [(pid, name) for pid, name in partner_choices(*selected) if pid not in members or pid in selected]

