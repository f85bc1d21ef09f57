"""Field types of the case format: text by language, ids, dates, numbers, hashes.

Each type is an `Annotated` pydantic type whose validator raises a plain `ValueError` with a
message an editor can act on, and whose JSON Schema says what to write.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
_LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ValueError(
            f"'{value}' is not a valid id: use lowercase letters, digits and hyphens, e.g. 'snhr-statement'")
    return value


def _language(value: Any) -> str:
    if not isinstance(value, str) or not _LANG.fullmatch(value):
        raise ValueError(f"'{value}' is not a language code such as 'en', 'ar' or 'ru'")
    return value


def parse_text(value: Any) -> str | dict[str, str]:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value:
        for lang, text in value.items():
            _language(lang)
            if not isinstance(text, str):
                raise ValueError(f"the '{lang}' text must be a string")
        return value
    raise ValueError("expected text: a string, or a mapping from language code to string ({en: ..., ar: ...})")


def _sha256(value: Any) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value.lower()):
        raise ValueError(f"'{value}' is not a sha256 (64 hexadecimal digits); `casefile hash` fills it in")
    return value.lower()


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a number, got '{value}'")
        return value
    text = str(value).strip().replace("_", "")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got '{value}' (write 202000, not '202,000')") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a number, got '{value}'")
    return int(number) if number.is_integer() and "e" not in text.lower() else number


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date that may be given to the year or month only (`2011`, `2011-03`)."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, rejecting dates that do not exist."""
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, date):
            return cls(value.year, value.month, value.day)
        text = str(value).strip()
        match = _DATE.fullmatch(text)
        if not match:
            raise ValueError(f"'{value}' is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY)")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if year < 1:
            raise ValueError(f"'{value}' is not a valid date: there is no year 0")
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"'{value}' is not a valid date: there is no month {month}")
        if day is not None and month is not None:
            last = calendar.monthrange(year, month)[1]
            if not 1 <= day <= last:
                raise ValueError(f"'{value}' is not a valid date: month {month} of {year} has {last} days")
        return cls(year, month, day)

    @property
    def is_full(self) -> bool:
        """Whether the day is known."""
        return self.day is not None

    def as_date(self) -> date:
        """The first day the partial date can mean."""
        return date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p is not None]
        return "-".join(parts)


def _full_date(value: Any) -> PartialDate:
    parsed = PartialDate.parse(value)
    if not parsed.is_full:
        raise ValueError(f"'{value}' must be a full date, YYYY-MM-DD")
    return parsed


def _datetime(value: Any) -> str:
    text = str(value).strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{value}' is not a date-time; write e.g. 2024-12-11T14:30:00Z") from None
    return text


# The loader keeps every scalar as its source text, so the schemas accept what YAML would type
# otherwise: a year alone (`born: 1965`) is an integer to YAML, a date to casefile.
_DATE_SCHEMA = {"anyOf": [{"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                          {"type": "integer", "minimum": 1000, "maximum": 9999}],
                "description": "A date: YYYY-MM-DD, or YYYY-MM / YYYY where only that is known."}
_FULL_DATE_SCHEMA = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "A date: YYYY-MM-DD."}
_SCALAR = {"type": ["string", "number", "boolean"]}
_TEXT_SCHEMA = {
    "description": "Text: a string, or a mapping from language code to string.",
    "anyOf": [_SCALAR,
              {"type": "object", "minProperties": 1,
               "propertyNames": {"pattern": r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
               "additionalProperties": _SCALAR}],
}

Slug = Annotated[str, BeforeValidator(_slug),
                 WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$"},
                                           {"type": "integer", "minimum": 0}]})]
Language = Annotated[str, BeforeValidator(_language),
                     WithJsonSchema({"type": "string", "pattern": r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"})]
Text = Annotated[str | dict[str, str], BeforeValidator(parse_text), WithJsonSchema(_TEXT_SCHEMA)]
Sha256 = Annotated[str, BeforeValidator(_sha256), WithJsonSchema({"type": "string", "pattern": "^[0-9a-fA-F]{64}$"})]
Number = Annotated[int | float, BeforeValidator(_number), WithJsonSchema({"type": ["number", "string"]})]
DateValue = Annotated[PartialDate, BeforeValidator(PartialDate.parse), PlainSerializer(str, return_type=str),
                      WithJsonSchema(_DATE_SCHEMA)]
FullDate = Annotated[PartialDate, BeforeValidator(_full_date), PlainSerializer(str, return_type=str),
                     WithJsonSchema(_FULL_DATE_SCHEMA)]
DateTimeValue = Annotated[str, BeforeValidator(_datetime),
                          WithJsonSchema({"type": "string", "description": "An ISO 8601 date-time."})]


def text_in(text: str | dict[str, str] | None, lang: str, fallback: str) -> str | None:
    """The string of a text field for `lang`, falling back to the case language."""
    if text is None or isinstance(text, str):
        return text
    if lang in text:
        return text[lang]
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()))


def has_language(text: str | dict[str, str] | None, lang: str, case_language: str) -> bool:
    """Whether a text field has its own string for `lang` (a plain string is in the case language)."""
    if text is None:
        return True
    if isinstance(text, str):
        return lang == case_language
    return lang in text
