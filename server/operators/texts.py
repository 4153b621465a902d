"""`knowledge/operators.yaml`: request phrasings, waiting texts, canned replies, the 好差评 scale and tags.

Loaded and validated once at start; a problem names the file and the field, and the server refuses to
start on it, as with the rest of `knowledge/`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from server.operators.errors import OperatorsConfigError

FILE_NAME = "operators.yaml"
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)

CaseKind = Literal["rating_followup", "consultation", "complaint", "suggestion"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HandoffTexts(_Strict):
    queued: str = Field(min_length=1)  # {ahead}: requests waiting before this one
    queued_next: str = Field(min_length=1)  # nobody waits before this one
    offer: str = Field(min_length=1)
    still_waiting: str = Field(min_length=1)
    joined: str = Field(min_length=1)
    returned: str = Field(min_length=1)
    closed: str = Field(min_length=1)
    held: str = Field(min_length=1)


class HandoffConfig(_Strict):
    request_exact: tuple[str, ...] = Field(min_length=1)
    request_contains: tuple[str, ...] = Field(min_length=1)
    offer_after_fallbacks: int = Field(ge=1, le=10)
    texts: HandoffTexts


class CannedReply(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1, max_length=20)
    text: str = Field(min_length=1, max_length=500)


class RatingTag(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1, max_length=40)
    bad: bool


class RatingsConfig(_Strict):
    source: str = Field(min_length=1)
    levels: dict[int, str]
    bad_at_most: int = Field(ge=1, le=4)
    tags: tuple[RatingTag, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _five_levels(self) -> RatingsConfig:
        if sorted(self.levels) != [1, 2, 3, 4, 5]:
            raise ValueError("levels must name exactly the scores 1 to 5")
        if len({t.id for t in self.tags}) != len(self.tags):
            raise ValueError("tag ids must be unique")
        return self


class CaseNames(_Strict):
    rating_followup: str
    consultation: str
    complaint: str
    suggestion: str


class UnmatchedConfig(_Strict):
    similarity: float = Field(ge=1, le=100)


class OperatorsFile(_Strict):
    handoff: HandoffConfig
    canned_replies: tuple[CannedReply, ...] = Field(min_length=1)
    ratings: RatingsConfig
    cases: CaseNames
    unmatched: UnmatchedConfig


def squeeze(text: str) -> str:
    """Text without spaces and punctuation, full-width folded, lower case: what phrases are compared on."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


@dataclass(frozen=True)
class OperatorsKnowledge:
    """The validated file, with the request phrasings prepared for matching."""

    config: OperatorsFile

    @property
    def handoff(self) -> HandoffConfig:
        return self.config.handoff

    @cached_property
    def _requests(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The request phrasings squeezed once (exact, contained), not on every message."""
        handoff = self.config.handoff
        return frozenset(map(squeeze, handoff.request_exact)), tuple(map(squeeze, handoff.request_contains))

    def asks_for_human(self, text: str) -> bool:
        """Whether a citizen's message asks to be handed to a human operator."""
        squeezed = squeeze(text)
        if not squeezed or len(squeezed) > 40:
            return False
        exact, contained = self._requests
        return squeezed in exact or any(p in squeezed for p in contained)

    def tag(self, tag_id: str) -> RatingTag | None:
        return next((t for t in self.config.ratings.tags if t.id == tag_id), None)

    def is_bad(self, score: int) -> bool:
        return score <= self.config.ratings.bad_at_most

    def canned(self) -> list[dict[str, str]]:
        return [reply.model_dump() for reply in self.config.canned_replies]


def load_operators_knowledge(knowledge_dir: Path) -> OperatorsKnowledge:
    """Read and validate `knowledge/operators.yaml`; every problem with its field, or the file's trouble."""
    path = knowledge_dir / FILE_NAME
    name = f"{knowledge_dir.name}/{FILE_NAME}"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OperatorsConfigError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise OperatorsConfigError(f"{name}: not valid YAML: {exc}") from exc
    try:
        return OperatorsKnowledge(OperatorsFile.model_validate(raw))
    except ValidationError as exc:
        problems = [
            f"{name}: {'.'.join(str(p) for p in item['loc']) or '(file)'}: {item['msg']}"
            for item in exc.errors(include_url=False)
        ]
        raise OperatorsConfigError("\n".join(problems)) from exc
