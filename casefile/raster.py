"""Rasterise the pages of an exhibit PDF that cannot be annexed as it is.

An exhibit that is encrypted, carries JavaScript or leaves its fonts out would break the
dossier's PDF/A conformance, so its pages are annexed as images instead (the original travels
as an associated file). Rendering uses PDFium through pypdfium2, a PyPI wheel: the same
renderer, with its own built-in substitutes for fonts that are not embedded, on every machine,
so the pixels do not depend on the system's poppler or fonts. PDFium runs in a child process
(`python -m casefile.raster IN OUT DPI`) with a time limit: a hostile exhibit that crashes or
hangs the renderer fails the build with a message instead of taking casefile down with it.
PDFium in these wheels has no JavaScript engine, so nothing in the exhibit is executed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from casefile.errors import RenderError

DPI = 150
TIMEOUT_SECONDS = 300
MAX_PAGES = 2000


@dataclass(frozen=True)
class RasterPage:
    """One rendered page: its size in points (as displayed, rotation applied) and its pixels as PNG."""

    width: float
    height: float
    png: bytes


def rasterise(path: Path, label: str, dpi: int = DPI) -> list[RasterPage]:
    """Render every page of the PDF at `path` to PNG in a child process; RenderError if it fails."""
    with tempfile.TemporaryDirectory(prefix="casefile-raster-") as folder:
        try:
            done = subprocess.run([sys.executable, "-m", "casefile.raster", str(path), folder, str(dpi)],
                                  capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise RenderError(f"{label}: rendering its pages took longer than {TIMEOUT_SECONDS} s") from None
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise RenderError(f"{label}: its pages could not be rendered ({reason})")
        sizes = json.loads((Path(folder) / "pages.json").read_text(encoding="utf-8"))
        return [RasterPage(w, h, (Path(folder) / f"page-{i:05d}.png").read_bytes())
                for i, (w, h) in enumerate(sizes, start=1)]


def _render(source: str, folder: str, dpi: int) -> None:
    """The child process: write page-00001.png ... and pages.json (sizes in points) into `folder`."""
    import pypdfium2

    document = pypdfium2.PdfDocument(source)
    if len(document) > MAX_PAGES:
        raise SystemExit(f"more than {MAX_PAGES} pages")
    sizes = []
    for index in range(len(document)):
        page = document[index]
        image = page.render(scale=dpi / 72, fill_color=(255, 255, 255, 255), draw_annots=True).to_pil()
        image.convert("RGB").save(Path(folder) / f"page-{index + 1:05d}.png", optimize=False)
        sizes.append((image.width * 72 / dpi, image.height * 72 / dpi))
    (Path(folder) / "pages.json").write_text(json.dumps(sizes), encoding="utf-8")


if __name__ == "__main__":
    _render(sys.argv[1], sys.argv[2], int(sys.argv[3]))
