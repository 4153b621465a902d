"""The eval command of the contract, and an accuracy floor on our own unseen utterances."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.guide.eval import Outcome, build_guide, first_reply_bundle, read_cases, run, summarise

DATA = Path(__file__).parent / "data"
UNSEEN = DATA / "guide_unseen.jsonl"
ROOT = Path(__file__).resolve().parents[1]


def test_summary_counts_null_as_a_label() -> None:
    outcomes = [
        Outcome("a", "marriage", "marriage", 1.0),
        Outcome("b", "marriage", None, 1.0),
        Outcome("c", None, None, 2.0),
        Outcome("d", None, "retirement", 3.0),
    ]
    summary = summarise(outcomes)
    assert summary["n"] == 4
    assert summary["accuracy"] == 0.5
    assert summary["none_precision"] == 0.5
    assert summary["none_recall"] == 0.5
    assert summary["per_bundle"]["marriage"] == {"precision": 1.0, "recall": 0.5, "n": 2}
    assert summary["confusions"][0]["count"] == 1


def test_accuracy_floor_on_unseen_set() -> None:
    knowledge, matcher = build_guide()
    summary = summarise(run(read_cases(UNSEEN), lambda text: first_reply_bundle(knowledge, matcher, text)))
    assert summary["n"] >= 250
    assert summary["accuracy"] >= 0.93
    assert summary["none_precision"] >= 0.9
    assert summary["none_recall"] >= 0.9


# Floors at the level measured when the learned ranker took over (it was trained on a corpus kept apart
# from these sets; the rule layers had been tuned on them and scored 0.99-1.00): long hotline monologues
# that name a second bundle's words now often get a two-errand clarify, hence the lower null precision.
TUNED_FLOORS = [
    ("a", 0.98, 0.90, 1.0),
    ("b", 0.98, 0.93, 1.0),
    ("c", 0.98, 0.93, 1.0),
    ("d", 0.92, 0.89, 0.87),
    ("e", 0.98, 0.92, 0.97),
    ("f", 0.99, 1.0, 0.97),
    ("g", 0.98, 0.97, 0.97),
    ("h", 0.98, 0.94, 1.0),
    ("i", 0.96, 0.85, 0.97),
    ("j", 0.97, 0.91, 0.94),
    # Fresh blind sets written after the ranker was frozen; first seen at 0.886/0.781/0.743 and
    # 0.850/0.745/0.707 (accuracy, null precision, null recall), then 12 lines that coincide with
    # corpus lines (short names such as 结婚登记) left the corpus. Floors at the level measured after
    # two errands joined by a coordinator ("A和B") were recognised and the near-miss corpus came in
    # (e, i and j lost a line or two to two-errand clarifies on one-errand lines then).
    ("fresh_1", 0.95, 0.89, 0.92),
    ("fresh_2", 0.91, 0.84, 0.88),
    # Written this session by writers who read only the public bundle list, measured at the session's
    # start (0.923/0.884/0.816 and 0.960/0.899/0.951) and first seen after the freeze at
    # 0.948/0.912/0.903 and 0.984/0.953/0.990; 15 lines equal to corpus lines were left out here.
    ("fresh3_a", 0.94, 0.90, 0.90),
    ("fresh3_b", 0.97, 0.94, 0.98),
    # Written 2026-12-02 by writers who read only the public bundle list; measured once on 1f60e54 at the
    # session's start (0.933/0.921/0.859 and 0.914/0.897/0.850; two-errand lines not committed 24/25 and
    # 20/25) and once after the freeze on d9e8ee0 (0.949/0.938/0.896 and 0.944/0.930/0.902; 24/25, 22/25).
    # Then the 30 and 34 lines within a rapidfuzz ratio of 85 of a training line (19 equal to one: 开个公司,
    # 失业金) were left out: 0.927/0.919/0.856 and 0.907/0.885/0.833 at the start, 0.945/0.937/0.894 and
    # 0.939/0.922/0.892 after the freeze.
    ("fresh6_a", 0.94, 0.93, 0.89),
    ("fresh6_b", 0.93, 0.92, 0.89),
    # Written after that freeze by new writers (same brief), first seen on d9e8ee0: 0.960/0.958/0.919 and
    # 0.918/0.898/0.871, two-errand lines not committed 19/20 and 20/20; the 21 and 29 lines within a
    # rapidfuzz ratio of 85 of a training line were left out first (with them: 0.963/0.960/0.923 and
    # 0.925/0.902/0.876).
    ("fresh7_a", 0.95, 0.95, 0.91),
    ("fresh7_b", 0.91, 0.89, 0.87),
]


@pytest.mark.parametrize(("name", "accuracy", "none_precision", "none_recall"), TUNED_FLOORS)
def test_accuracy_floor_on_each_blind_set_we_tuned_on(
    name: str, accuracy: float, none_precision: float, none_recall: float
) -> None:
    knowledge, matcher = build_guide()
    cases = read_cases(DATA / f"blind_{name}.jsonl")
    summary = summarise(run(cases, lambda text: first_reply_bundle(knowledge, matcher, text)))
    assert summary["accuracy"] >= accuracy
    assert summary["none_precision"] >= none_precision
    assert summary["none_recall"] >= none_recall


@pytest.mark.parametrize("flag", [["--json"], []])
def test_cli_report(flag: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.guide.eval", str(UNSEEN), *flag],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "accuracy" in done.stdout
    if flag:
        last = json.loads(done.stdout.strip().splitlines()[-1])
        assert {"n", "accuracy", "none_precision", "none_recall", "p50_ms", "p99_ms"} <= last.keys()
        assert last["n"] == len(read_cases(UNSEEN))
