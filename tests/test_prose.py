"""Tests for casefile.prose: the small markup of narrative fields and its HTML."""

from __future__ import annotations

import pytest
from markupsafe import Markup, escape

from casefile.prose import (
    CITATION_SEPARATOR,
    BulletList,
    Paragraph,
    Reference,
    Styled,
    Text,
    inline_html,
    parse_inline,
    parse_prose,
    plain_text,
    references,
    to_html,
)


class Refs:
    """A ReferenceRenderer that shows what it was asked for, as the resolve stage would supply one."""

    def cite(self, source_id: str, pinpoint: str | None) -> Markup:
        label = f"{source_id}|{pinpoint}" if pinpoint else source_id
        return Markup("<sup>{}</sup>").format(label)

    def figure(self, figure_id: str) -> Markup:
        return Markup("<span class=figure>{}</span>").format(figure_id)

    def name(self, ref_id: str) -> Markup:
        return Markup("<span class=name>{}</span>").format({"velk": "Ostrand Velk"}.get(ref_id, ref_id))


def html(text: str) -> str:
    """The HTML of a one-paragraph prose string."""
    (block,) = parse_prose(text)
    assert isinstance(block, Paragraph)
    return str(inline_html(block.inlines, Refs()))


# --- Blocks --------------------------------------------------------------------------------------


def test_a_blank_line_starts_a_new_paragraph_and_single_newlines_join_lines() -> None:
    assert parse_prose("Ostrand Velk held office.\n\nHe left\nin 2023.") == [
        Paragraph((Text("Ostrand Velk held office."),)),
        Paragraph((Text("He left in 2023."),)),
    ]


def test_a_line_of_spaces_also_separates_paragraphs() -> None:
    assert len(parse_prose("First.\n   \nSecond.")) == 2


def test_leading_and_trailing_blank_lines_make_no_empty_paragraphs() -> None:
    assert parse_prose("\n\nOnly paragraph.\n\n\n") == [Paragraph((Text("Only paragraph."),))]


def test_dash_lines_are_a_bullet_list_after_an_introductory_paragraph() -> None:
    assert parse_prose("The League asks:\n- extradition\n- a fair trial\n  before a court") == [
        Paragraph((Text("The League asks:"),)),
        BulletList(((Text("extradition"),), (Text("a fair trial before a court"),))),
    ]


def test_a_bullet_item_can_hold_markup() -> None:
    (block,) = parse_prose("- **no** death penalty [@report]")
    assert block == BulletList(((Styled("strong", (Text("no"),)), Text(" death penalty "),
                                 Reference("@", "report", None, "[@report]", 0)),))


def test_a_hyphen_without_a_space_is_not_a_bullet() -> None:
    assert parse_prose("-5 degrees") == [Paragraph((Text("-5 degrees"),))]


# --- Inline markup -------------------------------------------------------------------------------


def test_single_stars_are_emphasis_and_double_stars_strong() -> None:
    assert parse_inline("*alleged* and **proved**") == (
        Styled("em", (Text("alleged"),)),
        Text(" and "),
        Styled("strong", (Text("proved"),)),
    )


def test_emphasis_nests_inside_strong() -> None:
    assert parse_inline("**held *de facto* power**") == (
        Styled("strong", (Text("held "), Styled("em", (Text("de facto"),)), Text(" power"))),
    )


def test_stars_with_spaces_around_them_stay_text() -> None:
    assert parse_inline("2 * 3 * 4") == (Text("2 * 3 * 4"),)


@pytest.mark.parametrize(
    ("raw", "sigil", "ident", "pinpoint"),
    [
        ("[@report]", "@", "report", None),
        ("[@report, p. 4]", "@", "report", "p. 4"),
        ("[@report,para. 12-14]", "@", "report", "para. 12-14"),
        ("[#dead]", "#", "dead", None),
        ("[=velk]", "=", "velk", None),
    ],
)
def test_references_are_parsed_with_their_pinpoint(raw: str, sigil: str, ident: str, pinpoint: str | None) -> None:
    assert parse_inline(f"See {raw}.") == (Text("See "), Reference(sigil, ident, pinpoint, raw, 0), Text("."))


def test_a_reference_inside_emphasis_is_still_a_reference() -> None:
    assert parse_inline("**[#dead] civilians**") == (
        Styled("strong", (Reference("#", "dead", None, "[#dead]", 0), Text(" civilians"))),
    )


# --- references() --------------------------------------------------------------------------------


