"""Synthetic networks and meeting series for benchmarks (`registry seed --demo --scale N` makes N/100 networks).

`generate_meetings(n)` adds the missing generated networks in bulk, each with 2–5 member partners and their
liaisons and 1–3 meeting series (weekly, monthly, quarterly, 3–4 times a year or yearly, some with a cancelled
or moved occurrence). Their Finnish names start with "GEN-", which is how they are recognised and counted, so a
second run with the same `n` adds nothing. It also makes the benchmark user (`BENCH_EMAIL`, no home unit) who
follows generated networks until their personal feed covers `BENCH_SERIES` series (all of them when there are
fewer), with a feed token; `bench_facts()` tells the benchmark who that is and which month is the busiest.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from ..core import audit
from ..core.models import Unit, UnitKind, utcnow
from ..core.services import create_user, scope_unit_ids, user_by_email
from ..directory.models import Contact, Partner, Theme
from ..extensions import db
from ..i18n import today as helsinki_today
from . import rules
from .models import (
    Cadence,
    MeetingSeries,
    Network,
    NetworkLevel,
    NetworkMember,
    Occurrence,
    OccurrenceStatus,
    network_follower,
    series_attendee,
)

GENERATED_PREFIX = "GEN-"  # Finnish names of generated networks
UID_DOMAIN = "rise-registry"  # series UIDs: gen-<network number>-<series number>@rise-registry
BENCH_EMAIL = "kalenteri.bench@bench.rise.example"
BENCH_PASSWORD = "Bench-kalenteri-salasana-2026"
BENCH_SERIES = 1000  # the personal feed of the benchmark user covers this many series (issue 5, "Speed")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
# (weight, cadence, rule template): {n} the week of the month, {wd} the weekday, {m} a month.
RULES = [(5, Cadence.WEEKLY, "FREQ=WEEKLY;BYDAY={wd}"), (45, Cadence.MONTHLY, "FREQ=MONTHLY;BYDAY={n}{wd}"),
         (20, Cadence.QUARTERLY, "FREQ=MONTHLY;INTERVAL=3;BYDAY={n}{wd}"),
         (15, Cadence.THREE_FOUR_A_YEAR, "FREQ=YEARLY;BYMONTH=2,5,9,11;BYDAY={n}{wd}"),
         (15, Cadence.YEARLY, "FREQ=YEARLY;BYMONTH={m};BYDAY={n}{wd}")]
TITLES = ("Verkoston kokous", "Yhteistyöpalaveri", "Teemaryhmän tapaaminen", "Ohjausryhmä", "Työpaja",
          "Verkostotapaaminen")


def first_meeting(rule: str, anchor: datetime) -> datetime:
    """The first meeting of the rule at or after `anchor` (a series starts there, so DTSTART is one)."""
    found = rules.first_date(anchor, rule)
    if found is None:
        raise ValueError(f"the rule {rule} has no occurrence after {anchor}")
    return found


def generated_networks() -> int:
    """How many generated networks exist (recognised by their name)."""
    return db.session.scalar(select(func.count(Network.id))
                             .where(Network.name_fi.like(f"{GENERATED_PREFIX}%"))) or 0


@dataclass
class _Pools:
    """What generated networks are made of: centres, areas, themes, partners with a contact, Rise contacts."""

    centres: list[Unit]
    areas: list[int]
    themes: list[tuple[int, str]]
    partners: list[tuple[int, int | None]]  # partner id, a contact id
    rise: dict[int, list[int]]  # centre id → Rise contact ids in its scope


def _pools() -> _Pools:
    centres = list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE).order_by(Unit.code)))
    areas = list(db.session.scalars(select(Unit.id).where(Unit.kind == UnitKind.RESPONSIBILITY_AREA)
                                    .order_by(Unit.id)))
    themes = [(t.id, t.name_fi) for t in db.session.scalars(select(Theme).order_by(Theme.id))]
    contact_of = dict(db.session.execute(select(Contact.partner_id, func.min(Contact.id))
                                         .where(Contact.partner_id.is_not(None)).group_by(Contact.partner_id)).all())
    partners = [(pid, contact_of.get(pid)) for pid in db.session.scalars(
        select(Partner.id).where(Partner.merged_into_id.is_(None), Partner.active.is_(True)).order_by(Partner.id))]
    rise = {c.id: list(db.session.scalars(select(Contact.id).where(Contact.unit_id.in_(scope_unit_ids(c)))
                                          .order_by(Contact.id))) for c in centres}
    return _Pools(centres, areas, themes, partners, rise)


def _rule(rng: random.Random) -> tuple[Cadence, str]:
    _weight, cadence, template = rng.choices(RULES, weights=[w for w, _c, _t in RULES])[0]
    return cadence, template.format(n=rng.randint(1, 4), wd=rng.choice(WEEKDAYS), m=rng.randint(1, 12))


def _synthetic(index: int, rng: random.Random, pools: _Pools, today: date, now: datetime,
               ids: dict[str, int], rows: dict[str, list[dict[str, Any]]]) -> None:
    """The rows of generated network number `index` (network, members, series, attendees, exceptions)."""
    network_id = ids["network"]
    centre = pools.centres[index % len(pools.centres)]
    national = rng.random() < 0.1 and bool(pools.areas)
    theme_id, theme_name = rng.choice(pools.themes) if pools.themes else (None, "Verkosto")
    series_rules = [_rule(rng) for _ in range(rng.choice([1, 1, 2, 2, 2, 3]))]
    rows["network"].append({
        "id": network_id, "name_fi": f"{GENERATED_PREFIX}{index + 1:05d} {theme_name} "
                                     f"({'valtakunnallinen' if national else centre.name_fi})",
        "name_sv": None, "name_en": None, "theme_id": theme_id,
        "level": NetworkLevel.NATIONAL if national else NetworkLevel.CENTRE,
        "centre_id": None if national else centre.id,
        "convenor_unit_id": rng.choice(pools.areas) if national else centre.id, "facilitator_unit_id": None,
        "cadence": series_rules[0][0], "cadence_note": None, "goals": "Generoitu verkosto suorituskykytestejä varten.",
        "active": True, "created_at": now - timedelta(days=rng.randrange(30, 900))})
    liaisons = []
    for partner_id, contact_id in rng.sample(pools.partners, min(len(pools.partners), rng.randint(2, 5))):
        liaison = contact_id if rng.random() < 0.9 else None
        rows["member"].append({"id": ids["member"], "network_id": network_id, "partner_id": partner_id,
                               "liaison_id": liaison, "joined_on": today - timedelta(days=rng.randrange(0, 900))})
        ids["member"] += 1
        if liaison is not None:
            liaisons.append(liaison)
    rise = pools.rise.get(centre.id) or []
    for number, (_cadence, rule) in enumerate(series_rules):
        series_id = ids["series"]
        anchor = datetime.combine(today - timedelta(days=rng.randrange(0, 400)), time(rng.choice([9, 10, 13, 14])))
        starts_at = first_meeting(rule, anchor)
        video = rng.random() < 0.4
        rows["series"].append({
            "id": series_id, "network_id": network_id, "uid": f"gen-{index + 1:05d}-{number + 1}@{UID_DOMAIN}",
            "title": f"{rng.choice(TITLES)} {index + 1}/{number + 1}", "starts_at": starts_at,
            "duration_minutes": rng.choice([60, 90, 120, 180]), "rrule": rule,
            "location": None if video else f"Kokoushuone {rng.randint(1, 40)}",
            "video_url": f"https://kokous.rise.example/j/gen-{index + 1}-{number + 1}" if video else None,
            "agenda": "1. Avaus\n2. Ajankohtaiset asiat\n3. Seuraava kokous", "organizer_id": None, "sequence": 0,
            "continues_id": None, "created_at": now, "updated_at": now})
        attendees = set(liaisons[:4]) | ({rng.choice(rise)} if rise else set())
        rows["attendee"].extend({"series_id": series_id, "contact_id": c} for c in sorted(attendees))
        if rng.random() < 0.15:  # one exception: a cancelled or a moved occurrence within the next year
            cut = datetime.combine(today, time(0))
            upcoming = rules.rule_dates(starts_at, rule, cut, cut + timedelta(days=366))[:3]
            if upcoming:
                original = rng.choice(upcoming)
                moved = rng.random() < 0.5
                rows["occurrence"].append({
                    "id": ids["occurrence"], "series_id": series_id, "recurrence_id": original,
                    "status": OccurrenceStatus.SCHEDULED if moved else OccurrenceStatus.CANCELLED,
                    "starts_at": original + timedelta(days=1) if moved else None, "duration_minutes": None,
                    "location": None, "video_url": None, "agenda": None, "minutes": None, "sequence": 1,
                    "updated_at": now})
                ids["occurrence"] += 1
        ids["series"] += 1
    ids["network"] += 1


def _next_id(table: str) -> int:
    return (db.session.scalar(text(f"SELECT MAX(id) FROM {table}")) or 0) + 1


def _sync_sequences() -> None:
    """PostgreSQL: move the id sequences past the ids given explicitly by the bulk insert."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("network", "network_member", "meeting_series", "occurrence"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def _bench_user(added: dict[str, int]) -> None:
    """The benchmark user follows generated networks until their feed covers BENCH_SERIES series."""
    from ..auth.feed import new_feed_token

    user = user_by_email(BENCH_EMAIL)
    if user is None:
        user = create_user(email=BENCH_EMAIL, name="Kalenterin suorituskykytesti", password=BENCH_PASSWORD,
                           roles=["staff"], home_unit=None, locale="fi")
        added["benchmark users"] += 1
    if not user.feed_token:
        new_feed_token(user)
    followed = set(db.session.scalars(select(network_follower.c.network_id)
                                      .where(network_follower.c.user_id == user.id)))
    counts = db.session.execute(
        select(Network.id, func.count(MeetingSeries.id)).join(MeetingSeries, MeetingSeries.network_id == Network.id)
        .where(Network.name_fi.like(f"{GENERATED_PREFIX}%")).group_by(Network.id).order_by(Network.id)).all()
    total, follow = 0, []
    for network_id, series in counts:
        if total >= BENCH_SERIES:
            break
        total += series
        if network_id not in followed:
            follow.append({"network_id": network_id, "user_id": user.id})
    if follow:
        db.session.execute(insert(network_follower), follow)
    added["networks followed by the benchmark user"] += len(follow)
    db.session.flush()


