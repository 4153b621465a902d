"""Notification categories and their Chinese wording, read from `knowledge/notifications.yaml`.

Which categories exist, which are critical (a citizen cannot switch them off) and how each is worded
is knowledge, reviewed like the rest of `knowledge/`; this module only loads, validates and renders.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.push.errors import PushConfigError

FILE_NAME = "notifications.yaml"
_FIELDS = frozenset(
    {"bundle", "item", "department", "receipt_no", "reason", "missing", "deadline", "collect", "text"}
)


class _Category(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=16)
    critical: bool
    phrase: str = Field(min_length=1, max_length=5)
    title: str = Field(min_length=1, max_length=64)
    body: str = Field(min_length=1, max_length=500)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: dict[str, _Category] = Field(min_length=1)
    collect: dict[str, str] = Field(default_factory=dict)  # 出件 method -> how to say it


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    critical: bool
    phrase: str
    title: str
    body: str


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


class Blanks(dict):
    """Format values where an absent name renders as empty text."""

    def __missing__(self, key: str) -> str:
        return ""


class Texts:
    """The categories, in file order."""

    def __init__(self, categories: Mapping[str, Category], collect: Mapping[str, str] | None = None) -> None:
        self.categories = dict(categories)
        self.collect = dict(collect or {})

    @classmethod
    def load(cls, knowledge_dir: Path) -> Texts:
        path = knowledge_dir / FILE_NAME
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed = _File.model_validate(raw)
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise PushConfigError(f"{path}: {exc}") from exc
        categories = {}
        for code, item in parsed.categories.items():
            for template_field in ("title", "body"):
                names = {n for _, n, _, _ in string.Formatter().parse(getattr(item, template_field)) if n}
                if names - _FIELDS:
                    raise PushConfigError(
                        f"{path}: categories.{code}.{template_field}: "
                        f"unknown fields {sorted(names - _FIELDS)}"
                    )
            categories[code] = Category(code, item.name, item.critical, item.phrase, item.title, item.body)
        return cls(categories, parsed.collect)

    def get(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError as exc:
            raise PushConfigError(f"unknown notification category {code!r}") from exc

    def collect_text(self, result: Mapping[str, Any]) -> str:
        """How a result (出件) reaches the citizen, in words: `{"method": "post", "tracking_no": …}`."""
        template = self.collect.get(str(result.get("method", "")))
        if template is None:
            return str(result.get("note") or "")
        filled = Blanks({k: "" if v is None else str(v) for k, v in result.items()})
        if filled.get("license_no"):
            filled["license_no"] = f"(证照编号 {filled['license_no']})"
        text = template.format_map(filled)
        return f"{text}。{result['note']}" if result.get("note") else text

    def render(self, code: str, values: Mapping[str, Any]) -> Rendered:
        """Title and body of `code` with `values` filled in; absent values render as empty text."""
        category = self.get(code)
        filled = Blanks({k: "" if v is None else str(v) for k, v in values.items()})
        return Rendered(
            " ".join(category.title.format_map(filled).split())[:128],
            category.body.format_map(filled).strip(),
        )
