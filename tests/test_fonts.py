"""The packaged fonts as the templates use them."""

from __future__ import annotations

from fontTools.ttLib import TTFont

from casefile.fonts import font_faces


def test_no_face_is_a_variable_font_so_writing_a_pdf_never_instantiates_one() -> None:
    # WeasyPrint 70 turns every variable font it embeds into a static one while writing,
    # from the whole font, in every PDF: 0.15 s a face.
    variable = [face.path.name for face in font_faces() if "fvar" in TTFont(face.path, lazy=True)]
    assert variable == []


def test_the_regular_serif_instance_keeps_the_variable_fonts_default_advances() -> None:
    from importlib.resources import files

    regular = next(f for f in font_faces() if f.family == "Casefile Serif" and f.weight == 400 and f.style == "normal")
    variable = TTFont(str(files("fontpkg_noto_serif") / "files" / "NotoSerif[wdth,wght].ttf"), lazy=True)
    static = TTFont(regular.path, lazy=True)
    for glyph in ("A", "a", "W", "zero", "period"):
        assert static["hmtx"][glyph] == variable["hmtx"][glyph]
