"""Offline checks of an archival (PDF/A) dossier, where no veraPDF validator can be installed.

These check what a validator checks first and what casefile's own steps could break: the
structure (`qpdf --check`), the PDF/A identification in the XMP metadata and its agreement
with the document information, the output intent, embedded fonts, no encryption, no
JavaScript or other actions PDF/A forbids, no content read from outside the file, embedded
files with a relationship, a media type and a date, the trailer ID, and, for tagged
documents, the structure tree and language. They are not a full PDF/A validation.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

_NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
       "dc": "http://purl.org/dc/elements/1.1/", "pdf": "http://ns.adobe.com/pdf/1.3/"}
_VARIANT = re.compile(r"pdf/a-(\d)([abuef])")
# Actions PDF/A forbids (ISO 19005-2, 6.5.1), and keys that start scripts or read other files.
_FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/ResetForm", "/SubmitForm", "/Sound",
                      "/Movie", "/Hide", "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView", "/GoToR"}
_FORBIDDEN_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript", "/AA": "additional actions",
                   "/Ref": "a reference XObject (content from another file)", "/OPI": "OPI (content from another file)"}


def archival_problems(pdf: Path | bytes, *, variant: str = "pdf/a-3b", tagged: bool = True,
                      qpdf: bool = True) -> list[str]:
    """Everything the offline checks find wrong with `pdf` as a `variant` file; [] when none."""
    import pikepdf

    data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
    problems = _qpdf_check(data) if qpdf else []
    match = _VARIANT.fullmatch(variant)
    tail = data[data.rfind(b"%%EOF") + 5:] if b"%%EOF" in data else b"missing"
    if tail.strip(b"\r\n"):
        problems.append("data follows the last %%EOF")
    with pikepdf.open(io.BytesIO(data)) as doc:
        if doc.is_encrypted or "/Encrypt" in doc.trailer:
            problems.append("the file is encrypted")
        if "/ID" not in doc.trailer:
            problems.append("the trailer has no /ID")
        if match:
            problems += _identification(doc, int(match.group(1)), match.group(2).upper())
            problems += _output_intent(doc)
            problems += _info_agrees_with_xmp(doc)
        problems += _fonts(doc)
        problems += _actions_and_references(doc)
        problems += _attachments(doc, int(match.group(1)) if match else 0)
        if tagged:
            problems += _tags(doc)
    return problems


def _qpdf_check(data: bytes) -> list[str]:
    """`qpdf --check` on the bytes; its findings when it reports any."""
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        return ["qpdf is not installed: the structural check was not run"]
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run([qpdf, "--check", handle.name], capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return []
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if line.strip() and "linearized" not in line and "checking" not in line.lower()]
    return [f"qpdf --check (exit {result.returncode}): {' / '.join(lines[:5])}"]


def xmp_tree(doc: Any) -> ET.Element | None:
    """The parsed XMP metadata of the document, or None."""
    stream = doc.Root.get("/Metadata")
    if stream is None:
        return None
    try:
        return ET.fromstring(stream.read_bytes())
    except ET.ParseError:
        return None


def _xmp_value(tree: ET.Element, prefix: str, name: str) -> str | None:
    """A simple XMP property, written as an attribute or as an element."""
    key = f"{{{_NS[prefix]}}}{name}"
    for description in tree.iter(f"{{{_NS['rdf']}}}Description"):
        if key in description.attrib:
            return description.attrib[key]
        element = description.find(key)
        if element is not None:
            items = [li.text or "" for li in element.iter(f"{{{_NS['rdf']}}}li")]
            return ", ".join(items) if items else (element.text or "")
    return None


def _identification(doc: Any, part: int, conformance: str) -> list[str]:
    tree = xmp_tree(doc)
    if tree is None:
        return ["no readable XMP metadata stream in the catalog"]
    problems = []
    found_part = _xmp_value(tree, "pdfaid", "part")
    if found_part != str(part):
        problems.append(f"XMP pdfaid:part is {found_part!r}, expected '{part}'")
    found = _xmp_value(tree, "pdfaid", "conformance")
    if part < 4 and (found or "").upper() != conformance:
        problems.append(f"XMP pdfaid:conformance is {found!r}, expected '{conformance}'")
    return problems


def _output_intent(doc: Any) -> list[str]:
    for intent in doc.Root.get("/OutputIntents") or []:
        if intent.get("/S") == "/GTS_PDFA1" and intent.get("/DestOutputProfile") is not None:
            return []
    return ["no PDF/A output intent (/GTS_PDFA1 with an ICC profile)"]


def _info_agrees_with_xmp(doc: Any) -> list[str]:
    """PDF/A: what the document information says, the XMP metadata must say too."""
    info = doc.trailer.get("/Info")
    tree = xmp_tree(doc)
    if info is None or tree is None:
        return []
    problems = []
    for key, prefix, name in (("/Title", "dc", "title"), ("/Author", "dc", "creator"),
                              ("/Subject", "dc", "description"), ("/Keywords", "pdf", "Keywords"),
                              ("/Producer", "pdf", "Producer")):
        if key in info and str(info[key]) != (_xmp_value(tree, prefix, name) or ""):
            problems.append(f"the document information {key} differs from the XMP {prefix}:{name}")
    return problems


def _fonts(doc: Any) -> list[str]:
    """Every font program embedded (Type 3 fonts are drawn by the file itself)."""
    import pikepdf

    problems = []
    for obj in doc.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        subtype = obj.get("/Subtype")
        if subtype == "/Type3":
            continue
        font = obj.DescendantFonts[0] if subtype == "/Type0" else obj
        descriptor = font.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            problems.append(f"font {obj.get('/BaseFont', '?')} is not embedded")
    return problems


def _actions_and_references(doc: Any) -> list[str]:
    """No JavaScript, no forbidden actions, nothing read from another file."""
    import pikepdf

    problems: dict[str, None] = {}
    for obj in doc.objects:
        dicts = [obj.stream_dict] if isinstance(obj, pikepdf.Stream) else [obj]
        if isinstance(obj, pikepdf.Stream) and ("/F" in obj.stream_dict or "/FFilter" in obj.stream_dict):
            problems[f"object {obj.objgen[0]}: a stream whose data is in another file"] = None
        stack = list(dicts)
        while stack:
            item = stack.pop()
            if isinstance(item, pikepdf.Dictionary):
                for key, value in item.items():
                    if key in _FORBIDDEN_KEYS:
                        problems[f"object {obj.objgen[0]}: {_FORBIDDEN_KEYS[key]} ({key})"] = None
                    if key == "/S" and str(value) in _FORBIDDEN_ACTIONS:
                        problems[f"object {obj.objgen[0]}: a {value} action"] = None
                    if not (isinstance(value, pikepdf.Object) and value.is_indirect):
                        stack.append(value)
            elif isinstance(item, pikepdf.Array):
                stack += [v for v in item if not (isinstance(v, pikepdf.Object) and v.is_indirect)]
    if "/JavaScript" in (doc.Root.get("/Names") or {}):
        problems["the catalog names JavaScript"] = None
    return list(problems)


def _attachments(doc: Any, part: int) -> list[str]:
    """Embedded files: each with a relationship, a media type and a date, listed in /AF."""
    import pikepdf

    problems = []
    associated = {f.objgen for f in doc.Root.get("/AF") or [] if isinstance(f, pikepdf.Object) and f.is_indirect}
    for obj in doc.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Filespec":
            continue
        name = str(obj.get("/UF") or obj.get("/F") or "?")
        if "/EF" not in obj:
            if part != 1 and part != 2:
                problems.append(f"attachment '{name}' refers to a file outside the PDF")
            continue
        if part in (1, 2) and obj.EF.F.get("/Subtype") != "/application/pdf":
            problems.append(f"attachment '{name}' is not allowed in PDF/A-{part}")
        if part >= 3 and "/AFRelationship" not in obj:
            problems.append(f"attachment '{name}' has no /AFRelationship")
        if part >= 3 and obj.objgen not in associated:
            problems.append(f"attachment '{name}' is not listed in the catalog's /AF")
        stream = obj.EF.F
        if "/Subtype" not in stream:
            problems.append(f"attachment '{name}' has no media type (/Subtype)")
        if "/ModDate" not in (stream.get("/Params") or {}):
            problems.append(f"attachment '{name}' has no modification date (/Params /ModDate)")
    return problems


def _tags(doc: Any) -> list[str]:
    problems = []
    mark = doc.Root.get("/MarkInfo")
    if mark is None or not bool(mark.get("/Marked", False)):
        problems.append("the document is not marked as tagged (/MarkInfo /Marked)")
    if "/StructTreeRoot" not in doc.Root:
        problems.append("the document has no structure tree (/StructTreeRoot)")
    if not str(doc.Root.get("/Lang", "")):
        problems.append("the document has no language (/Lang)")
    return problems
