"""Password policy (pure): length limits and a bundled list of common passwords, no composition rules."""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of about 20 000 common passwords (lower case)."""
    raw = resources.files("registry").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(raw).decode().splitlines() if line.strip())


def password_problems(password: str, *, email: str = "") -> list[str]:
    """Codes of what is wrong with a new password: 'too_short', 'too_long', 'common', 'like_email'."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
    if len(password) > MAX_LENGTH:
        problems.append("too_long")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        problems.append("common")
    local = email.split("@", 1)[0].lower()
    if local and len(local) >= 4 and local in lowered:
        problems.append("like_email")
    return problems
