"""Writing iCalendar (RFC 5545) content lines: the meeting feeds and the agreement deadlines both use this.

Events are written as content lines directly (building thousands of events as icalendar objects costs several
times as long); calendar-level properties, the VTIMEZONE, addresses and rules are icalendar values written
through `value_line`. All text is escaped by `escape_text` (icalendar's TEXT type as `Text`, which fixes its
escaping of a literal backslash-N), and every line is checked, so no title, name, place or agenda can break a
line or start a component.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from icalendar import Component, vText

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\x85]")


def clean_text(value: str) -> str:
    """Text as a calendar may carry it: line breaks as LF, other control characters as spaces."""
    return _CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping: backslash first, then `;` `,` and line breaks."""
    return (clean_text(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


class Text(vText):
    """icalendar's TEXT value with exact escaping: icalendar 7.3 turns a literal backslash-N in the text into a
    line break before escaping; here every backslash is escaped, so `\\N` in a title comes back as written."""

    __slots__ = ()

    def to_ical(self) -> bytes:
        """The escaped value."""
        return escape_text(str(self)).encode("utf-8")


def local_time(value: datetime) -> str:
    """DATE-TIME text of a wall-clock time (RFC 5545 §3.3.5 form 1, or form 3 with TZID)."""
    return (f"{value.year:04d}{value.month:02d}{value.day:02d}"
            f"T{value.hour:02d}{value.minute:02d}{value.second:02d}")


def utc_time(value: datetime) -> str:
    """DATE-TIME text in UTC (form 2): DTSTAMP, LAST-MODIFIED."""
    return local_time(value.astimezone(UTC)) + "Z"


def date_text(value: date) -> str:
    """DATE text (§3.3.4), for VALUE=DATE properties."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def fold(line: str) -> bytes:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 sequence or after a backslash."""
    data = line.encode()
    if len(data) < 75:
        return data
    chunks = []
    start = 0
    while len(data) - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # a continuation byte: go back to the character's first byte
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:  # keep an escape with what it escapes (icalendar #1501)
            end -= 1
        chunks.append(data[start:end])
        start = end
    chunks.append(data[start:])
    return b"\r\n ".join(chunks)


def line(name: str, value: str) -> bytes:
    """A content line of already-encoded parts, folded; the last guard against injection (no line written can
    hold a line break: text is escaped, addresses and times are checked or generated)."""
    text = f"{name}:{value}"
    if "\n" in text or "\r" in text:
        raise ValueError(f"line break in the {name} property")
    return fold(text)


def text_line(name: str, value: str) -> bytes:
    """A TEXT property's content line."""
    return line(name, escape_text(value))


def _unicode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def value_line(name: str, value: Any) -> bytes:
    """The content line of an icalendar property value, with its parameters."""
    params = _unicode(value.params.to_ical()) if getattr(value, "params", None) else ""
    return line(f"{name};{params}" if params else name, _unicode(value.to_ical()))


def component_lines(component: Component) -> Iterator[bytes]:
    """The content lines of an icalendar component and its subcomponents."""
    yield f"BEGIN:{component.name}".encode()
    for name, value in component.items():
        for one in value if isinstance(value, list) else [value]:
            yield value_line(name, one)
    for sub in component.subcomponents:
        yield from component_lines(sub)
    yield f"END:{component.name}".encode()


def document(calendar: Component, events: Iterable[list[bytes]]) -> bytes:
    """The calendar's own lines (and VTIMEZONE), then each event's lines: the whole iCalendar object."""
    lines = list(component_lines(calendar))[:-1]  # END:VCALENDAR comes after the events
    for event in events:
        lines.extend(event)
    lines.append(b"END:VCALENDAR")
    return b"\r\n".join(lines) + b"\r\n"
