"""Tests for casefile.catalogue: the built-in legal catalogue and its loader."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from casefile import catalogue
from casefile.catalogue import (
    Conduct,
    LiabilityMode,
    _parse_catalogue,
    catalogue_messages,
    load_catalogue,
)

SPEC_CONDUCTS = {
    "genocide-killing": "Rome Statute art. 6(a)",
    "genocide-serious-harm": "Rome Statute art. 6(b)",
    "genocide-conditions-of-life": "Rome Statute art. 6(c)",
    "genocide-preventing-births": "Rome Statute art. 6(d)",
    "genocide-transferring-children": "Rome Statute art. 6(e)",
    "cah-murder": "Rome Statute art. 7(1)(a)",
    "cah-extermination": "Rome Statute art. 7(1)(b)",
    "cah-enslavement": "Rome Statute art. 7(1)(c)",
    "cah-deportation-transfer": "Rome Statute art. 7(1)(d)",
    "cah-imprisonment": "Rome Statute art. 7(1)(e)",
    "cah-torture": "Rome Statute art. 7(1)(f)",
    "cah-rape": "Rome Statute art. 7(1)(g)",
    "cah-persecution": "Rome Statute art. 7(1)(h)",
    "cah-enforced-disappearance": "Rome Statute art. 7(1)(i)",
    "cah-apartheid": "Rome Statute art. 7(1)(j)",
    "cah-other-inhumane-acts": "Rome Statute art. 7(1)(k)",
    "wc-wilful-killing": "Rome Statute art. 8(2)(a)(i)",
    "wc-torture-iac": "Rome Statute art. 8(2)(a)(ii)",
    "wc-attacking-civilians-iac": "Rome Statute art. 8(2)(b)(i)",
    "wc-gas-iac": "Rome Statute art. 8(2)(b)(xviii)",
    "wc-murder-niac": "Rome Statute art. 8(2)(c)(i)",
    "wc-torture-niac": "Rome Statute art. 8(2)(c)(i)",
    "wc-attacking-civilians-niac": "Rome Statute art. 8(2)(e)(i)",
    "wc-gas-niac": "Rome Statute art. 8(2)(e)(xiv)",
    "torture-cat": "Convention against Torture art. 1",
    "enforced-disappearance-icpped": "Convention on Enforced Disappearance art. 2",
}

SPEC_LIABILITY = {
    "commission": "25(3)(a)",
    "co-perpetration": "25(3)(a)",
    "indirect-perpetration": "25(3)(a)",
    "ordering": "25(3)(b)",
    "soliciting-inducing": "25(3)(b)",
    "aiding-abetting": "25(3)(c)",
    "common-purpose": "25(3)(d)",
    "command-responsibility": "28(a)",
    "superior-responsibility": "28(b)",
}

MINIMAL = """\
instruments:
  rome-statute: {title: Rome Statute, short: Rome Statute, year: 1998}
categories:
  crimes-against-humanity: Crimes against humanity
contexts:
  cah:
    - {key: attack, text: Part of an attack., source: EoC art. 7}
    - {key: knowledge, text: Knew of the attack., source: EoC art. 7}
conducts:
  cah-murder:
    category: crimes-against-humanity
    instrument: rome-statute
    article: 7(1)(a)
    title: Murder as a crime against humanity
    context: cah
    elements:
      - {key: killing, text: The perpetrator killed one or more persons., source: EoC 7(1)(a)}
liability:
  ordering:
    instrument: rome-statute
    article: 25(3)(b)
    title: Ordering
    elements:
      - {key: order-given, text: The accused gave an order., source: Rome Statute 25(3)(b)}
