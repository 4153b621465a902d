"""Vetoes on the summed evidence: terms pointing away, single items, and small talk around a topic."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from server.guide.matcher.compound import CompoundIndex
from server.guide.vocabulary import Talk, Weights


def _alternation(terms: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, sorted(set(terms), key=len, reverse=True))))


class Vetoes:
    """Built once from the lexicons' `exclude` terms, the materials and the talk word lists."""

    def __init__(
        self, excludes: CompoundIndex, materials: Mapping[str, tuple[str, ...]], talk: Talk, weights: Weights
    ):
        self._excludes = excludes
        self._materials = materials
        self._small_talk = _alternation(talk.small_talk)
        self._errand = _alternation(talk.errand)
        self._penalty = weights.exclude_penalty
        self._keep = weights.exclude_keep

    def excluded(self, text: str) -> list[tuple[str, str]]:
        """(bundle, term) for every exclude term in the text ("地址变更" points away from opening)."""
        return self._excludes.found(text)

    def penalise(self, evidence: dict[str, float], excluded: Iterable[tuple[str, str]]) -> None:
        """Each term pointing away removes a fixed amount or a share of the bundle's evidence."""
        for slug, _ in excluded:
            if (e := evidence.get(slug)) is not None:
                evidence[slug] = max(0.0, min(e - self._penalty, e * self._keep))

    def material_of(self, slug: str, item: str) -> bool:
        """True when the single item is a material of the bundle ("入学要居住证吗"), not an errand."""
        return any(item in name for name in self._materials.get(slug, ()))

    def words(self, text: str) -> tuple[bool, bool]:
        """Whether the text has a small-talk word, and whether it has an errand word (ranker features)."""
        return self._small_talk.search(text) is not None, self._errand.search(text) is not None

    def small_talk(self, text: str) -> str | None:
        """The small-talk word of a text that has no errand word, else None."""
        found = self._small_talk.search(text)
        return found.group(0) if found and self._errand.search(text) is None else None
