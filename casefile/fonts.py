"""The fonts of every document, taken from PyPI font packages so output is the same on every machine.

Noto Serif sets Latin and Cyrillic, Amiri sets Arabic (the Latin font stays the same in every
edition), Source Code Pro sets hashes. Noto Serif comes as a variable font; WeasyPrint 70 lays
out the glyphs of a non-default weight with the default weight's advances (bold text comes out
cramped), so each weight is a static instance, made once with fontTools' instancer and kept
in casefile's cache folder. The default weight is one too: WeasyPrint would otherwise make
that instance again, from the whole variable font, in every PDF it writes.
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
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


def cache_folder() -> Path:
    """Where casefile keeps what it derives once per machine: `CASEFILE_CACHE_DIR`, else the
    user's cache folder."""
    configured = os.environ.get("CASEFILE_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "casefile"


def private_cache_folder(*parts: str) -> Path | None:
    """A folder under `cache_folder()` that only this user can write to (made if need be), or
    None where there is none. For what casefile runs or copies into a document as it reads it
    back (compiled templates, laid-out stamp sheets): someone else's file there would be trusted."""
    folder = cache_folder().joinpath(*parts)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        status = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
        return None
    return folder


def static_instance(variable: Path, weight: int, package: str) -> Path:
    """A static instance of a variable font at `weight` (default width), made once and cached."""
    folder = cache_folder() / "fonts" / f"{package}-{version(package.replace('_', '-'))}"
    target = folder / f"{variable.stem.split('[')[0]}-{weight}.ttf"
    if target.is_file():
        return target
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    folder.mkdir(parents=True, exist_ok=True)
    # The source's own timestamps are kept, so the instance, and every PDF, is the same everywhere.
    font = TTFont(variable, recalcTimestamp=False)
    axes = {"wght": weight, **({"wdth": 100} if any(a.axisTag == "wdth" for a in font["fvar"].axes) else {})}
    font = instantiateVariableFont(font, axes)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    with os.fdopen(fd, "wb") as handle:
        font.save(handle)
    os.chmod(temp, 0o644)
    os.replace(temp, target)  # parallel builds may race to make it: the last rename wins, same bytes
    return target


def _weight(package: str, name: str, weight: int) -> Path:
    """A static instance of a variable font at `weight`, its default weight included: WeasyPrint
    would otherwise make the default instance again in every PDF it writes (0.15 s a face)."""
    return static_instance(_package_file(package, name), weight, package)


def _serif(name: str, weight: int) -> Path:
    return _weight("fontpkg_noto_serif", name, weight)


@functools.cache
def font_faces() -> tuple[FontFace, ...]:
    """Every face the templates use."""
    # Source Code Pro's default instance is ExtraLight (200): hashes are set in its Regular.
    mono = _weight("fontpkg_source_code_pro", "SourceCodePro[wght].ttf", 400)
    faces = [FontFace(BODY_FAMILY, w, "normal", _serif("NotoSerif[wdth,wght].ttf", w)) for w in (400, 600, 700)]
    faces += [FontFace(BODY_FAMILY, w, "italic", _serif("NotoSerif-Italic[wdth,wght].ttf", w)) for w in (400, 700)]
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
