"""Layer 3, sound-alike: keywords and compound parts typed with homophones ("注消", "档按")."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from server.guide.matcher.evidence import Evidence
from server.guide.pinyin import PinyinIndex


class SoundLayer:
    """Whole tokens whose folded pinyin equals a term's; ordinary words are never re-read."""

    def __init__(
        self,
        index: PinyinIndex,
        terms: Mapping[str, str],
        parts: Collection[str],
        is_common_word: Callable[[str], bool],
        weight: float,
    ) -> None:
        self._index = index
        self._terms = terms
        self._parts = parts
        self._is_common_word = is_common_word
        self._weight = weight

    def spans(
        self, text: str, literal: list[Evidence], boundaries: frozenset[int]
    ) -> tuple[list[Evidence], list[str]]:
        """The keywords' evidence, and the compound parts heard ("档按" -> 档案) for the compound layer."""
        spans: list[Evidence] = []
        parts: list[str] = []
        # a token boundary outside every literal span: a span starting elsewhere is never kept
        starts = {b for b in boundaries if not any(s.start <= b < s.end for s in literal)}
        for hit in self._index.sound_alikes(text, starts):
            written = text[hit.start : hit.end]
            if hit.start not in boundaries or hit.end not in boundaries or written == hit.term:
                continue
            if any(s.start < hit.end and hit.start < s.end for s in (*literal, *spans)):
                continue
            if self._is_common_word(written) or (len(written) == 2 and not set(written) & set(hit.term)):
                continue
            if hit.term in self._parts:
                parts.append(hit.term)
            if hit.term in self._terms:
                spans.append(
                    Evidence("sound", self._terms[hit.term], self._weight, hit.term, hit.start, hit.end)
                )
        return spans, parts
