"""The calendar pages: upcoming meetings as an agenda list and a month view."""

from __future__ import annotations

from .views import bp  # noqa: F401
