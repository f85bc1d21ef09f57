"""Proof that a public edition leaks nothing: every protected string searched in the whole PDF.

Redaction happens in the data (redact.py), so a template cannot print what it never receives.
This module checks the result anyway, the way an opposing party would look for what was
removed: every stream decompressed, every string and name of every object (metadata, XMP,
bookmarks, link targets, named destinations, annotations, alt text, attachment names and
contents), the text of every page as a reader extracts it, and the raw file bytes, including
streams that no cross-reference points at. Texts are compared after Unicode compatibility
normalisation and case folding, and in every encoding a PDF stores text in (UTF-8, UTF-16BE,
PDFDocEncoding, Latin-1, XML entities), so that "Jane Doe", "JANE DOE" and "jane-doe" all
match. A protected string is reported by where it comes from in the case, never by itself:
error output ends up in CI logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import logging
import re
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casefile.checks import CheckedCase
from casefile.errors import LeakFound
from casefile.exhibits import media_type
from casefile.redact import protected_strings

log = logging.getLogger(__name__)

MIN_LINE = 24
"""Lines of a confidential exhibit this long or longer are searched for."""
MIN_SQUASHED = 8
"""Needles with this many letters and digits are also searched with spacing and punctuation ignored."""
_FORMAT_CHARS = re.compile(r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f"
                           r"\u202a-\u202e\u2060-\u206f\ufeff\ufe00-\ufe0f]")
_SPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_STREAM = re.compile(rb"stream\r?\n")
_IMAGE = re.compile(rb"/Subtype\s*/Image")
# Places in the order they are reported: what a reader sees first, the raw views of the file last.
_ORDER = (("the text of page",), ("a bookmark", "the document information", "the XMP", "an annotation",
                                  "the named destinations", "a structure element", "the structure tree"),
          ("the contents of attachment", "attachment ", "the name of attachment"),
          ("the text of the pages",), ("page ", "the content stream", "the list of"),
          ("the trailer", "object "), ("the raw file", "a compressed stream"))


@dataclass(frozen=True)
class Needle:
    """A protected string and where it comes from in the case (the only part ever printed)."""

    text: str
    origin: str


@dataclass(frozen=True)
class Leak:
    """A protected string found in a PDF, and where."""

    origin: str
    where: str


def fold(text: str) -> str:
    """Text as compared: compatibility-normalised, case-folded, invisible marks dropped, spaces collapsed."""
    text = _FORMAT_CHARS.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def squash(folded: str) -> str:
    """Folded text with everything but letters and digits removed ("Jane Doe" -> "janedoe")."""
    return _NOT_ALNUM.sub("", folded)


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value.values()]


def protected_needles(checked: CheckedCase) -> list[Needle]:
    """Every string a public edition of the case must not contain, with its origin.

    Witness names, confidential sources' titles, files, hashes and URLs (the set of
    `redact.protected_strings`), and each line of `MIN_LINE` characters or more of every
    confidential text or PDF exhibit that no public exhibit also contains.
    """
    case = checked.case
    needles: list[Needle] = []
    for i, witness in enumerate(case.witnesses):
        if witness.protected:
            needles += [Needle(v, f"witnesses[{i}].name") for v in _values(witness.name)]
    public_lines: set[str] = set()
    for i, source in enumerate(case.sources):
        if not source.confidential:
            if source.file:
                public_lines |= {fold(line) for _, line in _exhibit_lines(checked.folder / source.file)}
            continue
        needles += [Needle(v, f"sources[{i}].title") for v in _values(source.title)]
        for key in ("file", "sha256", "url", "archived_url"):
            value = getattr(source, key)
            if value:
                needles.append(Needle(value, f"sources[{i}].{key}"))
        if source.file:
            needles.append(Needle(Path(source.file).name, f"sources[{i}].file"))
    for i, source in enumerate(case.sources):
        if source.confidential and source.file:
            for number, line in _exhibit_lines(checked.folder / source.file):
                if len(line) >= MIN_LINE and fold(line) not in public_lines:
                    needles.append(Needle(line, f"line {number} of the confidential exhibit of sources[{i}]"))
    known = {fold(n.text) for n in needles}
    needles += [Needle(s, "a protected string") for s in protected_strings(case) if fold(s) not in known]
    unique: dict[str, Needle] = {}
    for needle in needles:
        if fold(needle.text):
            unique.setdefault(fold(needle.text), needle)
    return list(unique.values())


def confidential_digests(checked: CheckedCase) -> dict[str, str]:
    """The sha256 of every confidential exhibit file, mapped to its origin."""
    return {s.sha256: f"sources[{i}].file (the whole file)" for i, s in enumerate(checked.case.sources)
            if s.confidential and s.file and s.sha256}


def _exhibit_lines(path: Path) -> list[tuple[int, str]]:
    """The numbered lines of a text or PDF exhibit, whitespace collapsed, blank lines left out;
    nothing for other kinds of file."""
    try:
        kind = media_type(path)
        if kind == "text/plain":
            text = path.read_bytes().decode("utf-8", errors="replace")
        elif kind == "application/pdf":
            from pypdf import PdfReader

            text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        else:
            return []
    except Exception as e:  # an unreadable exhibit was reported by the checks already
        log.debug("cannot read %s for the leak search: %s", path, e)
        return []
    return [(number, " ".join(line.split())) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()]


class _Searcher:
    """Matches needles against the views of one PDF and collects where each was found."""

    def __init__(self, needles: Sequence[Needle], digests: dict[str, str]) -> None:
        self.needles = [(fold(n.text), n) for n in needles]
        self.squashed = [(squash(f), n) for f, n in self.needles if len(squash(f)) >= MIN_SQUASHED]
        self.digests = digests
        self.found: dict[tuple[str, str], None] = {}
        self.searched: set[bytes] = set()

    def text(self, text: str, where: str) -> None:
        if not text:
            return
        views = {fold(text)}
        if "&" in text:
            views.add(fold(html.unescape(text)))
        for view in views:
            for folded, needle in self.needles:
                if folded in view:
                    self.found[(needle.origin, where)] = None
            squashed = squash(view)
            for folded, needle in self.squashed:
                if folded in squashed:
                    self.found[(needle.origin, where)] = None

    def digest(self, data: bytes, where: str) -> None:
        """Whether `data` is a whole confidential file."""
        origin = self.digests.get(hashlib.sha256(data).hexdigest())
        if origin:
            self.found[(origin, where)] = None

    def data(self, data: bytes, where: str) -> None:
        """Bytes in every encoding a PDF keeps text in (each distinct content once)."""
        key = hashlib.sha256(data).digest()
        if not data or key in self.searched:
            return
        self.searched.add(key)
        self.digest(data, where)
        self.text(data.decode("latin-1"), where)
        if any(b > 0x7F for b in data):
            self.text(data.decode("utf-8", errors="ignore"), where)
        if b"\x00" in data or any(b > 0x7F for b in data):
            for start in (0, 1):
                self.text(data[start:].decode("utf-16-be", errors="ignore"), where)
            with contextlib.suppress(LookupError, UnicodeDecodeError):
                self.text(data.decode("pdfdoc"), where)

    def leaks(self) -> list[Leak]:
        """What was found, the places a reader sees first, the raw views of the file last."""
        found = [Leak(origin, where) for origin, where in self.found]
        return sorted(found, key=lambda leak: next((rank for rank, prefixes in enumerate(_ORDER)
                                                    if leak.where.startswith(prefixes)), len(_ORDER)))


def find_leaks(pdf: bytes, needles: Sequence[Needle], digests: dict[str, str] | None = None) -> list[Leak]:
    """Every place in `pdf` where a needle (or a whole confidential file, by hash) occurs."""
    import pikepdf

    searcher = _Searcher(needles, digests or {})
    searcher.data(pdf, "the raw file bytes")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        labels = _labels(doc)
        _walk(searcher, doc.trailer, "the trailer", depth=0)
        for obj in doc.objects:
            if not isinstance(obj, pikepdf.Object) or not obj.is_indirect:
                continue
            where = labels.get(obj.objgen) or _kind(obj, obj.objgen)
            _walk(searcher, obj, where, depth=0)
        for number, page in enumerate(doc.pages, start=1):
            for annot in page.obj.get("/Annots") or []:
                _walk(searcher, annot, f"an annotation on page {number}", depth=0)
        # Attachments are named by number: a name could be the very thing protected.
        for number, (name, spec) in enumerate(doc.attachments.items(), start=1):
            where = f"the contents of attachment {number}"
            searcher.text(str(name), f"the name of attachment {number}")
            try:
                content = spec.get_file().read_bytes()
            except Exception:  # a spec without contents (PDF/A-1, -2 drop them)
                continue
            searcher.data(content, where)
            if content.startswith(b"%PDF-"):
                for leak in find_leaks(content, [n for _, n in searcher.needles], searcher.digests):
                    searcher.found[(leak.origin, f"{where}, {leak.where}")] = None
    # Streams no object refers to (or that qpdf could not parse); those searched above are skipped.
    for data, is_image in _raw_streams(pdf):
        if is_image:
            searcher.digest(data, "an image in the raw file")
        else:
            searcher.data(data, "a compressed stream of the raw file")
    texts = _page_texts(pdf)
    for number, text in enumerate(texts, start=1):
        searcher.text(text, f"the text of page {number}")
    searcher.text(" ".join(texts), "the text of the pages (across page breaks)")
    return searcher.leaks()


def find_leaks_in_text(text: str, needles: Sequence[Needle], where: str) -> list[Leak]:
    """Every needle found in a text file written beside a public edition (its manifest)."""
    searcher = _Searcher(needles, {})
    searcher.text(text, where)
    return searcher.leaks()


def _raw_streams(pdf: bytes) -> Iterator[tuple[bytes, bool]]:
    """The decompressed contents of every Flate stream in the raw bytes, referenced or not, and
    whether its dictionary calls it an image."""
    for match in _STREAM.finditer(pdf):
        end = pdf.find(b"endstream", match.end())
        if end < 0:
            continue
        head = pdf[max(pdf.rfind(b"obj", 0, match.start()), match.start() - 4096, 0):match.start()]
        try:
            yield zlib.decompressobj().decompress(pdf[match.end():end]), bool(_IMAGE.search(head))
        except zlib.error:
            continue


def _page_texts(pdf: bytes) -> list[str]:
    """The text a reader extracts from each page."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text() or "" for page in reader.pages]


