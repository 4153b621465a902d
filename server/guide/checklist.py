"""The 一次告知 checklist: (bundle, answers, chosen items, day) -> one complete, personalised notice.

Pure: takes the knowledge and the date as arguments. Everything served is what is in force on `day`.
Item selection: mandatory items, plus the chosen optional items (or, when nothing was chosen, the
defaults adjusted by the answers' add/drop), then every `required_together` group kept all-or-none.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from server.guide.knowledge import Knowledge
from server.guide.schema import (
    CALENDAR_DAYS_A_WEEK,
    WORKING_DAYS_A_WEEK,
    ApplicantDeadline,
    Bundle,
    ChecklistTexts,
    Dated,
    Item,
    MaterialChange,
    MaterialForm,
    MaterialUse,
    Option,
    Question,
    TimeLimit,
)
from server.json_codec import dumps, loads

D = TypeVar("D", bound=Dated)


class ChecklistError(ValueError):
    """The caller asked for something the bundle does not have (unknown question, option or item)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def in_force(entries: Iterable[D], day: dt.date) -> list[D]:
    """The dated entries that apply on `day`."""
    return [entry for entry in entries if entry.in_force(day)]


def questions_in_force(bundle: Bundle, day: dt.date) -> list[Question]:
    """The bundle's situation questions in force on `day`, in asking order."""
    return in_force(bundle.questions, day)


def applies(question: Question, answers: Mapping[str, str]) -> bool:
    """True when every `ask_if` condition holds for the answers given so far."""
    return all(answers.get(cond.question) in cond.options for cond in question.ask_if)


def with_assumptions(bundle: Bundle, answers: Mapping[str, str], day: dt.date) -> dict[str, str]:
    """The answers, and the likely option (`assume`, else the one "不清楚" picks) of each question not
    answered: what `ask_if` is checked against, so a caller that leaves the side of a sale unsaid gets the
    questions of both (买卖双方)."""
    questions = questions_in_force(bundle, day)
    assumed = {q.id: likely for q in questions if (likely := q.assume or q.unsure) is not None}
    return {**assumed, **answers}


def find_option(question: Question, option_id: str, day: dt.date) -> Option | None:
    """The option of `question` with this id in force on `day`, or None."""
    return next((o for o in in_force(question.options, day) if o.id == option_id), None)


def chosen_options(knowledge: Knowledge, slug: str, answers: Mapping[str, str], day: dt.date) -> list[Option]:
    """The options picked by valid answers to questions that apply; ChecklistError on unknown ids."""
    bundle = bundle_of(knowledge, slug)
    questions = {q.id: q for q in questions_in_force(bundle, day)}
    for question_id, option_id in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise ChecklistError("unknown_question", f"Bundle '{slug}' has no question '{question_id}'.")
        if find_option(question, option_id, day) is None:
            raise ChecklistError("unknown_option", f"Question '{question_id}' has no option '{option_id}'.")
    picked: list[Option] = []
    known = with_assumptions(bundle, answers, day)
    for question in questions.values():
        answer = answers.get(question.id)
        if answer is not None and applies(question, known):
            option = find_option(question, answer, day)
            if option is not None:
                picked.append(option)
    return picked


def bundle_of(knowledge: Knowledge, slug: str) -> Bundle:
    """The bundle called `slug`, or ChecklistError unknown_bundle."""
    bundle = knowledge.bundles.get(slug)
    if bundle is None:
        raise ChecklistError("unknown_bundle", f"No bundle called '{slug}'.")
    return bundle


def optional_items(knowledge: Knowledge, slug: str, day: dt.date) -> list[Item]:
    """The optional items of a bundle in force on `day`, in bundle order."""
    bundle = bundle_of(knowledge, slug)
    return [
        knowledge.items[e.item] for e in bundle.items if e.optional and knowledge.items[e.item].in_force(day)
    ]


def select_items(
    knowledge: Knowledge,
    slug: str,
    options: Sequence[Option],
    chosen: Iterable[str] | None,
    day: dt.date,
) -> list[str]:
    """The items to do, in bundle order; explicit choices win over answers for optional items."""
    bundle = bundle_of(knowledge, slug)
    entries = [e for e in bundle.items if knowledge.items[e.item].in_force(day)]
    optional = {e.item for e in entries if e.optional}
    mandatory = {e.item for e in entries if not e.optional}
    added = {i for o in options for i in o.add_items}
    dropped = {i for o in options for i in o.drop_items}
    if chosen is None:
        defaults = {e.item for e in entries if e.optional and e.selected_by_default}
        selected = ((mandatory | defaults | added) - dropped) & (mandatory | optional)
        for group in bundle.required_together:
            if selected & set(group):
                selected |= set(group) & (mandatory | optional)
    else:
        picked = set(chosen)
        unknown = picked - optional
        if unknown:
            raise ChecklistError(
                "unknown_item",
                f"Not an optional item of '{slug}': {', '.join(sorted(unknown))}. "
                f"Optional items: {', '.join(sorted(optional)) or 'none'}.",
            )
        selected = (mandatory - dropped) | picked
        for group in bundle.required_together:
            members = set(group) & (mandatory | optional)
            if selected & members and not members <= selected:
                raise ChecklistError(
                    "partial_group",
                    "These items are required together by law; choose all or none of them: "
                    + ", ".join(group)
                    + ".",
                )
    return [e.item for e in entries if e.item in selected]


