"""Synthetic agreements for benchmarks (`registry seed --demo --scale N` makes N/2 of them).

`generate_agreements(n)` adds the missing ones in bulk, with parties, sanction centres, one transition and
liaisons; their diary numbers start with "GEN-", which is how they are recognised and counted, so a second
run with the same `n` adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from ..core import audit
from ..core.models import Region, Unit, UnitKind, utcnow
from ..core.services import scope_unit_ids
from ..directory.models import Contact, LiaisonRole, LiaisonSide, LiaisonSubject, Partner
from ..extensions import db
from ..i18n import today as helsinki_today
from .models import (
    Agreement,
    AgreementKind,
    AgreementLevel,
    AgreementStatus,
    AgreementTransition,
    CounterpartKind,
    RenewalType,
    agreement_centre,
    agreement_party,
    agreement_region,
)

S = AgreementStatus
SIGNED = frozenset({S.IN_FORCE, S.UNDER_RENEWAL, S.EXPIRED, S.TERMINATED, S.SUPERSEDED})

GENERATED_PREFIX = "GEN-"  # diary numbers of generated agreements
KIND_NAMES = {AgreementKind.AGREEMENT: "Yhteistyösopimus", AgreementKind.OPERATING_MODEL: "Toimintamalli",
              AgreementKind.PROCESS: "Prosessikuvaus", AgreementKind.FRAMEWORK: "Puitesopimus",
              AgreementKind.COMMITMENT: "Yhteistyösitoumus", AgreementKind.PLACEMENT: "Sijoitussopimus"}
STATUS_WEIGHTS = [(S.IN_FORCE, 45), (S.PLANNED, 10), (S.IN_PREPARATION, 12), (S.UNDER_RENEWAL, 8), (S.EXPIRED, 12),
                  (S.TERMINATED, 5), (S.SUPERSEDED, 8)]
_STATUSES = [s for s, _w in STATUS_WEIGHTS]
_CUMULATIVE = [sum(w for _s, w in STATUS_WEIGHTS[:i + 1]) for i in range(len(STATUS_WEIGHTS))]


def generated_agreements() -> int:
    """How many generated agreements exist (recognised by their diary number)."""
    return db.session.scalar(select(func.count(Agreement.id))
                             .where(Agreement.dnro.like(f"{GENERATED_PREFIX}%"))) or 0


@dataclass
class _Pools:
    """What generated agreements are made of: units, partners with a contact, Rise contacts, kinds."""

    centres: list[Unit]
    units: dict[int, list[int]]  # centre id → its sub-unit ids
    areas: list[int]
    regions: dict[int, list[int]]  # centre id → region ids
    partners: list[tuple[int, str, int | None]]  # id, Finnish name, a contact id
    rise: dict[int, list[int]]  # centre id → Rise contact ids in its scope
    kinds: list[tuple[int, bool]]  # counterpart kind id, per region


def _pools() -> _Pools:
    centres = list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE).order_by(Unit.code)))
    units = {c.id: sorted(scope_unit_ids(c) - {c.id}) or [c.id] for c in centres}
    areas = list(db.session.scalars(select(Unit.id).where(Unit.kind == UnitKind.RESPONSIBILITY_AREA)))
    regions: dict[int, list[int]] = {}
    for region_id, centre_id in db.session.execute(select(Region.id, Region.sanction_centre_id).order_by(Region.id)):
        if centre_id is not None:
            regions.setdefault(centre_id, []).append(region_id)
    contact_of = dict(db.session.execute(select(Contact.partner_id, func.min(Contact.id))
                                         .where(Contact.partner_id.is_not(None)).group_by(Contact.partner_id)).all())
    partners = [(pid, name, contact_of.get(pid)) for pid, name in db.session.execute(
        select(Partner.id, Partner.name_fi).where(Partner.merged_into_id.is_(None), Partner.active.is_(True))
        .order_by(Partner.id))]
    rise = {c.id: list(db.session.scalars(select(Contact.id).where(Contact.unit_id.in_(scope_unit_ids(c)))))
            for c in centres}
    kinds = [(k.id, k.per_region)
             for k in db.session.scalars(select(CounterpartKind).order_by(CounterpartKind.position))]
    return _Pools(centres, units, areas, regions, partners, rise, kinds)


def _synthetic(index: int, rng: random.Random, pools: _Pools, today: date, now: datetime,
               ids: dict[str, int], rows: dict[str, list[dict[str, Any]]]) -> None:
    """The rows of generated agreement number `index` (agreement, links, one transition, liaisons)."""
    agreement_id = ids["agreement"]
    centre = pools.centres[index % len(pools.centres)]
    roll = rng.random()
    level = AgreementLevel.NATIONAL if roll < 0.04 and pools.areas else (
        AgreementLevel.LOCAL if roll < 0.2 else AgreementLevel.REGIONAL)
    owner = rng.choice(pools.areas) if level is AgreementLevel.NATIONAL else (
        rng.choice(pools.units[centre.id]) if level is AgreementLevel.LOCAL else centre.id)
    status = rng.choices(_STATUSES, cum_weights=_CUMULATIVE)[0]
    kind = rng.choice(list(KIND_NAMES))
    parties = rng.sample(pools.partners, min(len(pools.partners), rng.choice([1, 1, 1, 2, 3])))
    started = today - timedelta(days=rng.randrange(30, 2500))
    until: date | None = None
    if status is S.IN_FORCE:
        until = None if rng.random() < 0.2 else today + timedelta(days=rng.randrange(0, 1500))
    elif status is S.UNDER_RENEWAL:
        until = today + timedelta(days=rng.randrange(0, 200))
    elif status in (S.EXPIRED, S.TERMINATED, S.SUPERSEDED):
        until = today - timedelta(days=rng.randrange(1, 1500))
    signed = status in SIGNED
    kind_id, per_region = rng.choice(pools.kinds) if pools.kinds and level is AgreementLevel.REGIONAL \
        and rng.random() < 0.6 else (None, False)
    renewal = rng.choice([RenewalType.NONE, RenewalType.BY_DECISION, RenewalType.AUTOMATIC])
    changed = now - timedelta(days=rng.randrange(0, 400))
    rows["agreement"].append({
        "id": agreement_id, "name_fi": f"{KIND_NAMES[kind]}: {parties[0][1] if parties else centre.name_fi}",
        "name_sv": None, "name_en": None, "kind": kind, "level": level, "status": status, "owner_unit_id": owner,
        "counterpart_kind_id": kind_id, "parent_id": None, "amends_id": None, "relation": None,
        "dnro": f"{GENERATED_PREFIX}{index + 1:06d}", "signed_on": started - timedelta(days=10) if signed else None,
        "valid_from": started if signed else None, "valid_until": until, "renewal_type": renewal,
        "renewal_months": 12 if renewal is RenewalType.AUTOMATIC else None,
        "notice_months": rng.choice([None, 1, 2, 3, 3, 6]), "lead_time_days": rng.choice([None, 14, 30, 60]),
        "review_on": None, "review_interval_months": rng.choice([None, None, None, 12, 24]), "notes": None,
        "status_changed_at": changed, "created_at": changed - timedelta(days=30), "updated_at": changed,
        "version": 1})
    rows["party"].extend({"agreement_id": agreement_id, "partner_id": p[0]} for p in parties)
    if level is not AgreementLevel.NATIONAL:
        rows["centre"].append({"agreement_id": agreement_id, "unit_id": centre.id})
    if per_region and pools.regions.get(centre.id):
        rows["region"].append({"agreement_id": agreement_id, "region_id": rng.choice(pools.regions[centre.id])})
    rows["transition"].append({"id": ids["transition"], "agreement_id": agreement_id, "from_status": None,
                               "to_status": status, "at": changed, "by_id": None, "note": "generated"})
    ids["transition"] += 1
    if status is not S.PLANNED:
        sides = rng.choices([("rise", "partner"), ("partner",), ()], weights=[85, 10, 5])[0]
        contacts = {"rise": rng.choice(pools.rise[centre.id]) if pools.rise.get(centre.id) else None,
                    "partner": parties[0][2] if parties else None}
        for side in sides:
            if contacts[side] is not None:
                rows["liaison"].append({"id": ids["liaison"], "contact_id": contacts[side],
                                        "subject": LiaisonSubject.AGREEMENT, "side": LiaisonSide(side),
                                        "partner_id": None, "theme_id": None, "agreement_id": agreement_id,
                                        "project": None, "valid_from": started, "valid_to": None, "notes": None})
                ids["liaison"] += 1
    ids["agreement"] += 1


def _next_id(table: str) -> int:
    return (db.session.scalar(text(f"SELECT MAX(id) FROM {table}")) or 0) + 1


def _sync_sequences() -> None:
    """PostgreSQL: move the id sequences past the ids given explicitly by the bulk insert."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("agreement", "agreement_transition", "liaison_role"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def generate_agreements(n: int, *, seed: int = 2026, batch_size: int = 5000, progress: Any = None) -> dict[str, int]:
    """Make sure `n` generated agreements exist, adding the missing ones in bulk (Core inserts, a few thousand
    rows per statement) with their parties, centres, one transition and liaisons. Each agreement's data come
    from random.Random(seed + its number), so the result does not depend on how the work is split. Commits
    after each batch; one audit event summarises the volume (the ORM audit hook does not see bulk rows)."""
    have = generated_agreements()
    added = {"agreements": 0, "liaison roles": 0}
    if have >= n:
        return added
    pools = _pools()
    if not pools.centres or not pools.partners:
        raise RuntimeError("generating agreements needs the reference data and partners")
    today, now = helsinki_today(), utcnow()
    for start in range(have, n, batch_size):
        stop = min(n, start + batch_size)
        ids = {"agreement": _next_id("agreement"), "transition": _next_id("agreement_transition"),
               "liaison": _next_id("liaison_role")}
        rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("agreement", "party", "centre", "region",
                                                                 "transition", "liaison")}
        for index in range(start, stop):
            _synthetic(index, random.Random(seed * 1_000_003 + index), pools, today, now, ids, rows)
        for table, key in ((Agreement.__table__, "agreement"), (agreement_party, "party"),
                           (agreement_centre, "centre"), (agreement_region, "region"),
                           (AgreementTransition.__table__, "transition"), (LiaisonRole.__table__, "liaison")):
            if rows[key]:
                db.session.execute(insert(table), rows[key])
        _sync_sequences()
        db.session.commit()
        added["agreements"] += len(rows["agreement"])
        added["liaison roles"] += len(rows["liaison"])
        if progress is not None:
            progress(stop, n)
    audit.record("generate", object_type="agreement",
                 note=f"generated {added['agreements']} synthetic agreements (numbers {have + 1}–{n}) and "
                      f"{added['liaison roles']} liaison roles in bulk")
    db.session.commit()
    return added
