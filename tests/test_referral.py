"""The prosecution-referral template, checked on its HTML (fast): every section from the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from casefile.build import BuildOptions, plan_documents
from casefile.checks import check_case
from casefile.render import find_template, render_html
from casefile.resolve import resolve_document
from tests.conftest import ROOT, SEED

VANTORIA = ROOT / "cases" / "vantoria-referral.yaml"


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(find_template("prosecution-referral"), resolve_document(check_case(VANTORIA), "en"))


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find('<section class="section"', start + 1)
    return html[start:end if end != -1 else None]


def test_a_prosecution_request_defaults_to_the_referral_and_the_brief() -> None:
    jobs = plan_documents(check_case(VANTORIA), BuildOptions(out=Path("out")))
    assert [j.output.name for j in jobs] == ["vantoria-referral.prosecution-referral.en.pdf",
                                             "vantoria-referral.brief.en.pdf"]


def test_the_complainants_are_the_requesting_parties(html: str) -> None:
    part = section(html, "sec-complainants")
    assert "Vantoria Accountability Project (fictional)" in part
    assert "Association of Kessel Families (fictional)" in part
    assert "War Crimes Unit, Public Prosecution Service of the Kingdom of Eldmark (fictional)" in part


def test_each_suspect_is_listed_with_positions_crimes_and_modes_of_liability(html: str) -> None:
    part = section(html, "sec-suspects")
    dovlan = part[part.index("person-dovlan"):part.index("person-karvane")]
    assert "Major General; Commander, Northern Security Command" in dovlan
    assert "Ordering" in dovlan and "Rome Statute, art. 25(3)(b)" in dovlan
    assert "Responsibility of military commanders" in dovlan and "art. 28(a)" in dovlan
    karvane = part[part.index("person-karvane"):part.index("person-rell")]
    assert "Responsibility of civilian superiors" in karvane and "Imprisonment" not in karvane
    rell = part[part.index("person-rell"):]
    assert "Aiding, abetting or otherwise assisting" in rell and "art. 25(3)(c)" in rell


def test_the_crimes_are_set_out_element_by_element_with_the_matrix(html: str) -> None:
    part = section(html, "sec-crimes")
    assert part.count('<table class="data matrix">') == 3
    assert part.count('<tr class="unsupported">') == 1
    gap = part[part.index('<tr class="unsupported">'):]
    assert "The perpetrator was aware that the deprivation of freedom" in gap[:600]
    assert "No supporting evidence given" in gap[:900]
    assert part.count('class="matrix-group"') == 3  # the contextual elements of each crime against humanity
    assert "Kessel Detention Facility, intake register (extract, March to May 2021)" in part


def test_jurisdiction_and_admissibility_come_from_the_grounds_and_nothing_else(html: str) -> None:
    part = section(html, "sec-jurisdiction")
    assert "Jurisdiction of the courts of Eldmark" in part and "No proceedings in Vantoria" in part
    assert 'id="sec-arguments"' not in html  # every argument is a ground here


def test_the_relief_sought_and_the_index_follow(html: str) -> None:
    assert "That the War Crimes Unit open a criminal investigation" in section(html, "sec-relief")
    index = section(html, "sec-sources")
    assert index.count('class="pageref"') == 8  # a first and a last page for each of the four exhibits
    assert "Chain of custody" in index and "Paper copy handed over by a former staff officer" in index
    assert "appended as images of its pages; the original PDF is attached to this file (its fonts are not " \
           "embedded)" in index


def test_the_annexes_are_laid_out_in_annex_order_with_a_placeholder_per_pdf_page(html: str) -> None:
    annexes = html[html.index('<div class="annexes">'):]
    assert re.findall(r'<section class="annex-cover" id="(annex-\d)"', annexes) == \
        ["annex-1", "annex-2", "annex-3", "annex-4"]
    assert re.findall(r'id="(annex-\d-page-\d)"', annexes) == ["annex-1-page-1", "annex-2-page-1", "annex-2-page-2"]
    assert '<pre dir="ltr">FICTIONAL DOCUMENT made for the casefile demonstration case.' in annexes
    assert 'src="file://' in annexes and "kessel-site-2021-06-14.png" in annexes
    assert html.index('id="dossier-end"') < html.index('<div class="annexes">')


def test_a_withheld_exhibit_keeps_its_cover_sheet_and_nothing_of_its_content(write_case) -> None:
    path = write_case(replace=("    kind: report\n", "    kind: report\n    confidential: true\n"))
    html = render_html(find_template("extradition-request"), resolve_document(check_case(path), "en"))
    annexes = html[html.index('<div class="annexes">'):]
    assert "withheld from this edition" in annexes
    assert "<pre" not in annexes and "field-report.txt" not in html


def test_the_brief_lays_out_no_annexes() -> None:
    html = render_html(find_template("brief"), resolve_document(check_case(SEED), "en"))
    assert "annex-cover" not in html and 'id="dossier-end"' in html


def test_the_briefs_sentences_on_the_accused_are_set_apart() -> None:
    html = render_html(find_template("brief"), resolve_document(check_case(SEED), "en"))
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "granted asylum in Russia. Believed to be in Moscow" in text


@pytest.mark.parametrize("lang", ["fr", "ar", "ru"])
def test_the_referral_renders_in_every_language(lang: str) -> None:
    html = render_html(find_template("prosecution-referral"), resolve_document(check_case(VANTORIA), lang))
    assert f'lang="{lang}"' in html and "<svg" in html