# --- materials -------------------------------------------------------------------------------


@dataclass
class _Need:
    """One item's use of one material, after the answers' changes."""

    item: str
    material: str
    form: MaterialForm
    copies: int
    required: bool
    waivable: bool
    note: str | None


def _matches(change: MaterialChange, item_id: str, material: str) -> bool:
    return change.material == material and change.item in (None, item_id)


def _needs(
    knowledge: Knowledge, items: Sequence[str], options: Sequence[Option], day: dt.date
) -> list[_Need]:
    """Every (item, material) need of the selected items, with option drops and adds applied."""
    drops = [c for o in options for c in o.drop_materials]
    adds = [c for o in options for c in o.add_materials]
    needs: list[_Need] = []
    for item_id in items:
        uses: list[MaterialUse] = in_force(knowledge.items[item_id].materials, day)
        for use in uses:
            if any(_matches(c, item_id, use.material) for c in drops):
                continue
            needs.append(
                _Need(item_id, use.material, use.form, use.copies, use.required, use.waivable, use.note)
            )
        for change in adds:
            if change.item in (None, item_id):
                needs.append(
                    _Need(
                        item_id,
                        change.material,
                        change.form,
                        change.copies,
                        change.required,
                        False,
                        change.note,
                    )
                )
    return needs


def _combined_form(forms: set[MaterialForm]) -> str:
    """One form for a material several items need: original and copy together when both are asked."""
    if len(forms) == 1:
        return next(iter(forms)).value
    if forms <= {MaterialForm.original, MaterialForm.copy, MaterialForm.original_and_copy}:
        return MaterialForm.original_and_copy.value
    return "mixed"


def merge_materials(knowledge: Knowledge, needs: Sequence[_Need]) -> list[dict[str, Any]]:
    """Each material once, in first-needed order: who needs it, form, copies, whether it can be skipped."""
    texts = texts_of(knowledge)
    grouped: dict[str, list[_Need]] = {}
    for need in needs:
        grouped.setdefault(need.material, []).append(need)
    merged = []
    for material_id, group in grouped.items():
        material = knowledge.materials[material_id]
        waivable = all(n.waivable for n in group)
        merged.append(
            {
                "id": material_id,
                "name": material.name,
                "also_known_as": list(material.aliases),
                "kind": material.kind.value,
                "description": material.description,
                "form": _combined_form({n.form for n in group}),
                "copies": max(n.copies for n in group),
                "required": any(n.required for n in group),
                "can_skip": waivable,
                "skip_reason": _skip_reason(waivable, material.shared_data, material.e_license, texts),
                "e_license": material.e_license,
                "shared_data": material.shared_data,
                "needed_by": [
                    {
                        "item": n.item,
                        "item_name": knowledge.items[n.item].name,
                        "form": n.form.value,
                        "copies": n.copies,
                        "required": n.required,
                        "note": n.note,
                    }
                    for n in group
                ],
            }
        )
    return merged


def _skip_reason(waivable: bool, shared_data: bool, e_license: bool, texts: ChecklistTexts) -> str | None:
    """Why a material can be left at home, in words, when it can."""
    if not waivable:
        return None
    if shared_data:
        return texts.skip_shared_data
    if e_license:
        return texts.skip_e_license
    return texts.skip_joint_office


# --- steps -----------------------------------------------------------------------------------


def stages(knowledge: Knowledge, items: Sequence[str]) -> list[list[str]]:
    """Topological layers of `requires` within the selected items: each layer can run in parallel."""
    chosen = set(items)
    done: set[str] = set()
    layers: list[list[str]] = []
    remaining = list(items)
    while remaining:
        layer = [
            i for i in remaining if all(r in done or r not in chosen for r in knowledge.items[i].requires)
        ]
        if not layer:  # a cycle; the loader rejects these, so this only guards the loop
            layer = remaining
        layers.append(layer)
        done.update(layer)
        remaining = [i for i in remaining if i not in done]
    return layers


