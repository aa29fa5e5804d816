"""The public application form (no account) and its confirmation."""

from __future__ import annotations

from .views import bp  # noqa: F401