def test_references_are_listed_in_order_with_the_occurrence_of_each_spelling() -> None:
    found = references("[@report] killed [#dead]; [@report] again, [@report, p. 2] and [@report]")
    assert [(r.sigil, r.id, r.pinpoint, r.raw, r.occurrence) for r in found] == [
        ("@", "report", None, "[@report]", 0),
        ("#", "dead", None, "[#dead]", 0),
        ("@", "report", None, "[@report]", 1),
        ("@", "report", "p. 2", "[@report, p. 2]", 0),
        ("@", "report", None, "[@report]", 2),
    ]


def test_an_empty_pinpoint_is_none() -> None:
    (ref,) = references("[@report, ]")
    assert ref.pinpoint is None


def test_text_in_brackets_that_is_not_a_reference_is_not_listed() -> None:
    assert references("[sic] [1] [@] [# dead] and a [link](http://example.org)") == []


# --- HTML ----------------------------------------------------------------------------------------


def test_raw_html_in_prose_prints_as_text() -> None:
    assert html("<script>alert('Velk')</script> & <b>bold</b>") == (
        "&lt;script&gt;alert(&#39;Velk&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    )


def test_emphasis_becomes_em_and_strong() -> None:
    assert html("*alleged* and **proved**") == "<em>alleged</em> and <strong>proved</strong>"


def test_html_inside_emphasis_is_escaped_too() -> None:
    assert html("*<i>x</i>*") == "<em>&lt;i&gt;x&lt;/i&gt;</em>"


def test_the_space_before_a_footnote_citation_is_removed() -> None:
    assert html("arrived with his family [@report].") == "arrived with his family<sup>report</sup>."


def test_a_citation_keeps_its_pinpoint() -> None:
    assert html("family [@report, p. 2]") == "family<sup>report|p. 2</sup>"


def test_the_space_before_a_figure_or_a_name_is_kept() -> None:
    assert html("killed [#dead] people, said [=velk].") == (
        "killed <span class=figure>dead</span> people, said <span class=name>Ostrand Velk</span>."
    )


@pytest.mark.parametrize("between", ["", " ", "  "])
def test_adjacent_citations_are_separated_so_notes_do_not_run_together(between: str) -> None:
    assert html(f"family [@a]{between}[@b].") == f"family<sup>a</sup>{CITATION_SEPARATOR}<sup>b</sup>."


def test_three_adjacent_citations_get_two_separators() -> None:
    assert html("family [@a][@b][@c]") == (
        f"family<sup>a</sup>{CITATION_SEPARATOR}<sup>b</sup>{CITATION_SEPARATOR}<sup>c</sup>"
    )


def test_citations_with_words_between_them_get_no_separator() -> None:
    assert html("family [@a], and [@b]") == "family<sup>a</sup>, and<sup>b</sup>"


@pytest.mark.parametrize("text", ["[@report] states that Ostrand Velk fled.", "*[@report]*"])
def test_a_paragraph_may_open_with_a_citation(text: str) -> None:
    assert "<sup>report</sup>" in html(text)


def test_the_html_is_markup_so_templates_do_not_escape_it_twice() -> None:
    (block,) = parse_prose("*x*")
    assert isinstance(inline_html(block.inlines, Refs()), Markup)


def test_to_html_gives_templates_plain_data_for_paragraphs_and_lists() -> None:
    blocks = parse_prose("The League asks [@report]:\n- extradition\n- a <fair> trial")
    assert to_html(blocks, Refs()) == [
        {"kind": "paragraph", "html": Markup("The League asks<sup>report</sup>:")},
        {"kind": "list", "items": [Markup("extradition"), Markup("a ") + escape("<fair>") + Markup(" trial")]},
    ]


# --- plain_text ----------------------------------------------------------------------------------


def test_plain_text_removes_emphasis_and_collapses_whitespace() -> None:
    assert plain_text("The **alleged**  killing\nof *civilians*.\n\n  Next  paragraph.") == (
        "The alleged killing of civilians. Next paragraph."
    )


def test_plain_text_leaves_raw_html_as_it_is_for_the_caller_to_escape() -> None:
    assert plain_text("<b>Velk</b>") == "<b>Velk</b>"


def test_plain_text_keeps_no_reference_brackets() -> None:
    result = plain_text("Killed [#dead] civilians [@report, p. 2], said [=velk].")
    assert "[" not in result and "]" not in result and "@" not in result


def test_plain_text_keeps_stars_that_are_not_emphasis() -> None:
    assert plain_text("2 * 3 = 6 and **more**") == "2 * 3 = 6 and more"

