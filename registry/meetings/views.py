"""Network pages: networks, members, evaluations, meeting series and their occurrences."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meetings", __name__)
