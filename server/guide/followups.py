"""Follow-ups answered in context from the conversation's checklist: 要多久, 要钱吗, 在哪办, 能网上办吗,
要本人去吗, 需要复印件吗, and "what about X" for one material or one step.

Pure: each answer is built from the 一次告知 (`checklist.build_checklist`) the conversation has reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FORM_NAMES = {
    "original": "原件",
    "copy": "复印件",
    "original_and_copy": "原件和复印件",
    "electronic": "电子件",
    "signed_on_site": "现场签署",
    "provided_on_site": "现场提供",
    "mixed": "按各事项要求",
}


def _days(limit: Mapping[str, Any]) -> str:
    if limit.get("on_the_spot"):
        return "当场办结"
    if limit.get("promised_days") is not None or limit.get("statutory_days") is not None:
        return f"{limit['working_days']}个工作日"
    return limit.get("note") or "以当地公布为准"


def _step_items(checklist: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [item for stage in checklist["steps"] for item in stage["items"]]


def _time_answer(checklist: Mapping[str, Any], core: str) -> str:
    lines = [f"{i['name']}:{_days(i['time_limit'])}" for i in _step_items(checklist)]
    total = checklist["time_limit"]["total_working_days"]
    summary = f"全部办完按最长的先后链条约需{total}个工作日" if total else "主要事项可当场或很快办结"
    caveat = "(部分时限各地不同)" if checklist["time_limit"]["varies_by_locality"] else ""
    return ";".join(lines) + f"。{summary}{caveat}。"


def _fee_answer(checklist: Mapping[str, Any], core: str) -> str:
    fees = checklist["fees"]
    if fees["all_free"]:
        return "都不收费。"
    parts = [
        f"{f['name']}:{f.get('rule') or ('免费' if f.get('free') else f.get('amount_yuan', '以当地为准'))}"
        for f in fees["items"]
    ]
    return ";".join(parts) + "。"


def _place_answer(checklist: Mapping[str, Any], core: str) -> str:
    where = [f"{d['name']}:{'、'.join(d['offline']) or '以当地为准'}" for d in checklist["departments"]]
    joint = checklist["channels"].get("offline")
    return (f"可到{joint}一并办理。" if joint else "") + "各事项办理地点:" + ";".join(where) + "。"


def _online_answer(checklist: Mapping[str, Any], core: str) -> str:
    entry = checklist["online_entry"]
    online = [
        f"{i['name']}:{i['channels']['online']}"
        for i in _step_items(checklist)
        if i["channels"].get("online")
    ]
    head = f"网上入口:{entry}。" if entry else "这件事暂无统一的网上入口。"
    return head + ("可网上办理或预约的事项:" + ";".join(online) + "。" if online else "")


def _in_person_answer(checklist: Mapping[str, Any], core: str) -> str:
    who = [
        f"{i['name']}:{i['channels']['in_person']}"
        for i in _step_items(checklist)
        if i["channels"].get("in_person")
    ]
    overall = checklist["channels"].get("in_person")
    if not who and not overall:
        return "资料未写明必须本人到场,一般可委托他人代办,请携带委托书和双方身份证件,以当地要求为准。"
    return (f"{overall}。" if overall else "") + ";".join(who) + ("。" if who else "")


def _materials_answer(checklist: Mapping[str, Any], core: str) -> str:
    names = [m["name"] + ("(可免交)" if m["can_skip"] else "") for m in checklist["materials"]]
    return "需要准备:" + "、".join(names) + "。完整清单见一次告知。"


def _copies_answer(checklist: Mapping[str, Any], core: str) -> str:
    lines = [
        f"{m['name']}:{FORM_NAMES.get(m['form'], m['form'])}"
        + (f"{m['copies']}份" if m.get("copies", 1) > 1 else "")
        for m in checklist["materials"]
    ]
    return "各材料的形式:" + ";".join(lines) + "。"


def _material_line(material: Mapping[str, Any]) -> str:
    form = FORM_NAMES.get(material["form"], material["form"])
    copies = f"{material['copies']}份" if material.get("copies", 1) > 1 else ""
    skip = ",可通过数据共享或电子证照免交" if material["can_skip"] else ""
    users = "、".join(n["item_name"] for n in material.get("needed_by", []))
    return f"{material['name']}:{form}{copies}{skip}" + (f";{users}需要" if users else "")


def about(checklist: Mapping[str, Any], core: str) -> str | None:
    """An answer about one material or step the text names, or None when it names none."""
    if len(core) < 2:
        return None
    materials = [m for m in checklist["materials"] if core in m["name"] or _short(m["name"]) in core]
    if materials:
        return ";".join(_material_line(m) for m in materials) + "。"
    items = [i for i in _step_items(checklist) if core in i["name"] or _short(i["name"]) in core]
    return _item_lines(items) if items else None


def _short(name: str) -> str:
    return name.split("(")[0].split("(")[0]


def _item_answer(checklist: Mapping[str, Any], core: str) -> str:
    found = about(checklist, core)
    if found is None:
        return "这件事当前的办理清单里没有相关事项;如需办理,可以告诉我您的情况。"
    return found


def _item_lines(items: list[dict[str, Any]]) -> str:
    return (
        ";".join(
            f"{i['name']}由{i['department']}办理,{_days(i['time_limit'])},"
            + (f"需先办完{'、'.join(i['requires'])}" if i["requires"] else "可直接办理")
            for i in items
        )
        + "。"
    )


ANSWERS = {
    "copies": _copies_answer,
    "time": _time_answer,
    "fee": _fee_answer,
    "place": _place_answer,
    "online": _online_answer,
    "in_person": _in_person_answer,
    "materials": _materials_answer,
    "item": _item_answer,
}


def answer(topic: str, checklist: Mapping[str, Any], core: str) -> str:
    """The answer to a follow-up `topic` ('time', 'fee' …, or 'item' for one material or step)."""
    return ANSWERS.get(topic, _item_answer)(checklist, core)
