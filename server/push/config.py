"""What the push domain is configured with: categories, WeChat templates, the app push provider."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.push.errors import PushConfigError
from server.push.texts import Texts

WEBSOCKET, WECHAT, APP_PUSH = "websocket", "wechat", "app_push"
CHANNELS = (WEBSOCKET, WECHAT, APP_PUSH)
TemplateKind = Literal["one_time", "long_term"]


class _TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: str = Field(min_length=1, max_length=128)
    kind: TemplateKind = "one_time"
    page: str | None = Field(default=None, max_length=256)
    data: dict[str, str] = Field(min_length=1, max_length=10)


@dataclass(frozen=True)
class Template:
    """One subscribe message template: which keys it has and what fills each (format strings)."""

    template_id: str
    kind: TemplateKind
    page: str | None
    data: Mapping[str, str]


@dataclass(frozen=True)
class PushConfig:
    texts: Texts
    templates: Mapping[str, Template] = field(default_factory=dict)  # category -> template
    app_push_provider: str | None = None

    @classmethod
    def build(cls, texts: Texts, templates: Mapping[str, Any], app_push_provider: str | None) -> PushConfig:
        parsed: dict[str, Template] = {}
        for category, raw in templates.items():
            texts.get(category)  # an unknown category is a configuration error
            try:
                item = _TemplateIn.model_validate(raw)
            except ValidationError as exc:
                raise PushConfigError(f"WECHAT_TEMPLATES.{category}: {exc}") from exc
            parsed[category] = Template(item.template_id, item.kind, item.page, dict(item.data))
        return cls(texts=texts, templates=parsed, app_push_provider=app_push_provider)

    def template_by_id(self, template_id: str) -> Template | None:
        for template in self.templates.values():
            if template.template_id == template_id:
                return template
        return None
