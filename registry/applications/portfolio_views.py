"""The project portfolio: projects, half-yearly follow-ups, end evaluation, reports and exports."""

from __future__ import annotations

from .views import bp  # noqa: F401
