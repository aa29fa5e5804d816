from datetime import UTC, datetime, timedelta

import pytest

from registry.directory.rules import (
    fold,
    is_stale,
    name_similarity,
    normalise_business_id,
    routes_to_project_office,
    search_terms,
)


@pytest.mark.parametrize("raw,expected", [
    ("0116297-6", "0116297-6"),     # a real-format ID with check digit 6
    ("116297-6", "0116297-6"),      # old six-digit form
    (" 0116297-6 ", "0116297-6"),
    ("0116297-5", None),            # wrong check digit
    ("1234567-1", "1234567-1"),
    ("0000006-0", None),            # remainder 1 is never issued
    ("01162976", None),
    ("abcdefg-h", None),
    ("", None),
])
def test_business_id(raw, expected):
    assert normalise_business_id(raw) == expected


def test_business_id_check_digit_zero_and_remainder_cases():
    # weighted sum of 0000000 is 0 -> check digit 0
    assert normalise_business_id("0000000-0") == "0000000-0"
    # 1572860-0: 7+45+70+10+64+24+0=220, 220 % 11 = 0 -> 0
    assert normalise_business_id("1572860-0") == "1572860-0"


def test_fold_removes_diacritics_and_case():
    assert fold("Hämeenlinnan  Vankila") == "hameenlinnan vankila"
    assert fold("Åbo Akademi") == "abo akademi"
    assert fold("ČĐŊŠŦŽ") == "cđŋsŧz"  # Sámi letters without a decomposition stay as they are


def test_search_terms_are_safe_words():
    assert search_terms('"kokemus" AND NEAR( col:val -x * 🙂') == ["kokemus", "and", "near", "col", "val", "x"]
    assert len(search_terms("sana " * 1000)) == 1
    assert search_terms("") == []


def test_name_similarity_ignores_legal_suffixes():
    assert name_similarity("Kris-Etelä-Suomi ry", "KRIS Etela-Suomi") > 0.9
    assert name_similarity("Suomen Punainen Risti", "Takuusäätiö") < 0.5


def test_staleness_after_twelve_months():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert is_stale(None, now)
    assert is_stale(now - timedelta(days=366), now)
    assert not is_stale(now - timedelta(days=300), now)


def test_ngo_without_rise_liaison_routes_to_project_office():
    assert routes_to_project_office("association", has_rise_liaison=False)
    assert not routes_to_project_office("association", has_rise_liaison=True)
    assert not routes_to_project_office("state_authority", has_rise_liaison=False)