"""


def _parse_file(path: Path) -> catalogue.Catalogue:
    return _parse_catalogue(yaml.safe_load(path.read_text(encoding="utf-8")))


def _all_conducts() -> list[Conduct]:
    return list(load_catalogue().conducts.values())


def test_the_catalogue_loads_once_per_process() -> None:
    assert load_catalogue() is load_catalogue()
    assert load_catalogue().conducts


@pytest.mark.parametrize(("key", "provision"), SPEC_CONDUCTS.items())
def test_every_conduct_the_spec_names_exists_with_its_provision(key: str, provision: str) -> None:
    assert load_catalogue().conduct(key).provision == provision


def test_conduct_categories_are_the_five_families_of_crimes() -> None:
    cat = load_catalogue()
    assert list(cat.categories) == [
        "genocide",
        "crimes-against-humanity",
        "war-crimes",
        "torture",
        "enforced-disappearance",
    ]
    assert {c.category for c in cat.conducts.values()} == set(cat.categories)


def test_an_unknown_conduct_or_liability_key_raises_key_error() -> None:
    with pytest.raises(KeyError):
        load_catalogue().conduct("cah-murdr")
    with pytest.raises(KeyError):
        load_catalogue().liability_mode("oredring")


def test_every_crime_against_humanity_carries_the_attack_and_knowledge_elements() -> None:
    cah = [c for c in _all_conducts() if c.article.startswith("7(1)")]
    assert len(cah) >= 11
    for conduct in cah:
        assert conduct.category == "crimes-against-humanity"
        assert [e.key for e in conduct.context_elements] == ["attack", "knowledge"]
        assert "widespread or systematic attack" in conduct.context_elements[0].text


def test_war_crimes_carry_the_nexus_to_an_armed_conflict_of_their_kind() -> None:
    for conduct in _all_conducts():
        if conduct.category != "war-crimes":
            continue
        nexus, awareness = conduct.context_elements
        assert (nexus.key, awareness.key) == ("nexus", "conflict-awareness")
        if conduct.article.startswith(("8(2)(a)", "8(2)(b)")):
            assert nexus.text.endswith("an international armed conflict.")
        else:
            assert nexus.text.endswith("not of an international character.")


def test_genocide_ends_with_the_manifest_pattern_and_requires_genocidal_intent() -> None:
    for conduct in _all_conducts():
        if conduct.category == "genocide":
            assert [e.key for e in conduct.context_elements] == ["manifest-pattern"]
            assert {"protected-group", "genocidal-intent"} <= {e.key for e in conduct.elements}


def test_context_elements_follow_the_specific_ones_as_in_the_elements_of_crimes() -> None:
    murder = load_catalogue().conduct("cah-murder")
    assert [e.key for e in murder.all_elements] == ["killing", "attack", "knowledge"]


def test_treaty_crimes_stand_without_a_context() -> None:
    cat = load_catalogue()
    for key in ("torture-cat", "enforced-disappearance-icpped"):
        assert cat.conduct(key).context_elements == ()


def test_torture_under_the_convention_requires_purpose_and_an_official() -> None:
    keys = [e.key for e in load_catalogue().conduct("torture-cat").elements]
    assert keys == [
        "severe-pain",
        "intentional",
        "purpose",
        "official-involvement",
        "not-lawful-sanction",
    ]


def test_torture_as_a_crime_against_humanity_notes_that_no_purpose_is_required() -> None:
    torture = load_catalogue().conduct("cah-torture")
    assert "purpose" not in {e.key for e in torture.elements}
    assert torture.note is not None
    assert "footnote 14" in torture.note


def test_gas_in_non_international_conflict_notes_the_kampala_amendment() -> None:
    note = load_catalogue().conduct("wc-gas-niac").note
    assert note is not None
    assert "Kampala" in note


def test_element_keys_are_unique_slugs_within_each_conduct() -> None:
    for conduct in _all_conducts():
        keys = [e.key for e in conduct.all_elements]
        assert len(keys) == len(set(keys)), conduct.key
        assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", k) for k in keys), conduct.key


def test_every_element_is_one_sentence_ending_with_a_period_and_has_a_source() -> None:
    cat = load_catalogue()
    entries: list[Conduct | LiabilityMode] = [*cat.conducts.values(), *cat.liability.values()]
    for entry in entries:
        elements = entry.all_elements if isinstance(entry, Conduct) else entry.elements
        assert elements, entry.key
        for element in elements:
            assert element.text.endswith("."), (entry.key, element.key)
            assert element.text[0].isupper(), (entry.key, element.key)
            assert "\n" not in element.text, (entry.key, element.key)
            assert element.source, (entry.key, element.key)


def test_element_sources_cite_the_instrument_of_their_conduct() -> None:
    for conduct in _all_conducts():
        for element in conduct.elements:
            if conduct.instrument.key == "rome-statute":
                assert element.source.startswith("Elements of Crimes, art. "), conduct.key
                assert conduct.article.split("(")[0] in element.source, conduct.key
            else:
                assert element.source.startswith(conduct.instrument.short), conduct.key


@pytest.mark.parametrize(("key", "article"), SPEC_LIABILITY.items())
def test_liability_modes_of_articles_25_3_and_28_exist(key: str, article: str) -> None:
    mode = load_catalogue().liability_mode(key)
    assert mode.article == article
    assert mode.provision == f"Rome Statute art. {article}"
    assert mode.elements


def test_command_responsibility_has_control_knowledge_and_failure_to_act() -> None:
    keys = {e.key for e in load_catalogue().liability_mode("command-responsibility").elements}
    assert {"effective-control", "knew-or-should-have-known", "failure-to-act"} <= keys


def test_catalogue_messages_list_every_translatable_string_once() -> None:
    messages = catalogue_messages()
    assert len(messages) == len(set(messages))
    assert messages == catalogue_messages()
    cat = load_catalogue()
    murder = cat.conduct("cah-murder")
    for text in (
        cat.instruments["cat"].title,
        cat.instruments["cat"].short,
        cat.categories["war-crimes"],
        murder.title,
        murder.elements[0].source,
        murder.context_elements[0].text,
        cat.conduct("wc-gas-niac").note,
        cat.liability_mode("ordering").elements[0].text,
    ):
        assert text in messages
    assert "cah-murder" not in messages
    assert "7(1)(a)" not in messages


def test_the_loaded_catalogue_is_read_only() -> None:
    with pytest.raises(TypeError):
        load_catalogue().conducts["x"] = load_catalogue().conduct("cah-murder")  # type: ignore[index]


def test_a_minimal_catalogue_parses(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    parsed = _parse_file(path)
    assert parsed.conduct("cah-murder").provision == "Rome Statute art. 7(1)(a)"
    assert [e.key for e in parsed.conduct("cah-murder").all_elements] == [
        "killing",
        "attack",
        "knowledge",
    ]


def _murder(data: dict[str, Any]) -> dict[str, Any]:
    return data["conducts"]["cah-murder"]  # type: ignore[no-any-return]


def _first_element(data: dict[str, Any]) -> dict[str, Any]:
    return _murder(data)["elements"][0]  # type: ignore[no-any-return]


MALFORMED = [
    ("unknown-field", lambda d: _murder(d).update(artikel="7"), "unknown field 'artikel'"),
    ("missing-source", lambda d: _first_element(d).pop("source"), "missing field 'source'"),
    (
        "missing-title",
        lambda d: _murder(d).pop("title"),
        "conducts.cah-murder: missing field 'title'",
    ),
    (
        "unknown-element-field",
        lambda d: _first_element(d).update(sauce="x"),
        "unknown field 'sauce'",
    ),
    (
        "duplicate-element",
        lambda d: _murder(d)["elements"].append(dict(_first_element(d))),
        "duplicate element key 'killing'",
    ),
    (
        "element-clashes-with-context",
        lambda d: _first_element(d).update(key="attack"),
        "duplicate element key 'attack'",
    ),
    (
        "unknown-instrument",
        lambda d: _murder(d).update(instrument="rome-statue"),
        "unknown instrument 'rome-statue'",
    ),
    ("unknown-context", lambda d: _murder(d).update(context="chah"), "unknown context 'chah'"),
    (
        "unknown-category",
        lambda d: _murder(d).update(category="crimes"),
        "unknown category 'crimes'",
    ),
    (
        "year-as-text",
        lambda d: d["instruments"]["rome-statute"].update(year="1998"),
        "instruments.rome-statute.year",
    ),
    ("empty-text", lambda d: _first_element(d).update(text=" "), "elements[0].text: expected text"),
    ("no-elements", lambda d: _murder(d).update(elements=[]), "cah-murder.elements"),
    ("bad-key", lambda d: d["conducts"].update({"Cah Rape": _murder(d)}), "'Cah Rape'"),
    ("bad-element-key", lambda d: _first_element(d).update(key="Killing"), "'Killing'"),
    ("unknown-section", lambda d: d.update(crimes={}), "unknown field 'crimes'"),
    (
        "liability-missing-article",
        lambda d: d["liability"]["ordering"].pop("article"),
        "liability.ordering: missing field 'article'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_malformed_catalogue_raises_value_error_naming_the_bad_key(
    tmp_path: Path, mutate: Any, message: str
) -> None:
    data = copy.deepcopy(yaml.safe_load(MINIMAL))
    mutate(data)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        _parse_file(path)


def test_a_key_written_twice_in_the_data_file_is_an_error() -> None:
    text = MINIMAL.replace("liability:\n", "categories: {}\nliability:\n")
    with pytest.raises(ValueError, match="duplicate key 'categories'"):
        yaml.load(text, Loader=catalogue._Loader)
