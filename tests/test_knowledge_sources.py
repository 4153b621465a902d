"""The source rules: every fee, stated time limit and note cites a source with a kind, a date and an
explicit confidence; only official kinds may be high; the check counts sources and lists unverified facts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.guide.knowledge import Problem, check, load_knowledge, main
from tests.test_knowledge import baseline, edit, matching, tree  # noqa: F401 (fixtures)

ITEMS = "items/marriage.yaml"
BUNDLE = "bundles/marriage.yaml"
REGISTRATION = 1  # marriage_registration in items/marriage.yaml


def _registration(change: Callable[[dict[str, Any]], None]) -> Callable[[list[dict[str, Any]]], None]:
    def apply(items: list[dict[str, Any]]) -> None:
        assert items[REGISTRATION]["id"] == "marriage_registration"
        change(items[REGISTRATION])

    return apply


def _first_basis(**fields: Any) -> Callable[[Path], None]:
    def breaker(root: Path) -> None:
        def change(item: dict[str, Any]) -> None:
            source = item["legal_basis"][0]
            for key, value in fields.items():
                if value is None:
                    source.pop(key, None)
                else:
                    source[key] = value

        edit(root, ITEMS, _registration(change))

    return breaker


def _drop(path: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Path], None]:
    def breaker(root: Path) -> None:
        edit(root, ITEMS, _registration(lambda item: path(item).pop("sources")))

    return breaker


def _drop_option_note_sources(root: Path) -> None:
    edit(root, BUNDLE, lambda bundle: bundle["questions"][0]["options"][1]["notes"][0].pop("sources"))


BASIS = f"items[{REGISTRATION}].legal_basis[0]"
CASES = [
    ("no_kind", _first_basis(kind=None), ITEMS, f"{BASIS}.kind", "Field required"),
    ("no_confidence", _first_basis(confidence=None), ITEMS, f"{BASIS}.confidence", "Field required"),
    ("no_date", _first_basis(published=None, retrieved=None), ITEMS, BASIS, "publication date"),
    ("secondary_high", _first_basis(kind="secondary"), ITEMS, BASIS, "only statutes and official documents"),
    (
        "secondary_medium",
        _first_basis(kind="secondary", confidence="medium"),
        ITEMS,
        BASIS,
        "at most 'low'",
    ),
    ("bad_date", _first_basis(published="2025-13"), ITEMS, f"{BASIS}.published", "should match pattern"),
    (
        "fee",
        _drop(lambda item: item["fees"][0]),
        ITEMS,
        f"items[{REGISTRATION}].fees[0].sources",
        "fee '婚姻登记费' has no source",
    ),
    (
        "time_limit",
        _drop(lambda item: item["time_limit"]),
        ITEMS,
        f"items[{REGISTRATION}].time_limit.sources",
        "time limit has no source",
    ),
    (
        "option_note",
        _drop_option_note_sources,
        BUNDLE,
        "questions[0].options[1].notes[0].sources",
        "note has no source",
    ),
]


@pytest.mark.parametrize(
    ("breaker", "rel", "field", "fragment"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_check_enforces_each_source_rule(
    tree: Path,  # noqa: F811
    baseline: list[Problem],  # noqa: F811
    breaker: Callable[[Path], None],
    rel: str,
    field: str,
    fragment: str,
) -> None:
    file = f"knowledge/{rel}"
    assert not matching(baseline, file, field, fragment)
    breaker(tree)
    problems = check(tree)
    assert matching(problems, file, field, fragment), "\n".join(map(str, problems))


def test_meta_says_when_and_against_what_it_was_reviewed(tree: Path) -> None:  # noqa: F811
    meta = load_knowledge().meta
    assert meta.reviews[0].date == meta.reviewed_on and meta.reviews[0].against
    edit(tree, "meta.yaml", lambda data: data.update(reviewed_on="2020-01-01"))
    assert matching(check(tree), "knowledge/meta.yaml", "(file)", "latest")


def test_check_counts_sources_by_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    line = capsys.readouterr().out
    for kind in ("statute", "state_council", "ministry", "provincial_guide", "secondary", "unverified"):
        assert f" {kind}" in line


def test_sources_lists_the_facts_resting_only_on_unverified_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sources"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "sources (" in lines[0] and "rest only on unverified sources" in lines[1]
    assert any(line.startswith("item ") and "fee" in line for line in lines[2:])
    assert not any("marriage_registration.fees" in line for line in lines[2:])  # 婚姻登记条例 第六条
