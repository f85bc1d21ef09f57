"""Tests for casefile.types: the field types of the case format and the messages they give."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from casefile.types import (
    DateValue,
    FullDate,
    Language,
    Number,
    PartialDate,
    Sha256,
    Slug,
    Text,
    has_language,
    parse_text,
    text_in,
)


def refusal(type_: Any, value: Any) -> str:
    """The message an editor sees when `value` is refused by `type_`."""
    with pytest.raises(ValidationError) as excinfo:
        TypeAdapter(type_).validate_python(value)
    (error,) = excinfo.value.errors()
    assert error["type"] == "value_error"
    return str(error["ctx"]["error"])


# --- Dates ---------------------------------------------------------------------------------------


def test_a_full_date_parses_to_year_month_and_day() -> None:
    parsed = PartialDate.parse("2024-12-11")
    assert parsed == PartialDate(2024, 12, 11)
    assert parsed.is_full
    assert str(parsed) == "2024-12-11"
    assert parsed.as_date() == date(2024, 12, 11)


def test_a_month_alone_is_a_partial_date() -> None:
    parsed = PartialDate.parse("2011-03")
    assert parsed == PartialDate(2011, 3)
    assert not parsed.is_full
    assert str(parsed) == "2011-03"
    assert parsed.as_date() == date(2011, 3, 1)


def test_a_year_alone_is_a_partial_date() -> None:
    parsed = PartialDate.parse("2011")
    assert parsed == PartialDate(2011)
    assert str(parsed) == "2011"
    assert parsed.as_date() == date(2011, 1, 1)


def test_surrounding_spaces_are_ignored() -> None:
    assert PartialDate.parse(" 2015-03 ") == PartialDate(2015, 3)


def test_a_date_object_is_taken_as_it_is() -> None:
    assert PartialDate.parse(date(2024, 12, 8)) == PartialDate(2024, 12, 8)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-13-45", "'2025-13-45' is not a valid date: there is no month 13"),
        ("2025-00", "'2025-00' is not a valid date: there is no month 0"),
        ("2023-02-29", "'2023-02-29' is not a valid date: month 2 of 2023 has 28 days"),
        ("2024-04-31", "'2024-04-31' is not a valid date: month 4 of 2024 has 30 days"),
        ("2024-12-00", "'2024-12-00' is not a valid date: month 12 of 2024 has 31 days"),
        ("2024-1-5", "'2024-1-5' is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY)"),
        ("11 December 2024", "'11 December 2024' is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY)"),
        ("2024-12-11T10:00", "'2024-12-11T10:00' is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY)"),
    ],
)
def test_a_date_that_does_not_exist_is_refused_with_the_exact_message(value: str, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        PartialDate.parse(value)
    assert str(excinfo.value) == message


def test_the_29th_of_february_of_a_leap_year_is_accepted() -> None:
    assert PartialDate.parse("2024-02-29") == PartialDate(2024, 2, 29)


def test_a_date_field_gives_the_parse_message_through_pydantic() -> None:
    assert refusal(DateValue, "2023-02-29") == "'2023-02-29' is not a valid date: month 2 of 2023 has 28 days"


def test_a_full_date_field_refuses_a_month_alone() -> None:
    assert refusal(FullDate, "2024-03") == "'2024-03' must be a full date, YYYY-MM-DD"
    assert TypeAdapter(FullDate).validate_python("2024-03-01") == PartialDate(2024, 3, 1)


def test_a_date_in_year_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="0000-01-01"):
        PartialDate.parse("0000-01-01")


# --- Numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [("202000", 202000), ("13.5", 13.5), ("1_000", 1000), ("-5", -5), ("1e3", 1000.0), ("202000.0", 202000), (7, 7)],
)
def test_numbers_are_read_from_what_the_editor_wrote(written: Any, value: float) -> None:
    parsed = TypeAdapter(Number).validate_python(written)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize("written", ["202,000", "about 200", "", "true"])
def test_a_number_with_a_thousands_separator_or_words_is_refused_with_the_hint(written: str) -> None:
    assert refusal(Number, written) == f"expected a number, got '{written}' (write 202000, not '202,000')"


def test_a_boolean_is_not_a_number() -> None:
    assert refusal(Number, True) == "expected a number"


@pytest.mark.parametrize("written", ["nan", "inf", "1e400"])
def test_a_number_that_is_not_finite_is_refused(written: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Number).validate_python(written)


# --- Ids, language codes, hashes -----------------------------------------------------------------


@pytest.mark.parametrize("slug", ["snhr-statement", "a", "velk-extradition", "w1", "2024-report"])
def test_a_lowercase_hyphenated_id_is_a_slug(slug: str) -> None:
    assert TypeAdapter(Slug).validate_python(slug) == slug


@pytest.mark.parametrize("slug", ["Velk", "-velk", "velk-", "ostrand velk", "vélk", ""])
def test_anything_else_is_refused_as_an_id(slug: str) -> None:
    assert refusal(Slug, slug) == (
        f"'{slug}' is not a valid id: use lowercase letters, digits and hyphens, e.g. 'snhr-statement'")


@pytest.mark.parametrize("code", ["en", "fr", "ar", "ru", "fil", "pt-BR", "zh-Hant"])
def test_a_language_code_is_accepted(code: str) -> None:
    assert TypeAdapter(Language).validate_python(code) == code


@pytest.mark.parametrize("code", ["EN", "english", "e", "en_GB"])
def test_a_language_name_or_malformed_code_is_refused(code: str) -> None:
    assert refusal(Language, code) == f"'{code}' is not a language code such as 'en', 'ar' or 'ru'"


def test_a_sha256_is_64_hexadecimal_digits_stored_in_lowercase() -> None:
    assert TypeAdapter(Sha256).validate_python("AB" * 32) == "ab" * 32


@pytest.mark.parametrize("digest", ["a" * 63, "a" * 65, "g" * 64, "sha256:" + "a" * 64])
def test_anything_else_is_refused_as_a_sha256_with_a_pointer_to_casefile_hash(digest: str) -> None:
    assert refusal(Sha256, digest) == (
        f"'{digest}' is not a sha256 (64 hexadecimal digits); `casefile hash` fills it in")


# --- Text ----------------------------------------------------------------------------------------


def test_text_is_a_string() -> None:
    assert TypeAdapter(Text).validate_python("Ostrand Velk") == "Ostrand Velk"


def test_text_is_a_mapping_from_language_code_to_string() -> None:
    value = {"en": "Republic of Arcadia", "fr": "République d'Arcadie"}
    assert TypeAdapter(Text).validate_python(value) == value


@pytest.mark.parametrize("bad", [["Velk"], {"en": "Velk", "fr": ["Velk"]}, {"en": None}, {"en": 5}])
def test_a_non_string_text_value_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_text(bad)
    message = str(excinfo.value)
    if isinstance(bad, dict):
        lang = next(k for k, v in bad.items() if not isinstance(v, str))
        assert message == f"the '{lang}' text must be a string"
    else:
        assert message == "expected text: a string, or a mapping from language code to string ({en: ..., ar: ...})"


def test_a_text_mapping_with_a_key_that_is_not_a_language_code_is_refused() -> None:
    assert refusal(Text, {"English": "Ostrand Velk"}) == "'English' is not a language code such as 'en', 'ar' or 'ru'"


def test_an_empty_text_mapping_is_refused() -> None:
    assert refusal(Text, {}) == (
        "expected text: a string, or a mapping from language code to string ({en: ..., ar: ...})")


def test_text_in_picks_the_language_then_falls_back_to_the_case_language() -> None:
    name = {"en": "Republic of Arcadia", "fr": "République d'Arcadie"}
    assert text_in(name, "fr", "en") == "République d'Arcadie"
    assert text_in(name, "ar", "en") == "Republic of Arcadia"
    assert text_in({"fr": "Borduria"}, "ar", "en") == "Borduria"
    assert text_in("Ostrand Velk", "fr", "en") == "Ostrand Velk"
    assert text_in(None, "fr", "en") is None


def test_a_plain_string_counts_as_the_case_language_only() -> None:
    assert has_language("Ostrand Velk", "en", "en")
    assert not has_language("Ostrand Velk", "fr", "en")
    assert has_language({"en": "a", "fr": "b"}, "fr", "en")
    assert not has_language({"en": "a"}, "fr", "en")
