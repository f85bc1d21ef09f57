"""Annexes: each exhibit appended to the dossier behind a cover sheet, every annex page stamped.

The template lays out the annexes itself, after the dossier's last page: a cover sheet per
annex (number, title, hash, provenance), then the typeset text of a text exhibit, the image of
an image exhibit, or one empty placeholder page (`id="annex-N-page-K"`) per page of a PDF
exhibit. One WeasyPrint layout therefore knows every annex's first and last page, and the index
prints them with `target-counter()`: no second layout, and no guessing.

`append_annexes` then works on the rendered PDF with pikepdf. It finds the annexes by their
named destinations (`annex-N`), puts the PDF exhibit's own pages in place of the placeholders
(or, for an exhibit that would break PDF/A, images of its pages, with the original attached as
an associated file), and stamps every annex page with the annex number, its page number in
the file and a running Bates number (`VAP-000001`). The stamps are laid out by WeasyPrint with
the document's fonts and placed on each page as a form XObject, so the fonts stay embedded.

Page numbering: the dossier's own pages read "Page X of Y", Y counting the dossier without its
annexes (the legal convention: annexes are numbered by their Bates stamps). Page numbers in the
file run on through the annexes, and the index's start pages are those numbers.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pikepdf
from markupsafe import Markup, escape
from pikepdf import Array, Dictionary, Name

from casefile.checks import CheckedCase
from casefile.errors import OutputError, RenderError
from casefile.exhibits import Exhibit, annex_order
from casefile.fonts import font_face_css, font_files, private_cache_folder
from casefile.i18n import Formatter, direction, translator
from casefile.model import Source

log = logging.getLogger(__name__)

MM = 72 / 25.4
# Actions PDF/A-3 forbids (ISO 19005-3, 6.6.1), JavaScript among them.
_FORBIDDEN_ACTIONS = frozenset({"/JavaScript", "/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/Hide",
                                "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView"})
_STAMP_WIDTH_MM, _STAMP_HEIGHT_MM = 110, 8
_STAMP_MARGIN_MM, _STAMP_BOTTOM_MM = 10, 3.5


# ---------------------------------------------------------------------------- PDF exhibits


@dataclass(frozen=True)
class PdfInspection:
    """What an exhibit PDF holds: its page count and why it cannot be appended as it is."""

    pages: int
    encrypted: bool = False
    actions: tuple[str, ...] = ()
    """Actions PDF/A forbids (JavaScript, Launch, ...), by name without the slash."""
    unembedded_fonts: tuple[str, ...] = ()

    @property
    def as_is(self) -> bool:
        """Whether its pages can be appended unchanged."""
        return not (self.encrypted or self.actions or self.unembedded_fonts)


def inspect_pdf(path: Path) -> PdfInspection:
    """Open an exhibit PDF and look for what would break the dossier's PDF/A conformance."""
    stat = os.stat(path)
    return _inspect(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _inspect(path: str, size: int, mtime: int) -> PdfInspection:
    # Size and time are in the key so that an edited file is inspected again.
    with pikepdf.open(path) as pdf:
        actions: set[str] = set()
        for obj in pdf.objects:
            for item in _walk_direct(obj):
                action = item.get("/S")
                if isinstance(action, Name) and str(action) in _FORBIDDEN_ACTIONS:
                    actions.add(str(action)[1:])
                if "/JS" in item:
                    actions.add("JavaScript")
        names = pdf.Root.get("/Names")
        if isinstance(names, Dictionary) and "/JavaScript" in names:
            actions.add("JavaScript")
        fonts: set[str] = set()
        for page in pdf.pages:
            fonts |= _unembedded_fonts(page.obj)
        return PdfInspection(len(pdf.pages), pdf.is_encrypted, tuple(sorted(actions)), tuple(sorted(fonts)))


def pdf_problem(path: Path, relative: str) -> str | None:
    """Why an exhibit PDF cannot be annexed at all (damaged, locked by a password), or None."""
    try:
        inspection = inspect_pdf(path)
    except pikepdf.PasswordError:
        return f"'{relative}' is locked with a password; annex an unlocked copy"
    except (pikepdf.PdfError, OSError, RecursionError) as e:
        return f"'{relative}' cannot be read as a PDF ({' '.join(str(e).split())[:200]})"
    if inspection.pages == 0:
        return f"'{relative}' has no pages"
    return None


def _walk_direct(obj: Any) -> Iterator[Dictionary]:
    """Every dictionary in `obj` and its direct children (indirect ones are visited on their own)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Stream):
            item = item.stream_dict
        if isinstance(item, Dictionary):
            yield item
            stack += [v for _, v in item.items() if isinstance(v, (Dictionary, Array)) and not v.is_indirect]
        elif isinstance(item, Array):
            stack += [v for v in item if isinstance(v, (Dictionary, Array)) and not v.is_indirect]


def _unembedded_fonts(page: Dictionary) -> set[str]:
    """Base names of the fonts a page uses, through forms and appearances, whose program is missing."""
    missing: set[str] = set()
    seen: set[tuple[int, int]] = set()
    resources = [_inherited(page, "/Resources")]
    for annot in page.get("/Annots") or []:
        appearance = annot.get("/AP") if isinstance(annot, Dictionary) else None
        for stream in _appearance_streams(appearance):
            resources.append(stream.get("/Resources"))
    while resources:
        res = resources.pop()
        if not isinstance(res, Dictionary):
            continue
        if res.is_indirect:
            if res.objgen in seen:
                continue
            seen.add(res.objgen)
        for font in (res.get("/Font") or Dictionary()).values():
            if isinstance(font, Dictionary) and not _font_embedded(font):
                missing.add(str(font.get("/BaseFont", "unnamed font")).lstrip("/"))
            if isinstance(font, Dictionary) and font.get("/Subtype") == Name.Type3:
                resources.append(font.get("/Resources"))
        for xobject in (res.get("/XObject") or Dictionary()).values():
            form = isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == Name.Form
            if form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                resources.append(xobject.get("/Resources"))
    return missing


def _appearance_streams(appearance: Any) -> Iterator[pikepdf.Stream]:
    if not isinstance(appearance, Dictionary):
        return
    for value in appearance.values():
        if isinstance(value, pikepdf.Stream):
            yield value
        elif isinstance(value, Dictionary):
            yield from (v for v in value.values() if isinstance(v, pikepdf.Stream))


def _font_embedded(font: Dictionary) -> bool:
    if font.get("/Subtype") == Name.Type3:
        return True
    if font.get("/Subtype") == Name.Type0:
        descendants = font.get("/DescendantFonts")
        font = descendants[0] if isinstance(descendants, Array) and len(descendants) else Dictionary()
    descriptor = font.get("/FontDescriptor")
    programs = ("/FontFile", "/FontFile2", "/FontFile3")
    return isinstance(descriptor, Dictionary) and any(k in descriptor for k in programs)


def _inherited(page: Dictionary, key: str) -> Any:
    """A page attribute, looked up through the page tree where the page does not set it."""
    node: Any = page
    for _ in range(64):
        if not isinstance(node, Dictionary):
            return None
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


# ---------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class AnnexPlan:
    """How one exhibit is annexed to a document."""

    exhibit: Exhibit
    source: Source
    mode: str
    """'pages' (PDF appended as is), 'raster' (PDF pages as images), 'image', 'text' or 'withheld'."""
    pages: int = 0
    """For 'pages' and 'raster': the number of placeholder pages the template lays out."""
    reasons: tuple[str, ...] = ()
    """For 'raster': why the PDF is not appended as is ('encrypted', 'actions', 'fonts')."""
    inspection: PdfInspection | None = None

    @property
    def anchor(self) -> str:
        """The id of the annex's cover sheet, and the named destination append_annexes looks for."""
        return f"annex-{self.exhibit.number}"

    def placeholder(self, page: int) -> str:
        """The id of the placeholder for the exhibit's page `page` (1-based)."""
        return f"annex-{self.exhibit.number}-page-{page}"

    @property
    def attachment_name(self) -> str:
        """The name of the original file attached to the dossier when its pages are rasterised."""
        return f"annex-{self.exhibit.number}-{self.exhibit.path.name}"


def annex_plans(checked: CheckedCase, edition: str) -> list[AnnexPlan]:
    """How each exhibit of the case is annexed in an edition (a confidential one is withheld
    from a public edition: it keeps its number and cover sheet, and nothing else)."""
    sources = {s.id: s for s in checked.case.sources}
    plans = []
    for exhibit in annex_order(checked, str):
        source = sources[exhibit.source_id]
        if edition == "public" and source.confidential:
            plans.append(AnnexPlan(exhibit, source, "withheld"))
        elif exhibit.media_type == "application/pdf":
            inspection = inspect_pdf(exhibit.path)
            reasons = tuple(r for r, present in (("encrypted", inspection.encrypted), ("actions", inspection.actions),
                                                 ("fonts", inspection.unembedded_fonts)) if present)
            plans.append(AnnexPlan(exhibit, source, "raster" if reasons else "pages", inspection.pages, reasons,
                                   inspection))
        elif exhibit.media_type.startswith("image/"):
            plans.append(AnnexPlan(exhibit, source, "image"))
        else:
            plans.append(AnnexPlan(exhibit, source, "text"))
    return plans


def bates_prefix(checked: CheckedCase) -> str:
    """The prefix of the running exhibit page numbers: `bates_prefix`, else the requesting party's id."""
    return checked.case.bates_prefix or checked.case.request.from_.upper()


def bates_number(prefix: str, number: int) -> str:
    """`PREFIX-000123`."""
    return f"{prefix}-{number:06d}"


def text_direction(text: str) -> str:
    """'rtl' or 'ltr': the direction of the first strong character of a text exhibit."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


# ---------------------------------------------------------------------------- the PDF


@dataclass(frozen=True)
class AnnexedPages:
    """Where the annexes landed in the final file, for the caller and the tests."""

    first_page: int
    """The 1-based number of the first annex page (the first cover sheet)."""
    starts: dict[int, int]
    """For each annex number, its first page (1-based)."""
    bates: dict[int, tuple[str, str]]
    """For each annex number, its first and last Bates number."""


def append_annexes(pdf: bytes, checked: CheckedCase, *, lang: str, edition: str, numbering: str = "default",
                   allow_warnings: bool = False, epoch: int | None = None,
                   report: Callable[[AnnexedPages], None] | None = None) -> bytes:
    """Put each exhibit's pages in place of its placeholders and stamp every annex page.

    A document whose template lays out no annexes (the brief) comes back unchanged.
    """
    document = pikepdf.open(io.BytesIO(pdf))
    destinations = _destinations(document)
    plans = [p for p in annex_plans(checked, edition) if p.anchor in destinations]
    if not plans:
        return pdf
    index_of = {page.objgen: i for i, page in enumerate(document.pages)}
    for plan in plans:
        _place_exhibit(document, plan, destinations, index_of, epoch)
    starts = {p.exhibit.number: index_of[destinations[p.anchor]] for p in plans}
    first = min(starts.values())
    prefix = bates_prefix(checked)
    annex_of_page = _annex_of_pages(starts, len(document.pages))
    labels = _annex_label(lang, numbering)
    fmt = Formatter(lang, numbering)
    stamps = [(labels(annex_of_page[i]), fmt.integer(i + 1), bates_number(prefix, i - first + 1))
              for i in range(first, len(document.pages))]
    forms = _stamp_forms(document, stamps, lang, allow_warnings, epoch)
    for i, form in zip(range(first, len(document.pages)), forms, strict=True):
        _stamp(document, document.pages[i], form, direction(lang))
    if report:
        ends = {n: max(i for i, a in annex_of_page.items() if a == n) for n in starts}
        report(AnnexedPages(first + 1, {n: i + 1 for n, i in starts.items()},
                            {n: (bates_number(prefix, starts[n] - first + 1), bates_number(prefix, ends[n] - first + 1))
                             for n in starts}))
    out = io.BytesIO()
    document.save(out, deterministic_id=True, compress_streams=True,
                  object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def _annex_label(lang: str, numbering: str) -> Callable[[int], str]:
    tr, fmt = translator(lang), Formatter(lang, numbering)
    return lambda number: tr.gettext("Annex {number}").format(number=fmt.integer(number))


def _destinations(document: pikepdf.Pdf) -> dict[str, tuple[int, int]]:
    """Named destinations: name -> the objgen of the page it points to."""
    names = document.Root.get("/Names")
    if not isinstance(names, Dictionary) or "/Dests" not in names:
        return {}
    found = {}
    for name, value in pikepdf.NameTree(names.Dests).items():
        target = value.get("/D") if isinstance(value, Dictionary) else value
        if isinstance(target, Array) and len(target) and isinstance(target[0], Dictionary):
            found[str(name)] = target[0].objgen
    return found


def _annex_of_pages(starts: dict[int, int], page_count: int) -> dict[int, int]:
    """For each page index from the first annex on, the annex number it belongs to."""
    ordered = sorted(starts.items(), key=lambda item: item[1])
    owner = {}
    for k, (number, start) in enumerate(ordered):
        end = ordered[k + 1][1] if k + 1 < len(ordered) else page_count
        for i in range(start, end):
            owner[i] = number
    return owner


def _place_exhibit(document: pikepdf.Pdf, plan: AnnexPlan, destinations: dict[str, tuple[int, int]],
                   index_of: dict[tuple[int, int], int], epoch: int | None) -> None:
    if plan.mode not in ("pages", "raster"):
        return
    slots = [index_of.get(destinations.get(plan.placeholder(k), (-1, -1))) for k in range(1, plan.pages + 1)]
    if any(slot is None for slot in slots) or len(set(slots)) != len(slots):
        raise RenderError(f"Annex {plan.exhibit.number}: the template must lay out one placeholder page per page of "
                          f"'{plan.source.file}' (ids {plan.placeholder(1)} to {plan.placeholder(plan.pages)})")
    label = f"Annex {plan.exhibit.number} ('{plan.source.file}')"
    if plan.mode == "pages":
        with pikepdf.open(plan.exhibit.path) as exhibit:
            for k, slot in enumerate(slots):
                _replace_page(document, slot, _clean_foreign_page(exhibit, exhibit.pages[k]))
    else:
        from casefile.raster import rasterise

        images = rasterise(plan.exhibit.path, label)
        if len(images) != len(slots):
            raise RenderError(f"{label}: {len(images)} pages rendered, {len(slots)} expected")
        for slot, image in zip(slots, images, strict=True):
            _replace_page(document, slot, _image_page(document, image.width, image.height, image.png))
        _attach_original(document, plan, epoch)


def _replace_page(document: pikepdf.Pdf, slot: int, page: Any) -> None:
    """Put `page` at index `slot`, and point the destinations of the old page at the new one."""
    old = document.pages[slot].obj
    document.pages.insert(slot, page)
    new = document.pages[slot].obj
    del document.pages[slot + 1]
    names = document.Root.get("/Names")
    if isinstance(names, Dictionary) and "/Dests" in names:
        tree = pikepdf.NameTree(names.Dests)
        for _, value in list(tree.items()):
            target = value.get("/D") if isinstance(value, Dictionary) else value
            if isinstance(target, Array) and len(target) and target[0].objgen == old.objgen:
                target[0] = new


def _clean_foreign_page(exhibit: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Page:
    """The exhibit page with its inherited attributes made its own, and without what cannot
    travel: its place in the exhibit's structure tree, form fields and article threads."""
    obj = page.obj
    for key in ("/Resources", "/MediaBox", "/CropBox", "/Rotate"):
        if key not in obj:
            value = _inherited(obj, key)
            if value is not None:
                obj[key] = value
    for key in ("/StructParents", "/B", "/AA", "/Tabs"):
        if key in obj:
            del obj[key]
    annots = obj.get("/Annots")
    if isinstance(annots, Array):
        kept = [a for a in annots if isinstance(a, Dictionary) and a.get("/Subtype") not in (Name.Widget, Name.Popup)]
        for annot in kept:
            for key in ("/StructParent", "/P", "/Parent", "/Popup"):
                if key in annot:
                    del annot[key]
        obj.Annots = Array(kept)
    return page


def _image_page(document: pikepdf.Pdf, width: float, height: float, png: bytes) -> pikepdf.Page:
    """A page of `width` x `height` points showing one PNG image (flate-encoded RGB)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        pixels, size = rgb.tobytes(), rgb.size
    xobject = pikepdf.Stream(document, zlib.compress(pixels, 6))
    xobject.Type, xobject.Subtype = Name.XObject, Name.Image
    xobject.Width, xobject.Height = size
    xobject.ColorSpace, xobject.BitsPerComponent, xobject.Filter = Name.DeviceRGB, 8, Name.FlateDecode
    content = f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Exhibit Do Q\n".encode()
    page = Dictionary(Type=Name.Page, MediaBox=Array([0, 0, round(width, 4), round(height, 4)]),
                      Resources=Dictionary(XObject=Dictionary(Exhibit=xobject)),
                      Contents=document.make_stream(content))
    return pikepdf.Page(document.make_indirect(page))


def _attach_original(document: pikepdf.Pdf, plan: AnnexPlan, epoch: int | None) -> None:
    """Attach the original exhibit as an associated file of the dossier (/AF, relationship Source)."""
    from datetime import UTC, datetime

    stamp = ""
    if epoch is not None:
        stamp = "D:" + datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y%m%d%H%M%S") + "Z"
    description = f"Annex {plan.exhibit.number}: original of a PDF annexed as page images (sha256 {plan.source.sha256})"
    spec = pikepdf.AttachedFileSpec(document, plan.exhibit.path.read_bytes(), description=description,
                                    filename=plan.attachment_name, mime_type="application/pdf",
                                    creation_date=stamp, mod_date=stamp, relationship=Name.Source)
    document.attachments[plan.attachment_name] = spec
    # PDF/A-3 wants every embedded file listed in the catalog's /AF (pikepdf may have done it).
    filespec = document.attachments[plan.attachment_name].obj
    files = document.Root.get("/AF")
    if not isinstance(files, Array):
        files = document.Root.AF = Array()
    if filespec.objgen not in {f.objgen for f in files}:
        files.append(filespec)


# ---------------------------------------------------------------------------- stamps


def stamp_html(stamps: list[tuple[str, str, str]], lang: str) -> str:
    """One small page per stamp: the annex label, the page number in the file, the Bates number."""
    tr = translator(lang)
    dir_ = direction(lang)
    align = "flex-start" if dir_ == "rtl" else "flex-end"
    pages = "".join(
        Markup('<div class="stamp"><span class="box"><b>{}</b><span class="sep">·</span>{}'
               '<span class="sep">·</span><span class="bates">{}</span></span></div>')
        .format(label, tr.gettext("p. {page}").format(page=page), f"\u2066{bates}\u2069" if dir_ == "rtl" else bates)
        for label, page, bates in stamps)
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}" dir="{dir_}"><head><meta charset="utf-8"><style>
@page {{ size: {_STAMP_WIDTH_MM}mm {_STAMP_HEIGHT_MM}mm; margin: 0; }}
html {{ font-family: "Casefile Serif", "Casefile Arabic", serif; font-size: 7.5pt; line-height: 1.2; color: #111; }}
body {{ margin: 0; }}
.stamp {{ height: {_STAMP_HEIGHT_MM}mm; display: flex; justify-content: {align}; align-items: flex-end;
          break-after: page; }}
.box {{ background: #fff; border: 0.6pt solid #111; padding: 0.7mm 2.2mm 0.5mm; white-space: nowrap; }}
.sep {{ color: #777; padding: 0 1.4mm; }}
.bates {{ font-family: "Casefile Mono", monospace; font-weight: 600; letter-spacing: 0.02em; }}
</style></head><body>{pages}</body></html>"""


def _stamp_forms(document: pikepdf.Pdf, stamps: list[tuple[str, str, str]], lang: str, allow_warnings: bool,
                 epoch: int | None) -> list[pikepdf.Object]:
    """The stamps laid out by WeasyPrint, as form XObjects copied into `document`."""
    import dataclasses

    from casefile.limits import RenderLimits
    from casefile.pdf import FetchPolicy, render_pdf, write_atomically

    html = stamp_html(stamps, lang)
    kept = _kept_stamp_sheet(html, epoch)
    source = _stamp_sheet(kept, len(stamps)) if kept is not None else None
    if source is None:
        roots = sorted({f.parent for f in font_files()})
        # One stamp page per annex page: the page cap guards template layout, not the exhibits' length.
        limits = RenderLimits.from_env()
        limits = dataclasses.replace(limits, max_pages=max(limits.max_pages, len(stamps)))
        rendered = render_pdf(html, base_url=roots[0].as_uri() + "/", policy=FetchPolicy(roots),
                              allow_warnings=allow_warnings, source_date_epoch=epoch, limits=limits)
        source = pikepdf.open(io.BytesIO(rendered))
        if len(source.pages) != len(stamps):
            raise RenderError(f"the annex stamps took {len(source.pages)} pages for {len(stamps)} stamps")
        if kept is not None:
            with contextlib.suppress(OutputError):  # a cache that cannot be written costs time only
                write_atomically(kept, rendered)
    return [document.copy_foreign(page.as_form_xobject()) for page in source.pages]


def _kept_stamp_sheet(html: str, epoch: int | None) -> Path | None:
    """Where the laid-out stamp sheet for `html` is kept: a rebuild mostly stamps the same pages,
    and laying them out costs about 0.1 s a document. The key covers all that makes the sheet:
    its HTML, the date, the fonts, and the renderer's versions and fixes. The folder is one only
    this user can write to, since its pages are copied into filing copies."""
    from casefile import __version__, renderer_fixes

    folder = private_cache_folder("stamps")
    if folder is None:
        return None
    makers = [__version__, version("weasyprint"), version("pydyf"), str(renderer_fixes.wanted()), str(epoch),
              font_face_css(), html]
    return folder / f"{hashlib.sha256(chr(0).join(makers).encode()).hexdigest()}.pdf"


def _stamp_sheet(kept: Path, stamps: int) -> pikepdf.Pdf | None:
    """The stamp sheet kept at `kept`, if there is one with a page for each of `stamps`."""
    try:
        sheet = pikepdf.open(io.BytesIO(kept.read_bytes()))
    except (OSError, pikepdf.PdfError):
        return None
    return sheet if len(sheet.pages) == stamps else None


def _stamp(document: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Object, dir_: str) -> None:
    """Place a stamp form at the bottom corner of `page` as displayed (rotation and crop box allowed for)."""
    box = [float(v) for v in (_inherited(page.obj, "/CropBox") or _inherited(page.obj, "/MediaBox"))]
    x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
    rotate = int(_inherited(page.obj, "/Rotate") or 0) % 360
    shown_width = (x1 - x0) if rotate in (0, 180) else (y1 - y0)
    width = _STAMP_WIDTH_MM * MM
    dx = _STAMP_MARGIN_MM * MM if dir_ == "rtl" else shown_width - _STAMP_MARGIN_MM * MM - width
    dy = _STAMP_BOTTOM_MM * MM
    # (a b c d e f) maps the stamp's upright axes onto the page's user space for each rotation.
    matrix = {0: (1, 0, 0, 1, x0 + dx, y0 + dy), 90: (0, 1, -1, 0, x1 - dy, y0 + dx),
              180: (-1, 0, 0, -1, x1 - dx, y1 - dy), 270: (0, -1, 1, 0, x0 + dy, y1 - dx)}[rotate]
    if "/Resources" not in page.obj:
        inherited = _inherited(page.obj, "/Resources")
        page.obj.Resources = Dictionary(dict(inherited.items())) if isinstance(inherited, Dictionary) else Dictionary()
    xobjects = page.obj.Resources.get("/XObject")
    if not isinstance(xobjects, Dictionary):
        xobjects = page.obj.Resources.XObject = Dictionary()
    # A fixed name (pikepdf's add_resource makes a random one), so that builds are byte for byte the same.
    name = next(f"/CasefileStamp{n}" for n in range(len(xobjects) + 1) if f"/CasefileStamp{n}" not in xobjects)
    xobjects[name] = form
    page.contents_add(document.make_stream(b"q\n"), prepend=True)
    numbers = " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in matrix)
    page.contents_add(document.make_stream(f"Q\nq {numbers} cm {name} Do Q\n".encode()))
