"""iCalendar downloads and feeds: a series, an invitation, a network, the personal feed; .ics import."""

from __future__ import annotations

from .views import bp  # noqa: F401
