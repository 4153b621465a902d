"""Which questions still matter for this person, which to ask first, which fold into the items choice.

Pure planning over a bundle, the answers so far and what each open question is narrowed to:
- an option's *outcome* is what it changes in the 一次告知 (items, materials, notes);
- a question is *settled* when the options still possible all have one outcome: it is never asked;
- an *opt-in* question is a wish: it only switches optional items on or off and one option at most adds
  any ("想做婚检吗"), or it is marked `ask_with_items`; it is asked as part of the one multi-select of
  optional items, not on its own (a situation whose options add different items is asked);
- of the questions left, the one whose possible options split into the most outcomes is asked first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from server.guide.checklist import applies, in_force, questions_in_force
from server.guide.schema import Bundle, Option, Question

Outcome = tuple[
    frozenset[str],
    frozenset[str],
    frozenset[tuple[str, str | None]],
    frozenset[tuple[str, str | None]],
    frozenset[str],
]


def outcome(option: Option, day: dt.date) -> Outcome:
    """What choosing `option` changes: added/dropped items and materials, and its notes in force."""
    return (
        frozenset(option.add_items),
        frozenset(option.drop_items),
        frozenset((c.material, c.item) for c in option.add_materials),
        frozenset((c.material, c.item) for c in option.drop_materials),
        frozenset(n.text for n in option.notes if n.in_force(day)),
    )


def possible(question: Question, narrowed: Mapping[str, Sequence[str]], day: dt.date) -> list[Option]:
    """The options in force still possible given what the citizen said."""
    options = in_force(question.options, day)
    allowed = narrowed.get(question.id)
    if allowed is None:
        return options
    kept = [o for o in options if o.id in allowed]
    return kept or options


def settled(question: Question, narrowed: Mapping[str, Sequence[str]], day: dt.date) -> Option | None:
    """The option to take without asking when every possible option has the same outcome."""
    options = possible(question, narrowed, day)
    if len({outcome(o, day) for o in options}) == 1:
        return options[0]
    return None


_OPT_IN: dict[tuple[int, int], tuple[Bundle, Question, bool]] = {}


def opt_in(bundle: Bundle, question: Question) -> bool:
    """A wish, asked as items: its options only switch optional items, the ones that add items add the
    same (想做婚检吗 / 要办生育登记吗), and no other question depends on it; or it is marked
    `ask_with_items`. A question whose options only drop items ("缴费满一年吗") is a situation: asked.

    Depends on the bundle alone: worked out once per bundle of a knowledge release."""
    key = (id(bundle), id(question))
    known = _OPT_IN.get(key)
    if known is not None and known[0] is bundle and known[1] is question:
        return known[2]
    if len(_OPT_IN) > 10_000:
        _OPT_IN.clear()
    answer = _opt_in(bundle, question)
    _OPT_IN[key] = (bundle, question, answer)
    return answer


def _opt_in(bundle: Bundle, question: Question) -> bool:
    optional = {e.item for e in bundle.items if e.optional}
    if any(c.question == question.id for q in bundle.questions for c in q.ask_if):
        return False
    only_items = all({*o.add_items, *o.drop_items} <= optional for o in question.options) and any(
        o.add_items or o.drop_items for o in question.options
    )
    if question.ask_with_items:
        return only_items
    added = {frozenset(o.add_items) for o in question.options if o.add_items}
    no_materials = all(not o.add_materials and not o.drop_materials for o in question.options)
    return only_items and len(added) == 1 and no_materials


def open_questions(bundle: Bundle, answers: Mapping[str, str], day: dt.date) -> list[Question]:
    """Questions in force, applicable and unanswered, in the bundle's order."""
    return [q for q in questions_in_force(bundle, day) if q.id not in answers and applies(q, answers)]


def gated(
    bundle: Bundle, question: Question, option: Option, answers: Mapping[str, str], day: dt.date
) -> frozenset[str]:
    """The unanswered questions that depend on `question` (`ask_if`) and would be asked after `option`:
    a side of a sale decides which half of the questionnaire applies, though it changes no material."""
    after = {**answers, question.id: option.id}
    return frozenset(
        q.id
        for q in questions_in_force(bundle, day)
        if q.id not in answers and any(c.question == question.id for c in q.ask_if) and applies(q, after)
    )


def next_question(
    bundle: Bundle,
    answers: Mapping[str, str],
    narrowed: Mapping[str, Sequence[str]],
    skip: Collection[str],
    day: dt.date,
) -> Question | None:
    """The open, unsettled, not opt-in question whose possible options split into the most outcomes (what
    an option changes, and which dependent questions it leaves to ask)."""
    best: tuple[int, int, Question] | None = None
    for index, question in enumerate(open_questions(bundle, answers, day)):
        if question.id in skip or opt_in(bundle, question):
            continue
        options = possible(question, narrowed, day)
        outcomes = len({(outcome(o, day), gated(bundle, question, o, answers, day)) for o in options})
        if outcomes > 1 and (best is None or outcomes > best[0]):
            best = (outcomes, index, question)
    return best[2] if best else None


def option_for_items(question: Question, chosen: Collection[str], day: dt.date) -> Option | None:
    """The opt-in question's option the chosen items amount to (adds all chosen, drops none), if one."""
    fitting = [
        o
        for o in in_force(question.options, day)
        if set(o.add_items) <= set(chosen) and not set(o.drop_items) & set(chosen)
    ]
    fitting.sort(key=lambda o: -len(o.add_items))
    if fitting and (len(fitting) == 1 or len(fitting[0].add_items) > len(fitting[1].add_items)):
        return fitting[0]
    return None
