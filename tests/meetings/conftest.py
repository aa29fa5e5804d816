"""Network and meeting factories (return ids; ORM objects do not outlive their context)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.core.models import Unit, User
from registry.directory.models import Theme
from registry.extensions import db
from registry.meetings.models import Cadence, MeetingSeries, Network, NetworkLevel, NetworkMember
from tests.conftest import post
from tests.directory.conftest import english, make_contact, make_partner  # noqa: F401  (shared fixtures)


def _unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    assert unit is not None, f"no unit with code {code}"
    return unit


@pytest.fixture
def make_network(app: Flask, reference: None) -> Any:
    """Factory: a network (reference data loaded); returns its id.

    `level` "centre" (default) or "national"; `centre_code` (default ESRSK for a centre network, ignored for a
    national one); `convenor_code` (default: the centre, or RISE-OPER for a national network);
    `facilitator_code`; `theme` (theme code); `members`: partner ids, or (partner id, liaison contact id or
    None) pairs; `followers`: user ids. Other keyword arguments are model fields (cadence as enum or value).
    """

    def factory(name: str = "Päihde- ja mielenterveysverkosto", *, centre_code: str | None = None,
                level: str | NetworkLevel = NetworkLevel.CENTRE, convenor_code: str | None = None,
                facilitator_code: str | None = None, theme: str | None = None,
                members: list[Any] | tuple[Any, ...] = (), followers: tuple[int, ...] | list[int] = (),
                **fields: Any) -> int:
        with app.app_context():
            which = NetworkLevel(level)
            centre = _unit(centre_code or "ESRSK") if which is NetworkLevel.CENTRE else None
            convenor = _unit(convenor_code) if convenor_code else centre or _unit("RISE-OPER")
            data: dict[str, Any] = {"cadence": Cadence.QUARTERLY, **fields}
            data["cadence"] = Cadence(data["cadence"])
            network = Network(name_fi=name, level=which, centre=centre, convenor_unit=convenor,
                              facilitator_unit=_unit(facilitator_code) if facilitator_code else None, **data)
            if theme:
                network.theme = db.session.scalar(select(Theme).where(Theme.code == theme))
                assert network.theme is not None, f"no theme with code {theme}"
            db.session.add(network)
            db.session.flush()
            for member in members:
                partner_id, liaison_id = member if isinstance(member, tuple | list) else (member, None)
                db.session.add(NetworkMember(network_id=network.id, partner_id=partner_id, liaison_id=liaison_id))
            network.followers = [db.session.get(User, uid) for uid in followers]
            db.session.commit()
            return network.id

    return factory


@pytest.fixture
def make_series(app: Flask) -> Any:
    """Factory: a meeting series of a network (id) starting at a naive Helsinki datetime; returns its id.

    `rrule` is an RFC 5545 RRULE value without "RRULE:" (None: a single meeting); other keyword arguments are
    model fields (location, video_url, agenda, uid, …).
    """

    def factory(network: int, title: str = "Verkoston kokous", starts_at: datetime = datetime(2026, 3, 10, 10),
                rrule: str | None = None, duration_minutes: int = 60, **fields: Any) -> int:
        assert starts_at.tzinfo is None, "meeting times are naive Helsinki wall-clock times"
        with app.app_context():
            data = {"uid": f"{uuid.uuid4()}@rise.example", **fields}
            series = MeetingSeries(network_id=network, title=title, starts_at=starts_at, rrule=rrule,
                                   duration_minutes=duration_minutes, **data)
            db.session.add(series)
            db.session.commit()
            return series.id

    return factory


@pytest.fixture
def client_as(client_as: Any) -> Any:
    """Signed-in clients that use the English UI, so the tests can assert English text (feeds and e-mails then
    speak the user's language, English, too)."""

    def factory(*roles: str, **kwargs: Any) -> Any:
        client = client_as(*roles, **kwargs)
        post(client, "/language", {"lang": "en"})
        return client

    return factory
