"""What every form shares: the filter that trims typed text."""

from __future__ import annotations

from typing import Any


def strip(value: Any) -> Any:
    """WTForms filter: text without surrounding whitespace (other values as they are)."""
    return value.strip() if isinstance(value, str) else value
