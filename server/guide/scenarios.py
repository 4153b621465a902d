"""`python -m server.guide.scenarios FILE.jsonl [--json]`: play whole conversations against the real dialogue.

Each line is a scenario `{"id", "bundle", "opening", "facts": [{"topic", "value", "answer"}],
"expect_materials": [...], "expect_not_materials": [...]}` written by someone who never saw the questions.
The citizen sends the opening, then answers every question the guide asks. Harness rules (the same for
every bundle; no word list of any bundle):

- a question (or the optional-items choice) is answered with the fact whose topic (against the question's
  text) and value (against the text and option labels) share the most characters and character pairs
  (item names for the choice);
  facts below `FIT_AT` do not fit, and the citizen says `UNKNOWN`; for the items choice every fitting fact
  is said, joined with a comma; facts already used are preferred less, and a fact is never said twice to the
  same question (asked again, the citizen tries the next fitting fact, then `UNKNOWN`);
- a clarify is answered by tapping the scenario's bundle if it is offered (a question asked, too);
- a free-text answer is *understood* when the guide's next reply asks something else or gives the checklist;
- a material is present when, parenthetical asides removed (or kept, for the catalogue's name), one name
  contains the other, their rapidfuzz ratio (or that of their sorted characters) reaches `SAME_NAME_AT`, or
  they end alike (`SAME_SUFFIX` characters, `SUFFIX_SHARE` of the shorter: 母亲户口簿 / 居民户口簿), or
  nearly all characters of an expected name of `COVERED_FROM`+ characters are in the catalogue's name;
  alternatives written with 或 count if any of them is present; a material's `also_known_as` names count
  as its name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from server.guide.dialogue import BUNDLE_QUESTION, Message, new_state, step
from server.guide.eval import build_guide
from server.guide.knowledge import Knowledge
from server.guide.matcher import Matcher

UNKNOWN = "不清楚"
FIT_AT = 1.0  # share of the topic's characters plus share of its character pairs, summed over topic and value
SAME_NAME_AT = 80  # rapidfuzz ratio of the names, or of their sorted characters (words in another order)
SAME_SUFFIX = 3  # … or a common ending of at least 3 characters covering 60 % of the shorter name
SUFFIX_SHARE = 0.6
COVERED_FROM = 4  # … or, for a name of 4+ characters, 90 % of its characters in the catalogue's name
COVERED_SHARE = 0.9
MAX_TURNS = 20
_ASIDE = re.compile(r"[(（][^)）]*[)）]")
_NOT_CHAR = re.compile(r"[^\w]")
_TERMINAL = ("checklist",)


@dataclass
class Played:
    """One scenario's conversation and its figures."""

    id: str
    bundle: str
    questions: int = 0  # questions (and clarifies, item choices) asked after the opening
    answers: int = 0  # free-text answers sent
    understood: int = 0  # … of which moved the conversation on
    finished: bool = False
    switched_to: list[str] = field(default_factory=list)  # bundles other than the scenario's committed to
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)

    @property
    def checklist_right(self) -> bool:
        return self.finished and not self.missing and not self.unexpected and not self.switched_to


def _fit(text: str, prompt: str) -> float:
    """Share of `text`'s characters, plus share of its character pairs, found in `prompt`."""
    chars = _NOT_CHAR.sub("", text)
    if not chars:
        return 0.0
    pairs = [chars[i : i + 2] for i in range(len(chars) - 1)]
    share = sum(c in prompt for c in chars) / len(chars)
    return share + (sum(p in prompt for p in pairs) / len(pairs) if pairs else 0.0)


def fact_fit(fact: Mapping[str, str], question: str, options: str = "") -> float:
    """How well a fact fits a question: its topic against the question's text, its value against the
    text and the option labels."""
    return _fit(fact["topic"], question) + _fit(fact.get("value", ""), question + options)


def _prompt(reply: Mapping[str, Any]) -> tuple[str, str]:
    if reply["type"] == "items":
        return "".join(i["name"] for i in reply["items"]), ""
    return reply.get("text", ""), "".join(o["label"] for o in reply.get("options", []))


def citizen_answer(
    reply: Mapping[str, Any],
    facts: Sequence[Mapping[str, str]],
    used: set[int],
    tried: set[int] | None = None,
) -> str:
    """What the citizen types to this reply, by the harness rules above (`tried`: said to it already)."""
    question, options = _prompt(reply)
    tried = set() if tried is None else tried
    scored = [
        (fact_fit(f, question, options) - (0.5 if i in used else 0.0), i)
        for i, f in enumerate(facts)
        if i not in tried
    ]
    fitting = sorted(((s, i) for s, i in scored if s >= FIT_AT), reverse=True)
    if not fitting:
        return UNKNOWN
    if reply["type"] == "items":
        chosen = sorted(i for _, i in fitting)
    else:
        chosen = [fitting[0][1]]
    used.update(chosen)
    tried.update(chosen)
    return ",".join(facts[i]["answer"] for i in chosen)


def _bare(name: str) -> str:
    return _NOT_CHAR.sub("", _ASIDE.sub("", name))


