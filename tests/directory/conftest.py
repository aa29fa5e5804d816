"""Directory factories: partners and contacts (return ids; ORM objects do not outlive their context)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.core.models import Region, Unit
from registry.directory import services
from registry.directory.models import Contact, ContactKind, Partner, PartnerCategory, PartnerLevel, Theme
from registry.extensions import db


@pytest.fixture
def make_partner(app: Flask) -> Any:
    """Factory: a partner; returns its id. Keyword arguments are model fields; regions/themes by code."""

    def factory(name_fi: str = "Esimerkkiyhdistys ry", *, regions: tuple[str, ...] = (),
                themes: tuple[str, ...] = (), **fields: Any) -> int:
        with app.app_context():
            data = {"name_fi": name_fi, "category": PartnerCategory.ASSOCIATION, "level": PartnerLevel.REGIONAL,
                    **fields}
            partner = services.save_partner(Partner(), data)
            partner.regions = list(db.session.scalars(select(Region).where(Region.code.in_(regions))))
            partner.themes = list(db.session.scalars(select(Theme).where(Theme.code.in_(themes))))
            db.session.commit()
            return partner.id

    return factory


@pytest.fixture
def make_contact(app: Flask) -> Any:
    """Factory: a contact at a partner (partner_id) or a Rise unit (unit code); returns its id."""

    def factory(name: str = "Maija Meikäläinen", *, partner_id: int | None = None, unit: str | None = None,
                keywords: tuple[str, ...] = (), kind: ContactKind = ContactKind.PERSON, **fields: Any) -> int:
        with app.app_context():
            data = {"name": name, "kind": kind, "partner": db.session.get(Partner, partner_id) if partner_id else None,
                    "unit": db.session.scalar(select(Unit).where(Unit.code == unit)) if unit else None, **fields}
            contact = services.save_contact(Contact(), data, list(keywords))
            db.session.commit()
            return contact.id

    return factory


@pytest.fixture
def english(app: Flask) -> None:
    """Every test client of this app asks for English pages (for tests that read English messages)."""
    from flask.testing import FlaskClient

    class EnglishClient(FlaskClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    app.test_client_class = EnglishClient
