"""Keep the message catalogues in step with the templates, the code and the legal catalogue.

    python scripts/messages.py extract   # rewrite casefile/locale/casefile.pot
    python scripts/messages.py update    # merge the template into every <lang>.po

A translator then fills in the msgstr lines of `casefile/locale/<lang>/LC_MESSAGES/casefile.po`;
no Python or template changes are needed to add a language (see README, "Adding a language").
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "casefile" / "locale"
TEMPLATE = LOCALE / "casefile.pot"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def _messages() -> Iterator[tuple[str, str, int]]:
    """(message, file, line) for every translatable string."""
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for line, message, *_ in extract_from_file(babel_extract, str(path), keywords=KEYWORDS,
                                                    options={"extensions": "jinja2.ext.i18n",
                                                             "trim_blocks": "True", "lstrip_blocks": "True"}):
            yield message, str(path.relative_to(ROOT)), line
    for path in sorted((ROOT / "casefile").glob("*.py")):
        for line, message, *_ in extract_from_file("python", str(path), keywords=KEYWORDS):
            yield message, str(path.relative_to(ROOT)), line
    sys.path.insert(0, str(ROOT))
    from casefile.catalogue import catalogue_messages

    for message in catalogue_messages():
        yield message, "casefile/data/catalogue.yaml", 0


def extract() -> Catalog:
    """A catalogue of every message, in a stable order."""
    catalog = Catalog(project="casefile", domain="casefile", charset="utf-8")
    for message, file, line in _messages():
        if message and message != "{value}":
            catalog.add(message, locations=[(file, line)] if line else [(file, None)])
    return catalog


def write_template(catalog: Catalog) -> None:
    """Write the .pot file without a timestamp, so it only changes when messages do."""
    with open(TEMPLATE, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)


def update(catalog: Catalog) -> None:
    """Merge new messages into every language's .po file, keeping existing translations."""
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/casefile.po")):
        with open(po, "rb") as handle:
            existing = read_po(handle)
        existing.update(catalog, no_fuzzy_matching=True)
        with open(po, "wb") as handle:
            write_po(handle, existing, width=100, ignore_obsolete=True, include_lineno=False)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "extract"
    cat = extract()
    write_template(cat)
    if command == "update":
        update(cat)
    print(f"{len(cat)} messages", file=sys.stderr)