def generate_meetings(n: int, *, seed: int = 2026, batch_size: int = 500, progress: Any = None) -> dict[str, int]:
    """Make sure `n` generated networks exist, adding the missing ones in bulk (Core inserts) with their members,
    series, attendees and exceptions; then the benchmark user. Each network's data come from
    random.Random(seed + its number), so the result does not depend on how the work is split. Commits after each
    batch; one audit event summarises the volume (the ORM audit hook does not see bulk rows)."""
    added = {"networks": 0, "members": 0, "series": 0, "occurrence exceptions": 0, "benchmark users": 0,
             "networks followed by the benchmark user": 0}
    if n <= 0:
        return added
    have = generated_networks()
    if have < n:
        pools = _pools()
        if not pools.centres or not pools.partners:
            raise RuntimeError("generating networks needs the reference data and partners")
        today, now = helsinki_today(), utcnow()
        for start in range(have, n, batch_size):
            stop = min(n, start + batch_size)
            ids = {"network": _next_id("network"), "member": _next_id("network_member"),
                   "series": _next_id("meeting_series"), "occurrence": _next_id("occurrence")}
            rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("network", "member", "series", "attendee",
                                                                     "occurrence")}
            for index in range(start, stop):
                _synthetic(index, random.Random(seed * 1_000_003 + index), pools, today, now, ids, rows)
            for table, key in ((Network.__table__, "network"), (NetworkMember.__table__, "member"),
                               (MeetingSeries.__table__, "series"), (series_attendee, "attendee"),
                               (Occurrence.__table__, "occurrence")):
                if rows[key]:
                    db.session.execute(insert(table), rows[key])
            _sync_sequences()
            db.session.commit()
            for key, name in (("network", "networks"), ("member", "members"), ("series", "series"),
                              ("occurrence", "occurrence exceptions")):
                added[name] += len(rows[key])
            if progress is not None:
                progress(stop, n)
        audit.record("generate", object_type="network",
                     note=f"generated {added['networks']} synthetic networks (numbers {have + 1}–{n}) with "
                          f"{added['series']} meeting series in bulk")
    _bench_user(added)
    db.session.commit()
    return added


