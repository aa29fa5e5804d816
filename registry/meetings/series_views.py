"""Meeting series and single occurrences: plan, edit, cancel, move, agenda, minutes."""

from __future__ import annotations

from .views import bp  # noqa: F401
