"""Layers 5 and 6, phrase and knowledge words: weak evidence from words few bundles use.

Phrase words come from each lexicon's example phrases; knowledge words from the bundle's own data (item and
material names, departments, question options): enough to tip a text that names an item, never to commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from server.guide.matcher.evidence import Evidence
from server.guide.normalize import SEPARATOR


class WordLayer:
    """Words (2+ characters) weighted down by the number of bundles using them, capped per bundle."""

    def __init__(
        self,
        name: str,
        texts: Mapping[str, Iterable[str]],
        tokens: Callable[[str], Iterable[str]],
        weight: float,
        cap: float,
        max_bundles: int,
        keep: Callable[[str], bool] = lambda word: True,
    ) -> None:
        self.name = name
        self._cap = cap
        users: dict[str, set[str]] = defaultdict(set)
        for slug, bundle_texts in texts.items():
            for text in bundle_texts:
                for token in tokens(text):
                    if len(token) >= 2 and token != SEPARATOR:
                        users[token].add(slug)
        # Bundles in name order, not the set's (which changes with each process's hash seed): the order
        # of the evidence breaks ties, such as which bundle leads when a single item is its material.
        self._table = {
            token: {slug: weight / len(slugs) for slug in sorted(slugs)}
            for token, slugs in users.items()
            if len(slugs) <= max_bundles and keep(token)
        }

    def evidence(self, tokens: Iterable[str], visible: str) -> list[Evidence]:
        """One item per bundle: its words among `tokens` still visible in `visible`, at most the cap."""
        weak: dict[str, float] = defaultdict(float)
        words: dict[str, list[str]] = defaultdict(list)
        for token in sorted(set(tokens)):
            weights = self._table.get(token)
            if weights and token in visible:
                for slug, weight in weights.items():
                    weak[slug] += weight
                    words[slug].append(token)
        return [
            Evidence(self.name, slug, min(weight, self._cap), "+".join(words[slug]))
            for slug, weight in weak.items()
        ]