def _suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _same(wanted: str, have: str) -> bool:
    shorter = min(len(wanted), len(have))
    return bool(wanted and have) and (
        wanted in have
        or have in wanted
        or fuzz.ratio(wanted, have) >= SAME_NAME_AT
        or fuzz.ratio(sorted(wanted), sorted(have)) >= SAME_NAME_AT
        or (_suffix(wanted, have) >= SAME_SUFFIX and _suffix(wanted, have) >= SUFFIX_SHARE * shorter)
        or (len(wanted) >= COVERED_FROM and sum(c in have for c in wanted) >= COVERED_SHARE * len(wanted))
    )


def same_material(expected: str, name: str) -> bool:
    """The harness's fuzzy material match (see the module docstring)."""
    names = (_bare(name), _NOT_CHAR.sub("", name))
    return any(_same(_bare(part), have) for part in _ASIDE.sub("", expected).split("或") for have in names)


def _present(expected: str, names: Iterable[str]) -> bool:
    return any(same_material(expected, n) for n in names)


def _asks(reply: Mapping[str, Any]) -> str | None:
    """The question a reply asks: a question id, the items choice, a clarify; None for a final reply."""
    if reply["type"] in ("question", "clarify"):
        return str(reply["question_id"])
    if reply["type"] == "items":
        return "__items__"
    inner = reply.get("question") or reply.get("choice")
    return _asks(inner) if inner else None


def _inner(reply: Mapping[str, Any]) -> Mapping[str, Any]:
    """The reply that asks or concludes: an answer may carry the next question, items or checklist."""
    return reply.get("question") or reply.get("choice") or reply.get("next") or reply


def play(scenario: Mapping[str, Any], knowledge: Knowledge, matcher: Matcher, today: dt.date) -> Played:
    """Play one scenario to its checklist (or `MAX_TURNS`)."""
    played = Played(scenario["id"], scenario["bundle"])
    facts = scenario["facts"]
    used: set[int] = set()
    tried: dict[str, set[int]] = {}
    state, reply = step(new_state(), Message(text=scenario["opening"]), knowledge, matcher, today)
    played.transcript.append((scenario["opening"], _summary(reply)))
    for _ in range(MAX_TURNS):
        if state.get("bundle") and state["bundle"] != scenario["bundle"]:
            played.switched_to.append(state["bundle"])
            break
        if _inner(reply)["type"] in _TERMINAL:
            played.finished = True
            break
        asked = _asks(reply)
        if asked is None:
            break
        played.questions += 1
        if asked == BUNDLE_QUESTION and any(o["id"] == scenario["bundle"] for o in reply["options"]):
            message = Message(answer=(BUNDLE_QUESTION, scenario["bundle"]))
            said = f"[tap {scenario['bundle']}]"
        else:
            said = citizen_answer(_inner(reply), facts, used, tried.setdefault(asked, set()))
            message = Message(text=said)
            played.answers += 1
        state, next_reply = step(state, message, knowledge, matcher, today)
        if message.text is not None and _asks(next_reply) != asked and next_reply["type"] != "fallback":
            played.understood += 1
        reply = next_reply
        played.transcript.append((said, _summary(reply)))
    if played.finished:
        materials = _inner(reply)["checklist"]["materials"]
        names = [n for m in materials for n in (m["name"], *m.get("also_known_as", ()))]
        played.missing = [m for m in scenario["expect_materials"] if not _present(m, names)]
        played.unexpected = [m for m in scenario.get("expect_not_materials", []) if _present(m, names)]
    return played


def _summary(reply: Mapping[str, Any]) -> str:
    asked = _asks(reply)
    understood = [f"{u['question_id']}={u['option_id']}" for u in reply.get("understood", [])]
    return f"{reply['type']}:{asked or ''} {' '.join(understood)}".strip()


def summarize(results: Sequence[Played]) -> dict[str, Any]:
    """The suite's figures: questions per scenario, share understood, checklists right, switches."""
    answers = sum(r.answers for r in results)
    return {
        "scenarios": len(results),
        "questions_per_scenario": round(sum(r.questions for r in results) / max(1, len(results)), 2),
        "answers_understood": round(sum(r.understood for r in results) / answers, 3) if answers else 1.0,
        "checklists_right": sum(r.checklist_right for r in results),
        "bundle_switches": sum(bool(r.switched_to) for r in results),
        "unfinished": [r.id for r in results if not r.finished],
    }


def read_scenarios(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(path: Path, today: dt.date | None = None) -> tuple[dict[str, Any], list[Played]]:
    knowledge, matcher = build_guide()
    day = today or dt.date.today()
    results = [play(s, knowledge, matcher, day) for s in read_scenarios(path)]
    return summarize(results), results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="figures and every conversation as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every conversation")
    args = parser.parse_args(argv)
    summary, results = run(args.file)
    if args.json:
        out = {"summary": summary, "scenarios": [asdict(r) | {"right": r.checklist_right} for r in results]}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for r in results:
        mark = "ok " if r.checklist_right else "BAD"
        print(f"{mark} {r.id:22} q={r.questions} understood={r.understood}/{r.answers}", end="")
        print(f" missing={r.missing} unexpected={r.unexpected} switched={r.switched_to}")
        if args.verbose or not r.checklist_right:
            for said, got in r.transcript:
                print(f"      > {said}\n        {got}")
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
