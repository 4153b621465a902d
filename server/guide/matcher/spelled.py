"""Layer 4, spelled pinyin: latin runs read as pinyin words or initials ("tuixiu", "zc公司", "jhdj")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.guide.matcher.evidence import Evidence
from server.guide.pinyin import PinyinIndex
from server.guide.vocabulary import OUT_OF_SCOPE

_LATIN_RUN = re.compile(r"[a-z]+(?:[ ,][a-z]+)*")
_SPACING = re.compile("[ ,]")


@dataclass
class Spelled:
    """What the latin runs spelled: keyword evidence, a single item, and compound parts."""

    evidence: list[Evidence] = field(default_factory=list)
    out_of_scope: str | None = None
    parts: list[str] = field(default_factory=list)


class SpelledLayer:
    """Terms spelled in toneless pinyin, by initials, or by head initials followed by characters."""

    def __init__(self, index: PinyinIndex, terms: Mapping[str, str], weight: float) -> None:
        self._index = index
        self._terms = terms
        self._weight = weight

    def read(self, text: str) -> Spelled:
        """Every term the latin runs of `text` spell."""
        out = Spelled()
        for run in _LATIN_RUN.finditer(text):
            head = self._index.head_initials(run.group(0), text[run.end() :])
            for term in [head] if head else self._index.spelled(_SPACING.sub("", run.group(0))):
                owner = self._terms.get(term)
                if owner is None:
                    out.parts.append(term)
                elif owner == OUT_OF_SCOPE:
                    out.out_of_scope = out.out_of_scope or term
                else:
                    out.evidence.append(
                        Evidence("spelled", owner, self._weight, term, run.start(), run.end())
                    )
        return out
