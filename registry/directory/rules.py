"""Pure directory rules: business IDs, text folding for search, name similarity, staleness, routing."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from difflib import SequenceMatcher

BUSINESS_ID = re.compile(r"^(\d{6,7})-(\d)$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
STALE_AFTER = timedelta(days=365)  # contacts not confirmed in 12 months are stale (issue: keeping data current)
THIRD_SECTOR = frozenset({"association", "foundation", "parish", "social_enterprise"})


def business_id_check_digit(digits: str) -> int | None:
    """The check digit of a seven-digit business number, or None when none exists.

    Weights 7,9,10,5,8,4,2; remainder r of the weighted sum mod 11; r == 0 gives 0, r == 1 is never
    issued, otherwise 11 - r.
    """
    remainder = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return None
    return 0 if remainder == 0 else 11 - remainder


def normalise_business_id(value: str) -> str | None:
    """A Finnish business ID (Y-tunnus) in the form 1234567-8 if its check digit is right, else None.

    Old six-digit IDs get a leading zero.
    """
    match = BUSINESS_ID.match(value.strip().replace(" ", ""))
    if not match:
        return None
    digits, check = match.group(1).zfill(7), int(match.group(2))
    return f"{digits}-{check}" if business_id_check_digit(digits) == check else None


def fold(text: str) -> str:
    """Lower case without diacritics (ä→a, ö→o, å→a, é→e), whitespace collapsed: the search form of text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())


def search_terms(query: str, *, max_terms: int = 8, max_length: int = 200) -> list[str]:
    """The folded words of a user's query; anything that is not a letter or digit separates words."""
    words = re.findall(r"\w+", fold(query[:max_length]))
    unique = list(dict.fromkeys(words))
    return unique[:max_terms]


def name_similarity(a: str, b: str) -> float:
    """How alike two organisation names are (0–1), ignoring case, diacritics and common legal suffixes."""
    def core(name: str) -> str:
        return re.sub(r"\b(ry|rf|sr|oy|ab|oyj|säätiö|saatio|stiftelse|sr\.)\b", "", fold(name)).strip()

    return SequenceMatcher(None, core(a), core(b)).ratio()


def is_stale(last_confirmed_at: datetime | None, now: datetime) -> bool:
    """Whether a contact's details are due for confirmation (never confirmed, or over 12 months ago)."""
    return last_confirmed_at is None or now - last_confirmed_at > STALE_AFTER


def routes_to_project_office(category: str, has_rise_liaison: bool) -> bool:
    """Policy §14: contacts from an NGO with no named Rise liaison are routed to the project office."""
    return category in THIRD_SECTOR and not has_rise_liaison