def _walk(searcher: _Searcher, obj: Any, where: str, depth: int) -> None:
    """Every string, name and stream in `obj` and its direct (not indirect) children."""
    import pikepdf

    if depth > 64:
        return
    if isinstance(obj, pikepdf.String):
        searcher.data(bytes(obj), where)
        searcher.text(str(obj), where)
    elif isinstance(obj, pikepdf.Name):
        searcher.text(str(obj)[1:], where)
    elif isinstance(obj, pikepdf.Stream):
        if obj.stream_dict.get("/Subtype") == "/Image":
            # Pixels hold no text to search; an exhibit image embedded whole is known by its hash.
            searcher.digest(obj.read_raw_bytes(), where)
        else:
            try:
                data = obj.read_bytes()
            except pikepdf.PdfError:  # a codec qpdf does not decode: search the data as stored
                data = obj.read_raw_bytes()
            searcher.data(data, where)
        _walk_children(searcher, obj.stream_dict, where, depth)
    elif isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
        _walk_children(searcher, obj, where, depth)


def _walk_children(searcher: _Searcher, obj: Any, where: str, depth: int) -> None:
    import pikepdf

    items = obj.items() if isinstance(obj, pikepdf.Dictionary) else enumerate(obj)
    for key, child in items:
        if isinstance(key, str):
            searcher.text(key[1:], where)
        if isinstance(child, pikepdf.Object) and child.is_indirect:
            continue  # searched as an object of its own
        _walk(searcher, child, where, depth + 1)


