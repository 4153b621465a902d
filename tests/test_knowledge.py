"""The knowledge base is valid, served by date, and the validator catches each kind of error it promises."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.guide.contract import CONTRACT_SLUGS
from server.guide.knowledge import (
    DEFAULT_ROOT,
    KnowledgeError,
    Problem,
    bundle_guide,
    bundle_summary,
    check,
    load_knowledge,
    main,
)

REPO = DEFAULT_ROOT.parent
TODAY = dt.date(2026, 11, 25)


# --- helpers ---------------------------------------------------------------------------------


def read(root: Path, rel: str) -> Any:
    """Parse one data file of a copied tree."""
    return yaml.safe_load((root / rel).read_text(encoding="utf-8"))


def write(root: Path, rel: str, data: Any) -> None:
    """Write one data file of a copied tree."""
    (root / rel).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def edit(root: Path, rel: str, change: Callable[[Any], None]) -> None:
    """Apply an in-place change to one parsed data file and write it back."""
    data = read(root, rel)
    change(data)
    write(root, rel, data)


def item_index(root: Path, rel: str, item_id: str) -> int:
    """Position of an item in an items file."""
    return next(i for i, entry in enumerate(read(root, rel)) if entry["id"] == item_id)


def matching(problems: list[Problem], file: str, field: str, fragment: str) -> list[Problem]:
    """Problems at exactly this file and field whose message contains `fragment`."""
    return [p for p in problems if p.file == file and p.field == field and fragment in p.message]


@pytest.fixture(scope="module")
def baseline() -> list[Problem]:
    """Problems of the unbroken tree (normally none), so a break is only credited for what it adds."""
    return check()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the real knowledge tree to break."""
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_ROOT, root)
    return root


# --- the real knowledge ----------------------------------------------------------------------


def test_real_knowledge_is_valid() -> None:
    problems = check()
    assert problems == [], "\n".join(map(str, problems))


def test_real_knowledge_loads_contract_bundles_in_order() -> None:
    knowledge = load_knowledge()
    assert tuple(knowledge.bundles) == CONTRACT_SLUGS
    assert set(knowledge.lexicons) == set(CONTRACT_SLUGS)
    assert knowledge.version.startswith(knowledge.meta.version + "+")
    with pytest.raises(TypeError):
        knowledge.bundles["x"] = knowledge.bundles["marriage"]  # type: ignore[index]


def test_cli_check_prints_one_line_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.guide.knowledge", "check"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "18 bundles" in lines[0]


def test_cli_stats_lists_every_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    for slug in CONTRACT_SLUGS:
        assert slug in out


def test_version_changes_with_content(tree: Path) -> None:
    before = load_knowledge(tree).version
    edit(tree, "bundles/marriage.yaml", lambda b: b.update(summary=b["summary"] + "。"))
    assert load_knowledge(tree).version != before


def test_guide_is_json_and_resolves_materials() -> None:
    knowledge = load_knowledge()
    for slug in CONTRACT_SLUGS:
        guide = bundle_guide(knowledge, slug, TODAY)
        json.dumps(guide, ensure_ascii=False)
        assert guide["items"] and all(m["name"] for item in guide["items"] for m in item["materials"])
        summary = bundle_summary(knowledge, slug, TODAY)
        assert summary["item_count"] == len(guide["items"])
        assert {"slug", "name", "kind", "life_stage", "summary", "lead_department"} <= summary.keys()


