"""Follow-ups answered in context from the conversation's checklist: 要多久, 要钱吗, 在哪办, 能网上办吗,
要本人去吗, 需要复印件吗, and "what about X" for one material or one step.

Pure: each answer is built from the 一次告知 (`checklist.build_checklist`) the conversation has reached, in
the wording of `follow_up_texts` in `knowledge/dialogue.yaml` (`FollowUpTexts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from server.guide.schema import FollowUpTexts

Checklist = Mapping[str, Any]


def _days(limit: Mapping[str, Any], texts: FollowUpTexts) -> str:
    if limit.get("on_the_spot"):
        return texts.on_the_spot
    if limit.get("promised_days") is not None or limit.get("statutory_days") is not None:
        return texts.working_days.format(days=limit["working_days"])
    return str(limit.get("note") or texts.time_unknown)


def _step_items(checklist: Checklist) -> list[dict[str, Any]]:
    return [item for stage in checklist["steps"] for item in stage["items"]]


def _lines(lines: list[str], texts: FollowUpTexts) -> str:
    return texts.line_separator.join(lines)


def _form(form: str, texts: FollowUpTexts) -> str:
    return texts.forms.get(form, form)


def _time_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    lines = [
        texts.time_line.format(name=i["name"], days=_days(i["time_limit"], texts))
        for i in _step_items(checklist)
    ]
    total = checklist["time_limit"]["total_working_days"]
    summary = texts.time_total.format(days=total) if total else texts.time_quick
    caveat = texts.time_varies if checklist["time_limit"]["varies_by_locality"] else ""
    return _lines(lines, texts) + texts.end + summary + caveat + texts.end


def _fee_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    fees = checklist["fees"]
    if fees["all_free"]:
        return texts.all_free
    parts = [
        texts.fee_line.format(
            name=f["name"],
            rule=f.get("rule") or (texts.free if f.get("free") else f.get("amount_yuan", texts.local)),
        )
        for f in fees["items"]
    ]
    return _lines(parts, texts) + texts.end


def _place_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    where = [
        texts.place_line.format(name=d["name"], places=texts.separator.join(d["offline"]) or texts.local)
        for d in checklist["departments"]
    ]
    joint = checklist["channels"].get("offline")
    return (texts.place_joint.format(place=joint) if joint else "") + texts.place_lines.format(
        lines=_lines(where, texts)
    )


def _online_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    entry = checklist["online_entry"]
    online = [
        texts.online_line.format(name=i["name"], channel=i["channels"]["online"])
        for i in _step_items(checklist)
        if i["channels"].get("online")
    ]
    head = texts.online_entry.format(entry=entry) if entry else texts.online_none
    return head + (texts.online_items.format(lines=_lines(online, texts)) if online else "")


def _in_person_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    who = [
        texts.in_person_line.format(name=i["name"], who=i["channels"]["in_person"])
        for i in _step_items(checklist)
        if i["channels"].get("in_person")
    ]
    overall = checklist["channels"].get("in_person")
    if not who and not overall:
        return texts.in_person_unknown
    return (f"{overall}{texts.end}" if overall else "") + _lines(who, texts) + (texts.end if who else "")


def _materials_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    names = [m["name"] + (texts.can_skip if m["can_skip"] else "") for m in checklist["materials"]]
    return texts.materials.format(names=texts.separator.join(names))


def _copies(material: Mapping[str, Any], texts: FollowUpTexts) -> str:
    copies = material.get("copies", 1)
    return texts.copies_count.format(copies=copies) if copies > 1 else ""


def _copies_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    lines = [
        texts.copies_line.format(name=m["name"], form=_form(m["form"], texts) + _copies(m, texts))
        for m in checklist["materials"]
    ]
    return texts.copies_lines.format(lines=_lines(lines, texts))


def _material_line(material: Mapping[str, Any], texts: FollowUpTexts) -> str:
    users = texts.separator.join(n["item_name"] for n in material.get("needed_by", []))
    return texts.material_line.format(
        name=material["name"],
        form=_form(material["form"], texts),
        copies=_copies(material, texts),
        skip=texts.material_skip if material["can_skip"] else "",
        users=texts.material_users.format(items=users) if users else "",
    )


def about(checklist: Checklist, core: str, texts: FollowUpTexts) -> str | None:
    """An answer about one material or step the text names, or None when it names none."""
    if len(core) < 2:
        return None
    materials = [m for m in checklist["materials"] if any(_names(core, n) for n in _material_names(m))]
    if materials:
        return _lines([_material_line(m, texts) for m in materials], texts) + texts.end
    items = [i for i in _step_items(checklist) if _names(core, i["name"])]
    return _item_lines(items, texts) if items else None


def _material_names(material: Mapping[str, Any]) -> list[str]:
    """A material's name and the other names it is known by."""
    return [material["name"], *material.get("also_known_as", ())]


def _names(core: str, name: str) -> bool:
    """The text's core names this (the whole name, or its part before an aside)."""
    return core in name or _short(name) in core


def _short(name: str) -> str:
    return name.split("(")[0].split("(")[0]


def _item_answer(checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    found = about(checklist, core, texts)
    return texts.item_missing if found is None else found


def _item_lines(items: list[dict[str, Any]], texts: FollowUpTexts) -> str:
    lines = [
        texts.item_line.format(
            name=i["name"],
            department=i["department"],
            days=_days(i["time_limit"], texts),
            order=(
                texts.item_requires.format(items=texts.separator.join(i["requires"]))
                if i["requires"]
                else texts.item_direct
            ),
        )
        for i in items
    ]
    return _lines(lines, texts) + texts.end


ANSWERS: dict[str, Callable[[Checklist, str, FollowUpTexts], str]] = {
    "copies": _copies_answer,
    "time": _time_answer,
    "fee": _fee_answer,
    "place": _place_answer,
    "online": _online_answer,
    "in_person": _in_person_answer,
    "materials": _materials_answer,
    "item": _item_answer,
}


def answer(topic: str, checklist: Checklist, core: str, texts: FollowUpTexts) -> str:
    """The answer to a follow-up `topic` ('time', 'fee' …, or 'item' for one material or step)."""
    return ANSWERS.get(topic, _item_answer)(checklist, core, texts)