def _kind(obj: Any, objgen: tuple[int, int]) -> str:
    """"object 12 (/Font)": the object's number and type, for objects with no better label."""
    import pikepdf

    kind = ""
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        kind = str(obj.get("/Type") or obj.get("/Subtype") or obj.get("/S") or "")
    return f"object {objgen[0]}" + (f" ({kind})" if kind else "")


def _labels(doc: Any) -> dict[tuple[int, int], str]:
    """Readable names for the objects a reader sees: pages, bookmarks, metadata, attachments."""
    import pikepdf

    labels: dict[tuple[int, int], str] = {}

    def label(obj: Any, text: str) -> None:
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            labels.setdefault(obj.objgen, text)

    root = doc.Root
    label(doc.trailer.get("/Info"), "the document information (Info)")
    label(root.get("/Metadata"), "the XMP metadata")
    for number, page in enumerate(doc.pages, start=1):
        label(page.obj, f"page {number}")
        contents = page.obj.get("/Contents")
        for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
            label(stream, f"the content stream of page {number}")
        for annot in page.obj.get("/Annots") or []:
            label(annot, f"an annotation on page {number} ({annot.get('/Subtype', '')})")
    outline = root.get("/Outlines")
    if outline is not None:
        label(outline, "the bookmarks")
        stack = [outline.get("/First")]
        seen: set[tuple[int, int]] = set()
        while stack:
            item = stack.pop()
            if item is None or not isinstance(item, pikepdf.Dictionary) or item.objgen in seen:
                continue
            seen.add(item.objgen)
            label(item, "a bookmark")
            stack += [item.get("/First"), item.get("/Next")]
    names = root.get("/Names")
    if names is not None:
        label(names.get("/Dests"), "the named destinations")
        label(names.get("/EmbeddedFiles"), "the list of attachments")
    for number, spec in enumerate(doc.attachments.values(), start=1):
        label(spec.obj, f"attachment {number}")
        with contextlib.suppress(Exception):
            label(spec.obj.EF.F, f"the contents of attachment {number}")
    struct = root.get("/StructTreeRoot")
    if struct is not None:
        label(struct, "the structure tree (tags)")
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.is_indirect and obj.get("/Type") == "/StructElem":
            labels.setdefault(obj.objgen, "a structure element (tags, alt text)")
    return labels


