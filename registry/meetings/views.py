"""Network pages: networks, members, evaluations, meeting series and their occurrences."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meetings", __name__)

# The other page modules register their routes on this blueprint.
from . import agenda_views, feed_views, series_views  # noqa: E402,F401
