"""The matcher's vocabulary is validated with file and field: term syntax, synonyms, reserved ids, rules."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.guide.knowledge import DEFAULT_ROOT, Problem, check
from server.guide.schema import Lexicon
from server.guide.vocabulary import lexicon_problems, term_problems


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the real knowledge tree to break."""
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("training", "model"))
    return root


def edit(root: Path, rel: str, change: Callable[[Any], None]) -> None:
    """Apply an in-place change to one parsed data file and write it back."""
    path = root / rel
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def located(problems: list[Problem], file: str, field: str, fragment: str) -> bool:
    """True when one problem sits at exactly this file and field and says `fragment`."""
    return any(p.file == file and p.field == field and fragment in p.message for p in problems)


def test_the_real_vocabulary_is_clean() -> None:
    assert check() == []


@pytest.mark.parametrize(
    ("term", "fragment"),
    [
        ("结婚|", "empty part"),
        ("+领证", "empty part"),
        ("结婚||领证", "empty part"),
        ("结婚，领证", "stray separator"),
    ],
)
def test_a_stray_separator_in_a_keyword_is_reported_at_its_field(
    tree: Path, term: str, fragment: str
) -> None:
    """A stray "|" used to make a part match every text, and the check passed it."""
    edit(tree, "lexicon/marriage.yaml", lambda data: data["keywords"].insert(0, term))
    assert located(check(tree), "knowledge/lexicon/marriage.yaml", "keywords[0]", fragment)


def test_compound_syntax_outside_keywords_is_reported(tree: Path) -> None:
    edit(tree, "lexicon/_global.yaml", lambda data: data["out_of_scope"].insert(0, "护照+签证"))
    assert located(
        check(tree), "knowledge/lexicon/_global.yaml", "out_of_scope[0]", "only allowed in keywords"
    )


def test_one_synonym_rewritten_two_ways_is_a_conflict(tree: Path) -> None:
    edit(tree, "lexicon/marriage.yaml", lambda data: data["synonyms"].update({"扯个证": "领证"}))
    edit(tree, "lexicon/newborn.yaml", lambda data: data["synonyms"].update({"扯个证": "出生证"}))
    problems = check(tree)
    assert located(problems, "knowledge/lexicon/newborn.yaml", "synonyms.扯个证", "conflicts")


def test_a_synonym_loop_is_reported(tree: Path) -> None:
    edit(
        tree, "lexicon/marriage.yaml", lambda data: data["synonyms"].update({"甲乙": "丙丁", "丙丁": "甲乙"})
    )
    assert located(check(tree), "knowledge/lexicon/marriage.yaml", "synonyms.甲乙", "loop")


def test_reserved_ids_cannot_name_a_bundle() -> None:
    lexicon = Lexicon(slug="null", keywords=("某事",))
    problems = lexicon_problems({"null": ("knowledge/lexicon/null.yaml", lexicon)}, None)
    assert [(f, p.field) for f, p in problems] == [("knowledge/lexicon/null.yaml", "slug")]
    assert "reserved" in problems[0][1].message


def test_the_mask_character_is_reserved() -> None:
    assert term_problems("结□婚", "keywords[0]")[0].message.endswith("reserved for muted text")


def test_matcher_rules_are_validated_with_file_and_field(tree: Path) -> None:
    edit(tree, "matcher.yaml", lambda data: data["thresholds"].update(commit_at=1.5))
    assert located(check(tree), "knowledge/matcher.yaml", "thresholds.commit_at", "less than 1")


def test_matcher_rule_word_lists_are_checked(tree: Path) -> None:
    def bad(data: dict[str, Any]) -> None:
        data["negation"]["scope_ends_at"] = ["而是"]
        data["talk"]["errand"] = ["办", "结婚||"]
        data["discourse"]["coordinators"] = ["和", "与|"]
        data["discourse"]["done"] = ["办完+了"]

    edit(tree, "matcher.yaml", bad)
    problems = check(tree)
    assert located(problems, "knowledge/matcher.yaml", "negation.scope_ends_at[0]", "not one character")
    assert located(problems, "knowledge/matcher.yaml", "talk.errand[1]", "only allowed in keywords")
    assert located(
        problems, "knowledge/matcher.yaml", "discourse.coordinators[1]", "only allowed in keywords"
    )
    assert located(problems, "knowledge/matcher.yaml", "discourse.done[0]", "only allowed in keywords")


def test_the_two_errands_length_is_validated(tree: Path) -> None:
    edit(tree, "matcher.yaml", lambda data: data["discourse"].update(two_errands_max_length=0))
    assert located(
        check(tree), "knowledge/matcher.yaml", "discourse.two_errands_max_length", "greater than 0"
    )


def test_a_missing_rules_file_is_reported(tree: Path) -> None:
    (tree / "matcher.yaml").unlink()
    assert located(check(tree), "knowledge/matcher.yaml", "(file)", "missing")


def test_training_corpus_lines_are_checked_with_file_line_and_field(tree: Path) -> None:
    (tree / "training").mkdir()
    lines = [
        '{"text": "孩子出生了怎么上户口", "bundle": "newborn"}',
        '{"text": "二手手机怎么过户", "bundle": null}',
        '{"text": "结婚登记和孩子上户口", "bundle": null, "two_errands": ["marriage", "newborn"]}',
        '{"text": "孩子出生了怎么上户口", "bundle": "newborn"}',
        '{"text": "办个证", "bundle": "passport"}',
        '{"text": "", "bundle": null}',
        '{"text": "退休和丧葬费", "bundle": "retirement", "two_errands": ["retirement", "retirement"]}',
        '{"text": "开公司", "bundel": "company_opening"}',
        "{not json",
    ]
    (tree / "training" / "corpus_1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = check(tree)
    file = "knowledge/training/corpus_1.jsonl"
    assert located(problems, file, "line 4.text", "repeats knowledge/training/corpus_1.jsonl line 1")
    assert located(problems, file, "line 5.bundle", "unknown bundle 'passport'")
    assert located(problems, file, "line 6.text", "non-empty")
    assert located(problems, file, "line 7.two_errands", "two different")
    assert located(problems, file, "line 7.bundle", "null when")
    assert located(problems, file, "line 8.bundel", "unknown field")
    assert located(problems, file, "line 8.bundle", "required")
    assert located(problems, file, "line 9", "not JSON")
    assert not [p for p in problems if p.field.startswith(("line 1.", "line 2.", "line 3."))]
