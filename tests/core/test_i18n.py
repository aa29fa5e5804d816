"""Languages: complete catalogues, locale selection, Finnish date formats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from registry.i18n import format_date, format_datetime
from tests.conftest import login, post

ROOT = Path(__file__).resolve().parents[2]


def _source_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "registry", method_map, options_map, keywords={"_": None, "gettext": None, "_l": None,
                                                                   "lazy_gettext": None, "ngettext": (1, 2)}):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_catalogue_is_complete(lang):
    with open(ROOT / f"registry/translations/{lang}/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale=lang)
    source = _source_messages()
    assert len(source) > 100
    missing = sorted(m for m in source if m not in catalog)
    assert not missing, f"{lang}: not in the catalogue (run scripts/update-translations): {missing[:10]}"
    untranslated = [m.id for m in catalog if m.id and (m.fuzzy or not m.string or (
        isinstance(m.string, tuple) and not all(m.string)))]
    assert not untranslated, f"{lang}: missing or fuzzy: {untranslated[:10]}"


def test_placeholders_survive_translation():
    for lang in ("fi", "sv"):
        with open(ROOT / f"registry/translations/{lang}/LC_MESSAGES/messages.po", "rb") as handle:
            for message in read_po(handle, locale=lang):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                wanted = {p for p in ("%(name)s", "%(n)d", "%(num)d", "%(date)s", "%(page)d", "%(pages)d")
                          if p in ids[-1]}
                for text in strings:
                    assert all(p in text for p in wanted), f"{lang}: {message.id!r} -> {text!r}"


def test_dates_are_finnish_style_in_helsinki_time(app):
    with app.test_request_context(headers={"Accept-Language": "fi"}):
        assert format_date(date(2026, 3, 7)) == "7.3.2026"
        # 22:30 UTC on 31 Dec is already 1 Jan in Helsinki (UTC+2 in winter)
        assert format_date(datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) == "1.1.2027"
        assert format_datetime(datetime(2026, 6, 1, 9, 5, tzinfo=UTC)) == "1.6.2026 12.05"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_datetime(datetime(2026, 6, 1, 9, 5, tzinfo=UTC)) == "1.6.2026 12:05"


def _lang(response) -> str:
    text = response.get_data(as_text=True)
    return text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_finnish_by_default_and_accept_language_before_sign_in(app):
    client = app.test_client()
    assert _lang(client.get("/login")) == "fi"
    assert "Kirjaudu sisään" in client.get("/login").get_data(as_text=True)
    assert _lang(client.get("/login", headers={"Accept-Language": "sv-FI,sv;q=0.9"})) == "sv"
    assert _lang(client.get("/login", headers={"Accept-Language": "de"})) == "fi"


def test_language_switch_is_remembered_per_user(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    login(client, user)
    response = post(client, "/language", {"lang": "en", "next": "/profile"})
    assert response.headers["Location"] == "/profile"
    assert _lang(client.get("/")) == "en"
    # a new browser, Swedish preferred, still gets the user's choice after signing in
    other = app.test_client()
    login(other, user)
    page = other.get("/", headers={"Accept-Language": "sv"})
    assert _lang(page) == "en" and "Welcome" in page.get_data(as_text=True)


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(app):
    client = app.test_client()
    response = post(client, "/language", {"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _lang(client.get("/login")) == "fi"
