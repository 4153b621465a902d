"""Negation and discourse: mute the words that do not carry the need, before any layer reads the text.

- a negation mutes what follows it to the end of its scope ("不是新房,是二手的" keeps only 二手的);
- a set-aside marker mutes its own clause ("结婚的先不问,孩子上户口怎么办");
- a focus marker mutes what comes before it ("个人的不用说了,我问的是公司的").
Muted characters become the mask, so spans keep their offsets and no layer sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from server.guide.normalize import SEPARATOR
from server.guide.vocabulary import MASK, Discourse, Negation


@dataclass(frozen=True)
class Muted:
    """One muted stretch of the normalised text and why."""

    start: int
    end: int
    why: str  # negation, set_aside, focus
    marker: str


def _alternation(terms: Iterable[str]) -> str:
    return "|".join(map(re.escape, sorted(set(terms), key=len, reverse=True)))


def _negation_pattern(negation: Negation) -> re.Pattern[str]:
    """Markers longest first; a marker that ends a question form ("是不是") is not read inside it."""
    alternatives = []
    for marker in sorted(set(negation.markers), key=len, reverse=True):
        heads = [q[: -len(marker)] for q in negation.questions if q.endswith(marker) and q != marker]
        guard = "".join(f"(?<!{re.escape(head)})" for head in heads)
        alternatives.append(guard + re.escape(marker))
    ends = re.escape("".join(negation.scope_ends_at))
    return re.compile(
        f"(?:{'|'.join(alternatives)})([^{ends}]*)" if ends else f"(?:{'|'.join(alternatives)})(.*)"
    )


class DiscourseLayer:
    """Compiled from `knowledge/matcher.yaml`: negation markers, set-aside and focus markers."""

    def __init__(self, negation: Negation, discourse: Discourse) -> None:
        self._negation = _negation_pattern(negation)
        self._set_aside = re.compile(_alternation(discourse.set_aside)) if discourse.set_aside else None
        self._focus = re.compile(_alternation(discourse.focus)) if discourse.focus else None
        links = [*discourse.joiners, *discourse.coordinators]
        self._link = re.compile(_alternation(links)) if links else None
        self._segment = re.compile(_alternation([SEPARATOR, *links]))
        self._done = re.compile(_alternation(discourse.done)) if discourse.done else None

    def muted(self, text: str) -> list[Muted]:
        """Every stretch of `text` that does not carry the need."""
        out = [
            Muted(m.start(1), m.end(1), "negation", m.group(0)[: m.start(1) - m.start(0)])
            for m in self._negation.finditer(text)
            if m.end(1) > m.start(1)
        ]
        if self._set_aside:
            for m in self._set_aside.finditer(text):
                start = text.rfind(SEPARATOR, 0, m.start()) + 1
                out.append(Muted(start, m.end(), "set_aside", m.group(0)))
        if self._focus:
            for m in self._focus.finditer(text):
                if m.start() > 0:
                    out.append(Muted(0, m.end(), "focus", m.group(0)))
        return out

    def link(self, text: str) -> str | None:
        """The first joiner ("另外") or coordinator ("和") of `text`, if any."""
        found = self._link.search(text) if self._link else None
        return found.group(0) if found else None

    def segments(self, text: str) -> list[tuple[int, int]]:
        """The stretches of `text` between separators, joiners and coordinators where an errand may sit:
        a stretch saying that something is done already ("执照拿到了") is left out."""
        out, at = [], 0
        for found in [*self._segment.finditer(text), None]:
            end = found.start() if found else len(text)
            if end > at and not (self._done and self._done.search(text, at, end)):
                out.append((at, end))
            at = found.end() if found else at
        return out

    def mask(self, text: str) -> tuple[str, list[Muted]]:
        """`text` with its muted stretches replaced by the mask, and the stretches."""
        muted = self.muted(text)
        chars = list(text)
        for stretch in muted:
            chars[stretch.start : stretch.end] = MASK * (stretch.end - stretch.start)
        return "".join(chars), muted
