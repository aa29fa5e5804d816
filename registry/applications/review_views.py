"""Review: working-group meetings and agendas, reviewers, conflicts of interest, criteria, reviews, statements."""

from __future__ import annotations

from .views import bp  # noqa: F401
