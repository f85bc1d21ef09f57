"""Translations and locale formatting: every message translated, numbers and dates by CLDR."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from casefile.checks import check_case
from casefile.i18n import Formatter, available_languages, direction, locale_dir, translator
from casefile.resolve import resolve_document
from casefile.types import PartialDate
from tests.conftest import ROOT, SEED

LANGUAGES = ["fr", "ar", "ru"]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _catalogue(lang: str):  # type: ignore[no-untyped-def]
    with open(locale_dir() / lang / "LC_MESSAGES" / "casefile.po", "rb") as handle:
        return read_po(handle, locale=lang)


def _extracted_messages() -> set[str]:
    spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {m.id for m in module.extract() if m.id}


def test_the_four_document_languages_are_available() -> None:
    assert set(available_languages()) >= {"en", "fr", "ar", "ru"}


def test_the_message_template_is_up_to_date_with_templates_code_and_catalogue() -> None:
    with open(locale_dir() / "casefile.pot", "rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert _extracted_messages() == template, "run `python scripts/messages.py update`"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    catalog = _catalogue(lang)
    messages = {m.id: m for m in catalog if m.id}
    assert set(messages) >= _extracted_messages()
    for message_id, message in messages.items():
        assert message.string, f"{lang}: untranslated {message_id!r}"
        assert not message.fuzzy, f"{lang}: fuzzy {message_id!r}"
        assert set(PLACEHOLDER.findall(message_id)) == set(PLACEHOLDER.findall(message.string)), message_id


def test_arabic_is_right_to_left_and_the_others_left_to_right() -> None:
    assert direction("ar") == "rtl"
    assert [direction(lang) for lang in ("en", "fr", "ru")] == ["ltr"] * 3


@pytest.mark.parametrize(("lang", "number", "date"), [
    ("en", "202,000", "11 December 2024"),
    ("fr", "202\u202f000", "11 décembre 2024"),
    ("ru", "202\xa0000", "11 декабря 2024\u202fг."),
    ("ar", "202,000", "11 ديسمبر 2024"),
])
def test_numbers_and_dates_follow_the_locale(lang: str, number: str, date: str) -> None:
    fmt = Formatter(lang)
    assert fmt.number(202000) == number
    assert fmt.date(PartialDate(2024, 12, 11)) == date


def test_arabic_digits_can_be_switched_to_the_arabic_numbering_system() -> None:
    assert Formatter("ar", "arab").number(202000) == "٢٠٢٬٠٠٠"


def test_partial_dates_print_only_what_is_known() -> None:
    assert Formatter("en").date(PartialDate(2011, 3)) == "March 2011"
    assert Formatter("ru").date(PartialDate(2011)) == "2011"


def test_large_approximate_figures_use_the_long_compact_form() -> None:
    assert Formatter("en").compact(13_000_000) == "13 million"
    assert Formatter("fr").compact(13_000_000) == "13 millions"
    assert Formatter("ru").compact(13_000_000) == "13 миллионов"


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "at least 202,000"), ("fr", "au moins 202\u202f000"), ("ru", "не менее 202\xa0000"),
])
def test_figures_carry_their_qualifier_in_the_document_language(lang: str, expected: str) -> None:
    data = resolve_document(check_case(SEED), lang)
    killed = next(f for f in data["figures"] if f["id"] == "killed")
    assert str(killed["value"]) == expected


def test_fixed_wording_and_the_legal_catalogue_are_translated() -> None:
    data = resolve_document(check_case(SEED), "ru")
    murder = data["crimes"][0]
    assert str(murder["title"]) == translator("ru").gettext("Murder as a crime against humanity")
    assert "Римский статут" in str(murder["provision"])
    assert "\u2066" not in str(murder["provision"])  # no isolates needed in a left-to-right document


def test_article_references_inside_arabic_keep_their_own_direction() -> None:
    data = resolve_document(check_case(SEED), "ar")
    provision = str(data["crimes"][0]["provision"])
    assert "\u20667(1)(a)\u2069" in provision


def test_text_missing_in_a_language_falls_back_and_is_marked_with_its_language(tmp_path: Path) -> None:
    data = resolve_document(check_case(SEED), "ar")
    title = str(data["sources"][0]["title"])
    assert title.startswith('<span lang="en">\u2066SNHR Calls on Russia')


def test_page_x_of_y_is_translated_into_css_content() -> None:
    data = resolve_document(check_case(SEED), "fr")
    # Y is the dossier's last page (#dossier-end in base.html): the annexes after it are not counted.
    assert str(data["css"]["page_of"]) == '"Page " counter(page) " sur " target-counter(url(#dossier-end), page)'
