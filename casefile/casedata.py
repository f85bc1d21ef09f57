"""The case data inside every dossier: embedded as a PDF/A-3 associated file, and extracted again.

A confidential edition carries the case file itself, byte for byte. A public edition carries
the redacted data (what its templates saw) written out as YAML, never the original file: the
original holds the protected names. Either way the attachment is dated with the case's date,
has the relationship `Source` and the media type `application/yaml`, so the same inputs give
the same bytes and an archive knows what the file is.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import yaml

from casefile.checks import CheckedCase
from casefile.errors import VerificationFailed
from casefile.model import Case
from casefile.pdf import EmbeddedFile
from casefile.redact import redact_case

MEDIA_TYPE = "application/yaml"
_PUBLIC_HEADER = (
    "# Public edition of case '{id}': the case data with protected witnesses' names and\n"
    "# confidential sources removed, as the public documents show it. Not the original case file.\n")


def carries_case_data(pdf_variant: str | None) -> bool:
    """Whether a PDF of this variant may embed the case data: PDF/A-1 and -2 allow no such
    file (WeasyPrint drops its contents), and PDF/X is left as the print standards want it."""
    variant = pdf_variant or "none"
    return variant == "none" or variant.startswith(("pdf/a-3", "pdf/a-4", "pdf/ua-"))


def public_case_yaml(case: Case) -> bytes:
    """The redacted case data as YAML that loads and validates as a case."""
    data = redact_case(case).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return (_PUBLIC_HEADER.format(id=case.id) + text).encode("utf-8")


def case_attachment(checked: CheckedCase, edition: str) -> EmbeddedFile:
    """The case data to embed in one edition, dated with the case's date."""
    case = checked.case
    day = datetime.combine(case.date.as_date(), datetime.min.time())
    if edition == "public":
        return EmbeddedFile(f"{case.id}.public.yaml", public_case_yaml(case), MEDIA_TYPE, day,
                            "Case data of the public edition (protected names and confidential sources removed)")
    return EmbeddedFile(checked.loaded.path.name, checked.loaded.path.read_bytes(), MEDIA_TYPE, day,
                        "The case file this confidential edition was built from")


def extract_case_data(pdf: Path | bytes) -> tuple[str, bytes]:
    """The name and bytes of the case data embedded in a dossier, or VerificationFailed."""
    import pikepdf

    display = "the PDF" if isinstance(pdf, bytes) else str(pdf)
    try:
        doc = pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    except (OSError, pikepdf.PdfError) as e:
        raise VerificationFailed(f"{display}: cannot read the PDF: {e}") from None
    with doc:
        candidates = []
        for name, spec in doc.attachments.items():
            try:
                stream = spec.get_file()
            except Exception:  # PDF/A-1 and -2 keep the file spec but drop its contents
                continue
            relationship = str(spec.obj.get("/AFRelationship", ""))
            subtype = str(stream.obj.get("/Subtype", ""))
            score = (relationship == "/Source") + (subtype == "/" + MEDIA_TYPE) + name.endswith((".yaml", ".yml"))
            if score >= 2:
                candidates.append((score, name, stream.read_bytes()))
    if not candidates:
        raise VerificationFailed(f"{display}: no case data is embedded (only PDF/A-3, PDF/A-4 and plain PDFs "
                                 "built by casefile carry it)")
    _, name, data = max(candidates, key=lambda c: c[0])
    return name, data
