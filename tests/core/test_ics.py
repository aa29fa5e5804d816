"""iCalendar content lines: exact text escaping, no line breaks, folding."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from registry.core import ics
from registry.i18n import HELSINKI


def test_text_escaping_is_exact_and_control_characters_cannot_break_lines():
    assert ics.escape_text("a;b,c\\d\\Ne\nf") == "a\\;b\\,c\\\\d\\\\Ne\\nf"
    assert ics.clean_text("a\r\nb\rc\x0bd\x00e\u2028f") == "a\nb\nc d e f"
    assert ics.Text("x\ry\x0cBEGIN:VEVENT").to_ical() == b"x\\ny BEGIN:VEVENT"
    assert ics.text_line("SUMMARY", "x\ry\x0cBEGIN:VEVENT") == b"SUMMARY:x\\ny BEGIN:VEVENT"
    with pytest.raises(ValueError, match="line break"):
        ics.line("URL", "https://example.org/\r\nBEGIN:VEVENT")


def test_long_lines_are_folded_at_75_octets_never_inside_a_character_or_an_escape():
    text = "ä" * 30 + "\\;" * 40
    folded = ics.line("DESCRIPTION", text)
    parts = folded.split(b"\r\n ")
    assert len(parts) > 1 and all(len(p) <= 75 for p in parts)
    assert b"".join(parts).decode() == f"DESCRIPTION:{text}"  # each part is whole UTF-8
    assert not any(p.endswith(b"\\") for p in parts[:-1])


def test_date_and_time_texts():
    assert ics.local_time(datetime(2026, 3, 29, 4, 5, 6)) == "20260329T040506"
    assert ics.utc_time(datetime(2026, 7, 1, 10, 0, tzinfo=HELSINKI)) == "20260701T070000Z"
    assert ics.date_text(date(2027, 2, 28)) == "20270228"