def _item(guide: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(item for item in guide["items"] if item["id"] == item_id)


def test_marriage_follows_the_2025_revision_by_date() -> None:
    knowledge = load_knowledge()
    before = _item(bundle_guide(knowledge, "marriage", dt.date(2025, 5, 9)), "marriage_registration")
    after = _item(bundle_guide(knowledge, "marriage", dt.date(2025, 5, 10)), "marriage_registration")
    assert "household_register" in {m["material"] for m in before["materials"]}
    assert {m["material"] for m in after["materials"]} >= {"id_card", "marriage_declaration"}
    assert "household_register" not in {m["material"] for m in after["materials"]}
    assert after["time_limit"]["on_the_spot"] and all(fee["free"] for fee in after["fees"])


def test_housing_deed_tax_line_moves_to_140_on_2024_12_01() -> None:
    knowledge = load_knowledge()
    old = bundle_guide(knowledge, "housing_transfer", dt.date(2024, 11, 30))
    new = bundle_guide(knowledge, "housing_transfer", dt.date(2024, 12, 1))
    old_tax = [f["rule"] for f in _item(old, "housing_transfer_tax")["fees"] if f["name"].startswith("契税")]
    new_tax = [f["rule"] for f in _item(new, "housing_transfer_tax")["fees"] if f["name"].startswith("契税")]
    assert len(old_tax) == len(new_tax) == 1
    assert "90平方米" in old_tax[0] and "140平方米" in new_tax[0]
    assert _item(new, "property_transfer_registration")["time_limit"]["statutory_days"] == 30


def test_retirement_rules_follow_the_reform_dates() -> None:
    knowledge = load_knowledge()

    def notes(day: dt.date) -> str:
        return " ".join(note["text"] for note in bundle_guide(knowledge, "retirement", day)["notes"])

    assert "女工人50周岁" in notes(dt.date(2024, 12, 31))
    assert "女工人50周岁" not in notes(TODAY) and "63周岁" in notes(TODAY)
    # Minimum contribution goes by the year statutory age is reached, so it is one rule from 2025 on.
    assert "累计缴费满15年" in notes(dt.date(2024, 12, 31))
    for day in (TODAY, dt.date(2030, 1, 1)):
        assert "按本人达到法定退休年龄的年份确定" in notes(day) and "2039年起为20年" in notes(day)
    guide = bundle_guide(knowledge, "retirement", TODAY)
    assert _item(guide, "pension_benefit_approval")["time_limit"]["statutory_days"] == 20
    assert _item(guide, "housing_fund_retirement_withdrawal")["time_limit"]["statutory_days"] == 3


def test_load_raises_with_every_problem(tree: Path) -> None:
    (tree / "meta.yaml").unlink()
    (tree / "bundles" / "after_death.yaml").unlink()
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tree)
    files = {problem.file for problem in caught.value.problems}
    assert {"knowledge/meta.yaml", "knowledge/bundles/after_death.yaml"} <= files


# --- each kind of error ----------------------------------------------------------------------

MARRIAGE_ITEMS = "items/marriage.yaml"
MARRIAGE = "bundles/marriage.yaml"


def break_yaml(root: Path) -> None:
    (root / MARRIAGE_ITEMS).write_text("- id: [unclosed\n", encoding="utf-8")


def break_schema(root: Path) -> None:
    edit(root, MARRIAGE_ITEMS, lambda items: items[1]["materials"][0].update(form="faxed"))


def break_duplicate_id(root: Path) -> None:
    edit(root, "items/retirement.yaml", lambda items: items.append(read(root, MARRIAGE_ITEMS)[1]))


def break_unknown_material(root: Path) -> None:
    edit(root, MARRIAGE_ITEMS, lambda items: items[1]["materials"][0].update(material="no_such_material"))


def break_unknown_required_item(root: Path) -> None:
    edit(root, MARRIAGE_ITEMS, lambda items: items[2].update(requires=["no_such_item"]))


def break_cycle(root: Path) -> None:
    index = item_index(root, MARRIAGE_ITEMS, "marriage_registration")
    edit(root, MARRIAGE_ITEMS, lambda items: items[index].update(requires=["hukou_marital_status_update"]))


def break_no_sources(root: Path) -> None:
    edit(root, MARRIAGE_ITEMS, lambda items: items[1].update(sources=[], legal_basis=[]))


def break_bundle_sources(root: Path) -> None:
    edit(root, MARRIAGE, lambda bundle: bundle.update(sources=[]))


def break_bundle_item(root: Path) -> None:
    edit(root, MARRIAGE, lambda bundle: bundle["items"].append({"item": "no_such_item"}))


def break_option_add_item(root: Path) -> None:
    edit(
        root,
        MARRIAGE,
        lambda b: b["questions"][0]["options"][0].update(add_items=["pension_benefit_approval"]),
    )


def break_option_drop_item(root: Path) -> None:
    edit(root, MARRIAGE, lambda b: b["questions"][0]["options"][0].update(drop_items=["no_such_item"]))


def break_option_material(root: Path) -> None:
    edit(
        root,
        MARRIAGE,
        lambda b: b["questions"][0]["options"][0].update(add_materials=[{"material": "nothing"}]),
    )


def break_required_together(root: Path) -> None:
    edit(root, MARRIAGE, lambda b: b.update(required_together=[["marriage_registration", "no_such_item"]]))


def break_ask_if_later(root: Path) -> None:
    def change(bundle: dict[str, Any]) -> None:
        last = bundle["questions"][-1]
        bundle["questions"][0]["ask_if"] = [{"question": last["id"], "options": [last["options"][0]["id"]]}]

    edit(root, MARRIAGE, change)


def break_ask_if_unknown(root: Path) -> None:
    edit(
        root, MARRIAGE, lambda b: b["questions"][1].update(ask_if=[{"question": "nobody", "options": ["x"]}])
    )