def bench_facts(months: int = 12) -> dict[str, Any]:
    """What the benchmark needs: the benchmark user's sign-in and feed token, how many series their feed
    covers, and the busiest month (YYYY-MM) of the next `months` with its number of occurrences."""
    user = user_by_email(BENCH_EMAIL)
    if user is None:
        raise RuntimeError("no benchmark user: run `registry seed --demo --scale N` first")
    series = db.session.execute(
        select(MeetingSeries.starts_at, MeetingSeries.rrule).join(
            network_follower, network_follower.c.network_id == MeetingSeries.network_id)
        .where(network_follower.c.user_id == user.id)).all()
    today = helsinki_today()
    first = datetime(today.year, today.month, 1)
    last = datetime(first.year + (first.month + months - 1) // 12, (first.month + months - 1) % 12 + 1, 1)
    per_month: Counter[str] = Counter()
    for starts_at, rule in series:
        for when in rules.rule_dates(starts_at, rule, first, last):
            per_month[f"{when:%Y-%m}"] += 1
    month, occurrences = max(sorted(per_month.items()), key=lambda kv: kv[1]) if per_month \
        else (f"{first:%Y-%m}", 0)  # the earliest of the busiest months
    return {"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "token": user.feed_token, "series": len(series),
            "month": month, "occurrences": occurrences}
