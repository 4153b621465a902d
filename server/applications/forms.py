"""一表申请: the chosen items' fields merged into one form, prefilled, and validated field by field.

The same rules serve the form route (shown to the client beside each field) and the application
route (checked again on the server). Pure: knowledge, values and today's date in, values or errors out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.auth.identity import normalize_id_number, normalize_phone
from server.guide.knowledge import Knowledge
from server.guide.schema import FieldType, FormField, Prefill
from server.privacy import mask_text


@dataclass(frozen=True)
class MergedField:
    field: FormField
    needed_by: tuple[str, ...]  # item ids, in the order the items were chosen


def merge(knowledge: Knowledge, items: Sequence[str]) -> list[MergedField]:
    """Each field once, in first-needed order, with the items that need it."""
    needed: dict[str, list[str]] = {}
    for item_id in items:
        for name in knowledge.items[item_id].form_fields:
            needed.setdefault(name, []).append(item_id)
    return [MergedField(knowledge.form_fields[name], tuple(by)) for name, by in needed.items()]


def prefilled(
    field: FormField, profile: Mapping[str, str | None], previous: Mapping[str, Any]
) -> tuple[Any, str | None]:
    """(value, where it came from) for a field, from the profile first, then the last application."""
    if Prefill.profile in field.prefill and field.profile_key and profile.get(field.profile_key):
        return profile[field.profile_key], "profile"
    if Prefill.previous_application in field.prefill and previous.get(field.name) is not None:
        return previous[field.name], "previous_application"
    return None, None


def describe(field: FormField) -> dict[str, Any]:
    """The rules of a field as a client shows and checks them before posting."""
    rules: dict[str, Any] = {}
    for key in ("max_length", "pattern", "minimum", "maximum"):
        value = getattr(field, key)
        if value is not None:
            rules[key] = value
    if field.integer:
        rules["integer"] = True
    if field.type == FieldType.date and field.date_range != "any":
        rules["date_range"] = field.date_range
    return rules


def _text(field: FormField, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("应填写文字")
    value = raw.strip()
    if not value:
        raise ValueError("不能为空")
    limit = field.max_length or (200 if field.type == FieldType.address else 100)
    if len(value) > limit:
        raise ValueError(f"不能超过{limit}个字")
    if field.type == FieldType.address and len(value) < 5:
        raise ValueError("地址过短,请写到街道门牌号")
    if field.pattern and not re.fullmatch(field.pattern, value):
        raise ValueError(field.pattern_message or "格式不正确")
    return value


def _date(field: FormField, raw: Any, today: dt.date) -> str:
    if not isinstance(raw, str):
        raise ValueError("日期格式应为 YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ValueError("日期格式应为 YYYY-MM-DD,且须是真实日期") from exc
    if day.year < 1900 or day.year > today.year + 10:
        raise ValueError("日期超出合理范围")
    if field.date_range == "past" and day > today:
        raise ValueError("不能晚于今天")
    if field.date_range == "future" and day < today:
        raise ValueError("不能早于今天")
    return day.isoformat()


def _number(field: FormField, raw: Any) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError("应填写数字")
    try:
        value = float(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise ValueError("应填写数字") from exc
    if not math.isfinite(value):
        raise ValueError("应填写数字")
    if field.integer and value != int(value):
        raise ValueError("应填写整数")
    if field.minimum is not None and value < field.minimum:
        raise ValueError(f"不能小于{field.minimum:g}")
    if field.maximum is not None and value > field.maximum:
        raise ValueError(f"不能大于{field.maximum:g}")
    return int(value) if field.integer else value


def clean(field: FormField, raw: Any, today: dt.date) -> Any:
    """The value in canonical form; ValueError with a message for the citizen when it is not valid."""
    kind = field.type
    if kind in (FieldType.text, FieldType.address):
        return _text(field, raw)
    if kind == FieldType.id_number:
        value = normalize_id_number(raw) if isinstance(raw, str) else None
        if value is None:
            raise ValueError("不是有效的18位居民身份证号码(请核对校验位)")
        return value
    if kind == FieldType.phone:
        value = normalize_phone(raw) if isinstance(raw, str) else None
        if value is None:
            raise ValueError("不是有效的11位手机号码")
        return value
    if kind == FieldType.date:
        return _date(field, raw, today)
    if kind == FieldType.choice:
        ids = [choice.id for choice in field.choices]
        if raw not in ids:
            raise ValueError("请选择:" + "、".join(c.label for c in field.choices))
        return raw
    if kind == FieldType.number:
        return _number(field, raw)
    if not isinstance(raw, bool):
        raise ValueError("应为是或否(true/false)")
    return raw


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def validate(
    fields: Sequence[MergedField], values: Mapping[str, Any], today: dt.date
) -> tuple[dict[str, Any], dict[str, str]]:
    """(clean values, errors by field name); a value for a field the form does not have is an error."""
    known = {merged.field.name: merged.field for merged in fields}
    errors = {name: "表单中没有这一项" for name in values if name not in known}
    result: dict[str, Any] = {}
    for name, field in known.items():
        raw = values.get(name)
        if _blank(raw):
            condition = field.required_if
            if field.required or (condition and values.get(condition.field) == condition.equals):
                errors[name] = f"请填写{field.label}"
            continue
        try:
            result[name] = clean(field, raw, today)
        except ValueError as exc:
            errors[name] = f"{field.label}{exc}"
    return result, errors


def masked(fields: Mapping[str, FormField], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as shown outside their owner: personal fields masked to their first and last characters."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        field = fields.get(name)
        if field is not None and field.personal and isinstance(value, str):
            text = mask_text(value)
            shown[name] = text if text != value else _hide_middle(value)
        else:
            shown[name] = value
    return shown


def _hide_middle(value: str) -> str:
    if len(value) <= 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
