"""Application pages for the working group: the list, one application, its checks, reviewers and statement."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("applications", __name__)

# The other page modules register their routes on this blueprint.
from . import import_views, portfolio_views, public_views, review_views  # noqa: E402,F401