def critical_path(knowledge: Knowledge, layers: Sequence[Sequence[str]]) -> tuple[int, list[str]]:
    """Working days of the longest dependency chain (calendar days converted, rounded up) and that chain."""
    chosen = {i for layer in layers for i in layer}
    finish: dict[str, int] = {}
    before: dict[str, str | None] = {}
    for layer in layers:
        for item_id in layer:
            requires = [r for r in knowledge.items[item_id].requires if r in chosen and r in finish]
            prior = max(requires, key=lambda r: finish[r], default=None)
            before[item_id] = prior
            finish[item_id] = knowledge.items[item_id].time_limit.working_days() + (
                finish[prior] if prior else 0
            )
    if not finish:
        return 0, []
    end = max(finish, key=lambda i: finish[i])
    total = finish[end]
    last: str | None = end
    chain: list[str] = []
    while last is not None:
        chain.append(last)
        last = before[last]
    return total, chain[::-1]


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def texts_of(knowledge: Knowledge) -> ChecklistTexts:
    """The checklist's wording (stand-ins in partial knowledge)."""
    return knowledge.dialogue.checklist_texts or ChecklistTexts.missing()


def _time_limit(limit: TimeLimit, texts: ChecklistTexts) -> dict[str, Any]:
    """An item's time limit with its unit and its figure in working days (approximate if converted)."""
    return {
        **_dump(limit),
        "days": limit.days(),
        "unit": texts.unit(limit.calendar_days),
        "working_days": limit.working_days(),
        "approximate": limit.approximate(),
    }


def _applicant_deadline(deadline: ApplicantDeadline, texts: ChecklistTexts) -> dict[str, Any]:
    """A deadline the applicant must meet, with the unit of its days when it gives any."""
    dumped = _dump(deadline)
    if deadline.days is not None:
        dumped["unit"] = texts.unit(deadline.calendar_days)
    return dumped


def _step(knowledge: Knowledge, item_id: str, chosen: set[str], day: dt.date) -> dict[str, Any]:
    """One item as a step: who, where, how long, by when, what it costs, what it needs first."""
    item = knowledge.items[item_id]
    step = {
        "item": item.id,
        "name": item.name,
        "department": item.department,
        "requires": [r for r in item.requires if r in chosen],
        "time_limit": _time_limit(item.time_limit, texts_of(knowledge)),
        "channels": _dump(item.channels),
        "result": item.result,
        "fees": [_dump(fee) for fee in in_force(item.fees, day)],
    }
    if item.applicant_deadline is not None:
        step["applicant_deadline"] = _applicant_deadline(item.applicant_deadline, texts_of(knowledge))
    return step


def _deadlines(knowledge: Knowledge, items: Sequence[str]) -> list[dict[str, Any]]:
    """办理时限提醒: the applicant deadlines of the selected items, in item order."""
    return [
        {
            "item": i,
            "item_name": knowledge.items[i].name,
            **_applicant_deadline(deadline, texts_of(knowledge)),
        }
        for i in items
        if (deadline := knowledge.items[i].applicant_deadline) is not None
    ]


def _total_time_limit(
    knowledge: Knowledge, items: Sequence[str], total: int, chain: list[str]
) -> dict[str, Any]:
    """The critical path's length in working days, approximate when calendar days were converted."""
    approximate = any(knowledge.items[i].time_limit.approximate() for i in chain)
    texts = texts_of(knowledge)
    summary: dict[str, Any] = {
        "total_working_days": total,
        "unit": texts.working_days,
        "approximate": approximate,
        "critical_path": chain,
        "varies_by_locality": any(knowledge.items[i].time_limit.varies_by_locality for i in items),
    }
    if approximate:
        summary["note"] = texts.approximate_total.format(
            calendar=CALENDAR_DAYS_A_WEEK, working=WORKING_DAYS_A_WEEK
        )
    return summary


def _fees(knowledge: Knowledge, items: Sequence[str], day: dt.date) -> dict[str, Any]:
    """Every fee of the selected items, whether all are free, and the sum of the fixed amounts."""
    fees = [{"item": i, **_dump(fee)} for i in items for fee in in_force(knowledge.items[i].fees, day)]
    return {
        "items": fees,
        "all_free": all(fee.get("free", False) for fee in fees),
        "fixed_total_yuan": sum(fee.get("amount_yuan", 0) or 0 for fee in fees),
        "varies_by_locality": any(fee.get("varies_by_locality", False) for fee in fees),
    }


def _departments(knowledge: Knowledge, items: Sequence[str]) -> list[dict[str, Any]]:
    """Each department once, with the items it handles and where to go for them."""
    departments: dict[str, dict[str, Any]] = {}
    for item_id in items:
        item = knowledge.items[item_id]
        entry = departments.setdefault(item.department, {"name": item.department, "items": [], "offline": []})
        entry["items"].append(item_id)
        if item.channels.offline and item.channels.offline not in entry["offline"]:
            entry["offline"].append(item.channels.offline)
    return list(departments.values())


