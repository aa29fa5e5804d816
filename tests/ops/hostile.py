"""Hostile input for the abuse suite: the curated values, a generator of more, an HTML form parser and a
request-body encoder that can send bytes no browser would (invalid UTF-8, lone surrogates)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import quote_plus, urljoin, urlsplit

from hypothesis import strategies as st

Value = str | bytes  # bytes are sent as they are: not necessarily UTF-8

VEVENT = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:x"
XSS = "<script>alert(1)</script>"
FORMULAS = ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)")
MEGABYTE = "x" * (1024 * 1024)

CURATED: dict[str, Value] = {
    "xss-script": XSS,
    "xss-attribute": '"><img src=x onerror=alert(1)>',
    "xss-url": "javascript:alert(1)",
    "sql-or": "' OR 1=1 --",
    "sql-drop": "'); DROP TABLE partner; --",
    "fts-quote": '"unbalanced',
    "fts-near": "NEAR(a b)",
    "fts-operators": "a AND OR NOT",
    "fts-star": "*",
    "fts-caret": "^x",
    "fts-column": "col:val",
    "ical-crlf": VEVENT,
    **{f"formula-{i}": v for i, v in enumerate(FORMULAS)},
    "megabyte": MEGABYTE,
    "long-line": "ö" * 5000,  # longer than every column, small enough to reach the validators
    "nul": "a\x00b",
    "invalid-utf8": b"\xff\xfe\xfd",
    "lone-surrogate": b"\xed\xa0\x80",  # U+D800 as UTF-8 would encode it: not valid UTF-8
    "rtl-override": "abc\u202edef",
    "date-feb-30": "2026-02-30",
    "date-zero": "0000-00-00",
    "date-nines": "9999-99-99",
    "date-finnish-feb-31": "31.2.2026",
    "number-huge": "99999999999999999999999999",
    "number-negative": "-1",
    "number-exponent": "1e309",
    "number-nan": "NaN",
    "emoji-combining": "e\u0301\u0308 👩‍👩‍👧 🇫🇮 ﷽",
    "whitespace": " \t\r\n ",
    "padded": "  two\r\nlines\t ",
    "path": "../../../etc/passwd",
    "empty": "",
}

# Which values each control gets. NUL and the megabyte are refused for the whole request before any form sees
# them (400, 413), whichever field holds them: they are sent once per form. Free text gets the rest, the query
# syntax of the full-text search only in the search and filter (GET) forms, where it reaches a query. A choice
# (select, radio, checkbox, hidden, button) or a date, time or number field is parsed before anything else sees
# it: it gets the values that probe its parser.
WHOLE_REQUEST = ("nul", "megabyte")
_PARSERS = ("empty", "whitespace", "invalid-utf8", "lone-surrogate", "xss-attribute")
_NUMBERS = ("number-huge", "number-negative", "number-exponent", "number-nan")
_DATES = ("date-feb-30", "date-zero", "date-nines", "date-finnish-feb-31")
_QUERY_SYNTAX = ("fts-near", "fts-operators", "fts-star", "fts-caret", "fts-column")
_TEXT = tuple(k for k in CURATED if k not in WHOLE_REQUEST + _QUERY_SYNTAX + _NUMBERS[1:] + _DATES[:3] + ("padded",))
TEXT_KINDS = frozenset({"text", "textarea", "email", "url", "tel", "search", "password"})
VALUES_BY_KIND: dict[str, tuple[str, ...]] = {
    **{kind: _TEXT for kind in TEXT_KINDS},
    **{kind: _PARSERS + _NUMBERS + _DATES for kind in ("date", "time", "datetime-local", "month", "number")},
    **{kind: ("empty", "invalid-utf8", "lone-surrogate", "xss-attribute", "number-huge", "number-negative",
              "number-nan") for kind in ("select", "radio", "checkbox", "hidden", "button")},
    "file": ("xss-attribute", "ical-crlf", "invalid-utf8", "long-line", "rtl-override", "path"),
}


def values_for(method: str, kind: str) -> tuple[str, ...]:
    """The curated values (their labels) a control of this kind gets in a form sent with this method."""
    if method == "get" and kind in TEXT_KINDS:
        return _TEXT + _QUERY_SYNTAX
    return VALUES_BY_KIND[kind]


# The text values a round trip must preserve (after the form's own normalisation): markup, SQL, quotes, line
# breaks, formula triggers, bidirectional controls, combining marks, padding, bytes that are not UTF-8.
ROUND_TRIP = ("xss-script", "xss-attribute", "sql-drop", "fts-quote", "ical-crlf", "formula-0", "formula-1",
              "rtl-override", "emoji-combining", "padded", "invalid-utf8")


def generated() -> st.SearchStrategy[Value]:
    """More hostile values: any Unicode text (surrogates excluded: they cannot be sent as text), raw bytes,
    numbers and date-like strings."""
    return st.one_of(
        st.text(max_size=40),
        st.binary(min_size=1, max_size=12),
        st.integers().map(str),
        st.from_regex(r"\A-?\d{1,5}-\d{1,3}-\d{1,3}\Z"),
        st.sampled_from(["<", ">", "&", '"', "'", "\\", "%", "_", "\u2028", "\ufeff", "\r", "\n"]).map(lambda c: c * 3),
    )


# --- forms ------------------------------------------------------------------------------------------------------

EDITABLE = frozenset(VALUES_BY_KIND) - {"file"}


@dataclass
class Field:
    """One named control: its kind (input type, "textarea", "select", "button"), the value(s) the page
    rendered, and the options a select, radio group, checkbox group or named button offers."""

    name: str
    kind: str
    values: list[str] = field(default_factory=list)  # selected / checked / typed; several for multiples
    options: list[str] = field(default_factory=list)
    id: str | None = None


@dataclass
class Form:
    """A form as the page rendered it."""

    page: str
    action: str
    method: str
    enctype: str
    fields: list[Field] = field(default_factory=list)
    form_id: str | None = None
    who: str = ""  # which of the test's clients found it (the one that sends it)

    def field(self, name: str) -> Field:
        """The field of that name."""
        return next(f for f in self.fields if f.name == name)

    def pairs(self, override: str | None = None, value: Value | None = None) -> list[tuple[str, Value]]:
        """The name/value pairs a browser would send, with field `override` set to `value` instead."""
        sent: list[tuple[str, Value]] = []
        for f in self.fields:
            if f.name == override:
                assert value is not None
                sent.append((f.name, value))
            elif f.kind != "file":
                sent.extend((f.name, v) for v in f.values)
        return sent

    def editable(self) -> list[Field]:
        """The fields a user (or a tampering client) controls; the CSRF token is not one of them."""
        return [f for f in self.fields if f.kind in EDITABLE and f.name != "csrf_token"]

    def signature(self) -> tuple[str, ...]:
        """What distinguishes two forms posting to the same endpoint: their field names (rows of a list,
        position_4 and position_6, count as one)."""
        return tuple(sorted({re.sub(r"\d+", "#", f.name) for f in self.fields}))


class _Parser(HTMLParser):
    """Collects every form of a page with its controls (html.parser: tolerant, no dependency)."""

    def __init__(self, page: str, who: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.who = page, who
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.owned: list[tuple[str, Field]] = []  # controls outside their form (form="id")
        self.select: Field | None = None
        self.option: dict[str, str | None] | None = None
        self.option_text = ""
        self.textarea: Field | None = None
        self.textarea_text = ""

    def _add(self, control: Field, owner: str | None) -> None:
        if owner:
            self.owned.append((owner, control))
            return
        if self.current is None:
            return
        same = next((f for f in self.current.fields if f.name == control.name and f.kind == control.kind
                     and control.kind in {"radio", "checkbox", "button"}), None)
        if same is None:
            self.current.fields.append(control)
        else:  # a radio group, a checkbox group, several buttons of one name: one field with options
            same.options += control.options
            same.values += control.values

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self.current = Form(page=self.page, who=self.who, action=urljoin(self.page, a.get("action") or self.page),
                                method=(a.get("method") or "get").lower(),
                                enctype=a.get("enctype") or "application/x-www-form-urlencoded", form_id=a.get("id"))
            self.forms.append(self.current)
            return
        name, owner, disabled = a.get("name"), a.get("form"), "disabled" in a
        if tag == "input" and name and not disabled:
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "image", "reset"}:
                kind = "button"
            value = a.get("value", "on" if kind in {"checkbox", "radio"} else "")
            if kind in {"checkbox", "radio", "button"}:
                chosen = [value] if "checked" in a else []
                self._add(Field(name, kind, chosen, [value], a.get("id")), owner)
            elif kind != "reset":
                self._add(Field(name, kind, [] if kind == "file" else [value], [], a.get("id")), owner)
        elif tag == "button" and name and not disabled and (a.get("type") or "submit") == "submit":
            self._add(Field(name, "button", [], [a.get("value", "")], a.get("id")), owner)
        elif tag == "select" and name and not disabled:
            self.select = Field(name, "select", [], [], a.get("id"))
            self.select.multiple = "multiple" in a  # type: ignore[attr-defined]
            self._add(self.select, owner)
        elif tag == "option" and self.select is not None:
            self.option, self.option_text = a, ""
        elif tag == "textarea" and name and not disabled:
            self.textarea, self.textarea_text = Field(name, "textarea", [], [], a.get("id")), ""
            self._add(self.textarea, owner)

    def handle_data(self, data: str) -> None:
        if self.option is not None:
            self.option_text += data
        if self.textarea is not None:
            self.textarea_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self.select is not None and self.option is not None:
            self._end_option()
        elif tag == "select" and self.select is not None:
            if self.option is not None:
                self._end_option()
            if not self.select.values and self.select.options and not getattr(self.select, "multiple", False):
                self.select.values = [self.select.options[0]]  # a browser sends the first option
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = self.textarea_text
            # HTML: a newline right after <textarea> is not part of the value.
            self.textarea.values = [text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n")
                                    else text]
            self.textarea = None
        elif tag == "form":
            self.current = None

    def _end_option(self) -> None:
        assert self.select is not None and self.option is not None
        value = self.option.get("value")
        value = self.option_text.strip() if value is None else value
        if "disabled" not in self.option:
            self.select.options.append(value)
            if "selected" in self.option:
                self.select.values.append(value)
        self.option = None


def parse_forms(page: str, html: str, who: str = "") -> list[Form]:
    """Every form on the page (URL `page`, as seen by client `who`), with controls associated through form="id"
    included."""
    parser = _Parser(page, who)
    parser.feed(html)
    parser.close()
    by_id = {f.form_id: f for f in parser.forms if f.form_id}
    for owner, control in parser.owned:
        if owner in by_id:
            by_id[owner].fields.append(control)
    for form in parser.forms:
        buttons = [f for f in form.fields if f.kind == "button"]
        if buttons:  # a browser sends the button that was pressed: here the last, the form's main action
            buttons[-1].values = buttons[-1].options[-1:]
    return parser.forms


def path_of(url: str) -> str:
    """The path and query of a URL (the test client takes those)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def with_field(form: Form, name: str, values: list[str]) -> Form:
    """A copy of the form whose field `name` holds other values."""
    return replace(form, fields=[replace(f, values=values) if f.name == name else f for f in form.fields])


# --- request bodies ---------------------------------------------------------------------------------------------


def _bytes(value: Value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def encode(pairs: list[tuple[str, Value]], multipart: bool, files: dict[str, tuple[str, bytes]] | None = None
           ) -> tuple[bytes, str]:
    """The body and content type for these fields, built by hand so that any bytes can be sent."""
    if not multipart:
        body = "&".join(f"{quote_plus(_bytes(k))}={quote_plus(_bytes(v))}" for k, v in pairs)
        return body.encode("ascii"), "application/x-www-form-urlencoded"
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in pairs:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + _bytes(value) + b"\r\n")
    for name, (filename, content) in (files or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