def break_ask_if_option(root: Path) -> None:
    def change(bundle: dict[str, Any]) -> None:
        bundle["questions"][1]["ask_if"] = [
            {"question": bundle["questions"][0]["id"], "options": ["no_option"]}
        ]

    edit(root, MARRIAGE, change)


def break_slug(root: Path) -> None:
    edit(root, MARRIAGE, lambda bundle: bundle.update(slug="wedding"))


def break_kind(root: Path) -> None:
    edit(root, MARRIAGE, lambda bundle: bundle.update(kind="enterprise"))


def break_missing_bundle(root: Path) -> None:
    (root / "bundles" / "after_death.yaml").unlink()


def break_extra_bundle(root: Path) -> None:
    bundle = read(root, MARRIAGE)
    bundle["slug"] = "extra_bundle"
    write(root, "bundles/extra_bundle.yaml", bundle)


def break_unknown_lexicon(root: Path) -> None:
    write(root, "lexicon/ghost.yaml", {"slug": "ghost", "keywords": ["鬼"]})


def break_missing_lexicon(root: Path) -> None:
    (root / "lexicon" / "marriage.yaml").unlink()


def break_shared_keyword(root: Path) -> None:
    keyword = read(root, "lexicon/marriage.yaml")["keywords"][0]
    edit(root, "lexicon/retirement.yaml", lambda lexicon: lexicon["keywords"].append(keyword))


def break_keyword_is_bundle_name(root: Path) -> None:
    edit(root, "lexicon/marriage.yaml", lambda lexicon: lexicon["keywords"].append("退休"))


def break_unused_material(root: Path) -> None:
    edit(
        root,
        "materials/marriage.yaml",
        lambda ms: ms.append({"id": "orphan", "name": "孤儿材料", "kind": "other"}),
    )


def break_alias_of_another(root: Path) -> None:
    edit(root, "materials/marriage.yaml", lambda ms: ms[0].update(aliases=["合影", "居民身份证"]))


def break_alias_repeated(root: Path) -> None:
    edit(root, "materials/marriage.yaml", lambda ms: ms[1].update(aliases=["双人照", "双人照"]))


def break_born_in_year(root: Path) -> None:
    edit(root, "retirement_age.yaml", lambda r: r["wording"]["born_in_year"].append("年出生"))


def break_checklist_texts(root: Path) -> None:
    edit(root, "dialogue.yaml", lambda d: d.pop("checklist_texts"))


def break_meta(root: Path) -> None:
    (root / "meta.yaml").unlink()


def _last(root: Path, rel: str) -> int:
    return len(read(root, rel)) - 1


