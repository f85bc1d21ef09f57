"""Translations and locale formatting for the document languages.

Fixed wording lives in gettext catalogues, `casefile/locale/<lang>/LC_MESSAGES/casefile.po`,
read with Babel (no compiled .mo files to keep in step). Numbers and dates are formatted by
Babel from CLDR data, never by hand.
"""

from __future__ import annotations

import functools
import gettext
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal, format_percent

from casefile.types import PartialDate

SOURCE_LANGUAGE = "en"
# Babel switches the separators of a numbering system but leaves the digits Latin.
_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}
DOMAIN = "casefile"
# International legal style for English documents: "11 December 2024", "202,000".
_BABEL_LOCALES = {"en": "en_GB"}


def locale_dir() -> Path:
    """The folder holding the message catalogues."""
    return Path(str(files("casefile") / "locale"))


def available_languages() -> list[str]:
    """The source language and every language with a message catalogue."""
    found = sorted(p.name for p in locale_dir().iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()) \
        if locale_dir().is_dir() else []
    return [SOURCE_LANGUAGE, *[lang for lang in found if lang != SOURCE_LANGUAGE]]


@dataclass(frozen=True)
class Translator:
    """gettext for one language, from its .po catalogue (identity for English)."""

    language: str
    messages: dict[str, str | tuple[str, ...]]
    plural_expr: str = "(n != 1)"

    def gettext(self, message: str) -> str:
        """The translation of `message`, or the message itself."""
        found = self.messages.get(message)
        return found if isinstance(found, str) and found else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The translation for `n` items."""
        found = self.messages.get(singular)
        if isinstance(found, tuple) and all(found):
            index = _plural_function(self.plural_expr)(n)
            return found[min(index, len(found) - 1)]
        return singular if n == 1 else plural


@functools.cache
def _plural_function(expr: str):  # type: ignore[no-untyped-def]
    # gettext's own parser for C plural expressions: no eval of catalogue text.
    return gettext.c2py(expr)


@functools.cache
def translator(language: str) -> Translator:
    """The Translator for `language` (messages untranslated where there is no catalogue)."""
    path = locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE_LANGUAGE or not path.is_file():
        return Translator(language, {})
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=language)
    messages: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            messages[message.id[0]] = tuple(message.string)
        else:
            messages[message.id] = message.string
    return Translator(language, messages, catalog.plural_expr)


@functools.cache
def babel_locale(language: str) -> Locale:
    """The Babel locale used to format numbers and dates in `language`."""
    return Locale.parse(_BABEL_LOCALES.get(language, language))


def in_digits(text: str, numbering: str) -> str:
    """`text` with its Latin digits in the digits of `numbering` (`arab`: Arabic-Indic); any
    other numbering leaves them Latin."""
    table = _DIGITS.get(numbering)
    return text.translate(str.maketrans("0123456789", table)) if table else text


def direction(language: str) -> str:
    """'rtl' or 'ltr', from CLDR's character order for the language."""
    return "rtl" if babel_locale(language).character_order == "right-to-left" else "ltr"


@dataclass(frozen=True)
class Formatter:
    """Locale formatting for one document language."""

    language: str
    numbering: str = "default"

    @property
    def locale(self) -> Locale:
        """The Babel locale."""
        return babel_locale(self.language)

    def digits(self, text: str) -> str:
        """`text` with its Latin digits in the numbering system's own digits."""
        return in_digits(text, self.numbering)

    def number(self, value: float) -> str:
        """A number with the locale's grouping and digits."""
        return self.digits(format_decimal(value, locale=self.locale, numbering_system=self.numbering))

    def integer(self, value: int) -> str:
        """A count, e.g. a page or annex number, in the locale's digits without grouping."""
        return self.digits(format_decimal(value, format="0", locale=self.locale, numbering_system=self.numbering))

    def percent(self, value: float) -> str:
        """A fraction as a percentage."""
        return self.digits(format_percent(value, locale=self.locale, numbering_system=self.numbering))

    def compact(self, value: float) -> str:
        """A large number in CLDR's long compact form: '13 million'."""
        return self.digits(format_compact_decimal(value, format_type="long", fraction_digits=1, locale=self.locale,
                                                  numbering_system=self.numbering))

    def date(self, value: PartialDate) -> str:
        """A date in the locale's long form; month or year alone when that is all that is known."""
        if value.is_full:
            return self.digits(babel_format_date(value.as_date(), "long", locale=self.locale))
        if value.month is not None:
            return self.digits(babel_format_date(value.as_date(), "LLLL y", locale=self.locale))
        return self.integer(value.year)