def _notes(
    knowledge: Knowledge, bundle: Bundle, items: Sequence[str], options: Sequence[Option], day: dt.date
) -> list[dict[str, Any]]:
    """The bundle's, the selected items' and the answers' notes in force on `day`, each text once."""
    sources = [("bundle", bundle.slug, n) for n in bundle.notes]
    sources += [("item", i, n) for i in items for n in knowledge.items[i].notes]
    sources += [("answer", o.id, n) for o in options for n in o.notes]
    seen: set[str] = set()
    notes = []
    for about, ref, note in sources:
        if note.in_force(day) and note.text not in seen:
            seen.add(note.text)
            notes.append({"about": about, "ref": ref, **_dump(note)})
    return notes


def _legal_bases(knowledge: Knowledge, items: Sequence[str]) -> list[dict[str, Any]]:
    """Each legal basis once, with the items that rest on it."""
    bases: dict[tuple[str, str | None], dict[str, Any]] = {}
    for item_id in items:
        for source in knowledge.items[item_id].legal_basis:
            entry = bases.setdefault((source.title, source.article), {**_dump(source), "items": []})
            entry["items"].append(item_id)
    return list(bases.values())


# Checklists remembered per knowledge release, as JSON bytes: each caller gets its own copy (a copy is
# about a fifth of a build). Two releases at most: the one serving and the one a reload replaces.
CHECKLIST_MEMO_SIZE = 512
_MemoKey = tuple[str, frozenset[tuple[str, str]], tuple[str, ...] | None, dt.date]
_MEMOS: dict[int, tuple[Knowledge, OrderedDict[_MemoKey, bytes]]] = {}


def build_checklist(
    knowledge: Knowledge,
    slug: str,
    answers: Mapping[str, str],
    chosen_items: Iterable[str] | None,
    day: dt.date,
) -> dict[str, Any]:
    """The 一次告知 for `slug` given the answers and chosen items, as in force on `day`.

    Remembered for the most recent `CHECKLIST_MEMO_SIZE` distinct questions of this knowledge.
    """
    chosen = None if chosen_items is None else tuple(chosen_items)
    key: _MemoKey = (slug, frozenset(answers.items()), chosen, day)
    memo = _memo_of(knowledge)
    stored = memo.get(key)
    if stored is not None:
        memo.move_to_end(key)
        return loads(stored)
    checklist = _build(knowledge, slug, answers, chosen, day)
    memo[key] = dumps(checklist)
    while len(memo) > CHECKLIST_MEMO_SIZE:
        memo.popitem(last=False)
    return checklist


def _memo_of(knowledge: Knowledge) -> OrderedDict[_MemoKey, bytes]:
    entry = _MEMOS.get(id(knowledge))
    if entry is None or entry[0] is not knowledge:
        while len(_MEMOS) >= 2:
            del _MEMOS[next(iter(_MEMOS))]
        entry = _MEMOS[id(knowledge)] = (knowledge, OrderedDict())
    return entry[1]


def _build(
    knowledge: Knowledge,
    slug: str,
    answers: Mapping[str, str],
    chosen_items: Iterable[str] | None,
    day: dt.date,
) -> dict[str, Any]:
    bundle = bundle_of(knowledge, slug)
    options = chosen_options(knowledge, slug, answers, day)
    items = select_items(knowledge, slug, options, chosen_items, day)
    layers = stages(knowledge, items)
    total_days, chain = critical_path(knowledge, layers)
    chosen = set(items)
    known = with_assumptions(bundle, answers, day)
    unanswered = [q.id for q in questions_in_force(bundle, day) if q.id not in answers and applies(q, known)]
    return {
        "bundle": bundle.slug,
        "name": bundle.name,
        "as_of": day.isoformat(),
        "version": knowledge.version,
        "answers": dict(answers),
        "unanswered": unanswered,
        "items": [
            {"id": i, "name": knowledge.items[i].name, "optional": i not in _mandatory(bundle)} for i in items
        ],
        "materials": merge_materials(knowledge, _needs(knowledge, items, options, day)),
        "steps": [
            {
                "stage": n,
                "parallel": len(layer) > 1,
                "items": [_step(knowledge, i, chosen, day) for i in layer],
            }
            for n, layer in enumerate(layers, start=1)
        ],
        "time_limit": _total_time_limit(knowledge, items, total_days, chain),
        "deadlines": _deadlines(knowledge, items),
        "fees": _fees(knowledge, items, day),
        "departments": _departments(knowledge, items),
        "channels": _dump(bundle.channels),
        "online_entry": bundle.channels.online,
        "notes": _notes(knowledge, bundle, items, options, day),
        "legal_basis": _legal_bases(knowledge, items),
    }


def _mandatory(bundle: Bundle) -> set[str]:
    return {e.item for e in bundle.items if not e.optional}