CASES: list[tuple[str, Callable[[Path], None], str, Callable[[Path], str], str]] = [
    ("yaml", break_yaml, MARRIAGE_ITEMS, lambda r: "line 2, column 1", "YAML syntax error"),
    ("schema", break_schema, MARRIAGE_ITEMS, lambda r: "items[1].materials[0].form", "Input should be"),
    (
        "duplicate_id",
        break_duplicate_id,
        "items/retirement.yaml",
        lambda r: f"items[{_last(r, 'items/retirement.yaml')}].id",
        "duplicate id 'marriage_registration'",
    ),
    (
        "unknown_material",
        break_unknown_material,
        MARRIAGE_ITEMS,
        lambda r: "items[1].materials[0].material",
        "unknown material 'no_such_material'",
    ),
    (
        "unknown_requires",
        break_unknown_required_item,
        MARRIAGE_ITEMS,
        lambda r: "items[2].requires[0]",
        "unknown item 'no_such_item'",
    ),
    ("cycle", break_cycle, MARRIAGE_ITEMS, lambda r: "items[2].requires[0]", "dependency cycle"),
    ("no_sources", break_no_sources, MARRIAGE_ITEMS, lambda r: "items[1].sources", "no sources"),
    ("bundle_sources", break_bundle_sources, MARRIAGE, lambda r: "sources", "at least 1 item"),
    (
        "bundle_item",
        break_bundle_item,
        MARRIAGE,
        lambda r: f"items[{len(read(r, MARRIAGE)['items']) - 1}].item",
        "unknown item 'no_such_item'",
    ),
    (
        "option_add_item",
        break_option_add_item,
        MARRIAGE,
        lambda r: "questions[0].options[0].add_items[0]",
        "not in this bundle",
    ),
    (
        "option_drop_item",
        break_option_drop_item,
        MARRIAGE,
        lambda r: "questions[0].options[0].drop_items[0]",
        "not in this bundle",
    ),
    (
        "option_material",
        break_option_material,
        MARRIAGE,
        lambda r: "questions[0].options[0].add_materials[0].material",
        "unknown material 'nothing'",
    ),
    (
        "required_together",
        break_required_together,
        MARRIAGE,
        lambda r: "required_together[0][1]",
        "not in this bundle",
    ),
    (
        "ask_if_later",
        break_ask_if_later,
        MARRIAGE,
        lambda r: "questions[0].ask_if[0].question",
        "a later question",
    ),
    (
        "ask_if_unknown",
        break_ask_if_unknown,
        MARRIAGE,
        lambda r: "questions[1].ask_if[0].question",
        "an unknown question 'nobody'",
    ),
    (
        "ask_if_option",
        break_ask_if_option,
        MARRIAGE,
        lambda r: "questions[1].ask_if[0].options[0]",
        "has no option 'no_option'",
    ),
    ("slug", break_slug, MARRIAGE, lambda r: "slug", "does not match the file name"),
    ("kind", break_kind, MARRIAGE, lambda r: "kind", "the contract says"),
    (
        "missing_bundle",
        break_missing_bundle,
        "bundles/after_death.yaml",
        lambda r: "(file)",
        "contract bundle 'after_death' is missing",
    ),
    (
        "extra_bundle",
        break_extra_bundle,
        "bundles/extra_bundle.yaml",
        lambda r: "slug",
        "not in the contract list",
    ),
    (
        "unknown_lexicon",
        break_unknown_lexicon,
        "lexicon/ghost.yaml",
        lambda r: "slug",
        "lexicon for unknown bundle 'ghost'",
    ),
    ("missing_lexicon", break_missing_lexicon, "lexicon/marriage.yaml", lambda r: "(file)", "has no lexicon"),
    (
        "shared_keyword",
        break_shared_keyword,
        "lexicon/retirement.yaml",
        lambda r: f"keywords[{len(read(r, 'lexicon/retirement.yaml')['keywords']) - 1}]",
        "also a keyword of bundle 'marriage'",
    ),
    (
        "keyword_is_name",
        break_keyword_is_bundle_name,
        "lexicon/marriage.yaml",
        lambda r: f"keywords[{len(read(r, 'lexicon/marriage.yaml')['keywords']) - 1}]",
        "is the name of bundle 'retirement'",
    ),
    (
        "unused_material",
        break_unused_material,
        "materials/marriage.yaml",
        lambda r: f"materials[{_last(r, 'materials/marriage.yaml')}].id",
        "used by no item",
    ),
    (
        "alias_of_another",
        break_alias_of_another,
        "materials/marriage.yaml",
        lambda r: "materials[0].aliases[1]",
        "already names material 'id_card'",
    ),
    (
        "alias_repeated",
        break_alias_repeated,
        "materials/marriage.yaml",
        lambda r: "materials[1].aliases[1]",
        "repeats this material's name",
    ),
    (
        "born_in_year",
        break_born_in_year,
        "retirement_age.yaml",
        lambda r: (
            f"wording.born_in_year[{len(read(r, 'retirement_age.yaml')['wording']['born_in_year']) - 1}]"
        ),
        "needs {year} once",
    ),
    (
        "checklist_texts",
        break_checklist_texts,
        "dialogue.yaml",
        lambda r: "checklist_texts",
        "wording is missing",
    ),
    ("meta", break_meta, "meta.yaml", lambda r: "(file)", "file is missing"),
]


@pytest.mark.parametrize(
    ("breaker", "rel", "field", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_check_reports_each_kind_of_error(
    tree: Path,
    baseline: list[Problem],
    capsys: pytest.CaptureFixture[str],
    breaker: Callable[[Path], None],
    rel: str,
    field: Callable[[Path], str],
    fragment: str,
) -> None:
    file = f"knowledge/{rel}"
    assert not [p for p in baseline if p.file == file and fragment in p.message], "broken before the break"
    breaker(tree)
    where = field(tree)
    problems = check(tree)
    found = matching(problems, file, where, fragment)
    assert found, f"expected {file}: {where}: …{fragment}… in:\n" + "\n".join(map(str, problems))
    assert main(["check", "--root", str(tree)]) == 1
    assert str(found[0]) in capsys.readouterr().out


def test_cli_exits_1_on_invalid_knowledge(tree: Path) -> None:
    break_cycle(tree)
    done = subprocess.run(
        [sys.executable, "-m", "server.guide.knowledge", "check", "--root", str(tree)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "knowledge/items/marriage.yaml: items[2].requires[0]: dependency cycle" in done.stdout
