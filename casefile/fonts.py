"""The fonts of every document, taken from PyPI font packages so output is the same on every machine.

Noto Serif sets Latin and Cyrillic, Amiri sets Arabic (the Latin font stays the same in every
edition), Source Code Pro sets hashes. WeasyPrint 70 rejects a weight range in `@font-face`,
so a variable font is declared once per weight it is used at.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

BODY_FAMILY = "Casefile Serif"
ARABIC_FAMILY = "Casefile Arabic"
MONO_FAMILY = "Casefile Mono"


@dataclass(frozen=True)
class FontFace:
    """One @font-face rule: a family name, a weight and style, and the file that provides it."""

    family: str
    weight: int
    style: str
    path: Path


def _package_file(package: str, name: str) -> Path:
    return Path(str(files(package) / "files" / name))


@functools.cache
def font_faces() -> tuple[FontFace, ...]:
    """Every face the templates use."""
    serif = _package_file("fontpkg_noto_serif", "NotoSerif[wdth,wght].ttf")
    serif_italic = _package_file("fontpkg_noto_serif", "NotoSerif-Italic[wdth,wght].ttf")
    mono = _package_file("fontpkg_source_code_pro", "SourceCodePro[wght].ttf")
    faces = [FontFace(BODY_FAMILY, w, "normal", serif) for w in (400, 600, 700)]
    faces += [FontFace(BODY_FAMILY, w, "italic", serif_italic) for w in (400, 700)]
    faces += [
        FontFace(ARABIC_FAMILY, 400, "normal", _package_file("fontpkg_amiri", "Amiri-Regular.ttf")),
        FontFace(ARABIC_FAMILY, 700, "normal", _package_file("fontpkg_amiri", "Amiri-Bold.ttf")),
        FontFace(ARABIC_FAMILY, 400, "italic", _package_file("fontpkg_amiri", "Amiri-Italic.ttf")),
        FontFace(ARABIC_FAMILY, 700, "italic", _package_file("fontpkg_amiri", "Amiri-BoldItalic.ttf")),
        FontFace(MONO_FAMILY, 400, "normal", mono),
    ]
    return tuple(faces)


def font_files() -> list[Path]:
    """The distinct font files, for the allowed fetch roots and the manifest."""
    return sorted({face.path for face in font_faces()})


def font_face_css() -> str:
    """@font-face rules for every face, with file URLs."""
    rules = []
    for face in font_faces():
        rules.append(
            "@font-face { font-family: '%s'; font-weight: %d; font-style: %s; src: url('%s'); }"
            % (face.family, face.weight, face.style, face.path.as_uri()))
    return "\n".join(rules)