def check_no_leaks(pdf: bytes, checked: CheckedCase, edition: str, output: Path) -> None:
    """Raise LeakFound if a public edition's bytes contain a protected string; do nothing for
    a confidential edition. Run it before the PDF is written, so a leaking file never exists.

    An older file at `output` that leaks as well is deleted, with its manifest: it must not
    stay around to be mailed. An older file that does not leak stays, as after any failed build.
    """
    if edition != "public":
        return
    needles = protected_needles(checked)
    digests = confidential_digests(checked)
    if not needles and not digests:  # nothing is protected: nothing can leak
        return
    leaks = find_leaks(pdf, needles, digests)
    if not leaks:
        return
    removed = ""
    if output.is_file():
        try:
            old_leaks = find_leaks(output.read_bytes(), needles, digests)
        except Exception:  # unreadable or not a PDF: a leak cannot be ruled out
            old_leaks = [Leak("", "")]
        if old_leaks:
            output.unlink(missing_ok=True)
            manifest_for(output).unlink(missing_ok=True)
            removed = "; the previous file, which leaks as well, was deleted"
    raise LeakFound(f"{output}: the public edition would reveal protected data, so it was not written"
                    f"{removed}: {describe(leaks)}")


def describe(leaks: Sequence[Leak], limit: int = 4) -> str:
    """"witnesses[0].name in page 3 and the XMP metadata; ...": leaks grouped by origin."""
    by_origin: dict[str, list[str]] = {}
    for leak in leaks:
        by_origin.setdefault(leak.origin, []).append(leak.where)
    parts = []
    for origin, places in by_origin.items():
        shown = ", ".join(places[:limit]) + (f" and {len(places) - limit} more place(s)" if len(places) > limit else "")
        parts.append(f"{origin} found in {shown}")
    return "; ".join(parts)


def manifest_for(pdf: Path) -> Path:
    """The manifest beside a PDF: `<name without .pdf>.manifest.json` (spec/cli.md)."""
    return pdf.with_name(pdf.name.removesuffix(".pdf") + ".manifest.json")
