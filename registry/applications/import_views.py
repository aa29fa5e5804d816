"""Import of existing applications from a Webropol CSV export: column mapping, preview, per-row report."""

from __future__ import annotations

from .views import bp  # noqa: F401
