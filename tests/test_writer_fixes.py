"""renderer_fixes.py's fixes to the PDF writer: a tagged PDF/A file, byte for byte as pydyf
writes it, made without serializing and compressing every object twice."""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pikepdf
import pytest

from casefile import renderer_fixes

pytestmark = pytest.mark.pdf

_ROWS = "".join(f"<tr><td>Row {n}</td><td>{n * 7} fictional events</td></tr>" for n in range(40))
_SECTIONS = "".join(
    f'<h2 id="s{n}">Section {n}</h2><p>Ostrand Velk allegedly did nothing at all in section {n}'
    f'<span class="note">A fictional source, page {n}.</span>; see <a href="#s{(n + 1) % 6}">the next one</a>.</p>'
    f"<ul><li>first point</li><li>second point</li></ul>" for n in range(6))
HTML = (f'<html lang="en"><head><title>Writer test</title><style>@page {{ size: A6 }} '
        f'.note {{ float: footnote }}</style></head><body><h1>Writer test</h1>{_SECTIONS}'
        f"<table><thead><tr><th>Row</th><th>Count</th></tr></thead><tbody>{_ROWS}</tbody></table></body></html>")


@pytest.fixture(scope="module")
def document() -> Any:
    from weasyprint import HTML as Html

    from casefile.pdf import prepare_layout

    prepare_layout()
    return Html(string=HTML).render(pdf_variant="pdf/a-3b", pdf_tags=True)


@contextlib.contextmanager
def _as_released() -> Iterator[None]:
    """WeasyPrint and pydyf as released while inside; casefile's fixes again after."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(renderer_fixes.AS_RELEASED_ENV, "1")
        renderer_fixes.apply()
        try:
            yield
        finally:
            env.delenv(renderer_fixes.AS_RELEASED_ENV)
            renderer_fixes.apply()


@pytest.fixture
def writer_as_released() -> Iterator[None]:
    with _as_released():
        yield


def _write(document: Any) -> bytes:
    from weasyprint import Attachment

    attachment = Attachment(string="casefile: 1\n", name="case.yaml", relationship="Source",
                            created=datetime(2025, 1, 15), modified=datetime(2025, 1, 15))
    return bytes(document.write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True, attachments=[attachment]))


def _compressions(document: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, int]:
    calls = []
    released = zlib.compressobj

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return released(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(zlib, "compressobj", counting)
        pdf = _write(document)
    return pdf, len(calls)


def _structure_elements(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return sum(isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/StructElem" for o in doc.objects)


def test_the_fixed_writer_writes_the_very_bytes_of_the_released_one(document: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fixed, fixed_compressions = _compressions(document, monkeypatch)
    assert _structure_elements(fixed) > 100 and len(document.pages) > 5  # a tagged, multi-page file
    with _as_released():
        released, released_compressions = _compressions(document, monkeypatch)
    assert fixed == released
    # pydyf hashed the file's objects for the PDF/A identifier by making each one again.
    assert fixed_compressions < released_compressions


def test_each_stream_of_the_file_is_compressed_once(document: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf, compressions = _compressions(document, monkeypatch)
    assert compressions == pdf.count(b"/FlateDecode")


def test_the_page_references_are_kept_until_a_page_is_added() -> None:
    import pydyf

    renderer_fixes.apply()
    pdf = pydyf.PDF()
    first = pydyf.Dictionary({"Type": "/Page"})
    pdf.add_page(first)
    kept = pdf.page_references
    assert kept == (first.reference,) and pdf.page_references is kept
    second = pydyf.Dictionary({"Type": "/Page"})
    pdf.add_page(second)
    assert pdf.page_references == (first.reference, second.reference)


def test_weasyprint_as_released_writes_with_pydyf_as_released(writer_as_released: None) -> None:
    import pydyf

    pdf = pydyf.PDF()
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert pdf.page_references is not pdf.page_references  # made anew at each question
    assert pydyf.PDF.write.__module__ == "pydyf"
