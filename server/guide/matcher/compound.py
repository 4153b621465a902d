"""Layer 2, compound: "A|B+C" terms, one alternative of every part anywhere in the text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

Parts = tuple[tuple[str, ...], ...]


class CompoundIndex:
    """Compound terms (parts -> owner) found in one pass over the text, whatever the vocabulary's size."""

    def __init__(self, terms: Iterable[tuple[Parts, str, str]]) -> None:
        self._owners: list[str] = []
        self._names: list[str] = []
        self._sizes: list[int] = []
        self._where: dict[str, list[tuple[int, int]]] = defaultdict(list)  # alternative -> (term, part)
        for index, (parts, owner, name) in enumerate(terms):
            self._owners.append(owner)
            self._names.append(name)
            self._sizes.append(len(parts))
            for part, alternatives in enumerate(parts):
                for alternative in set(alternatives):
                    self._where[alternative].append((index, part))
        self._lengths = sorted({len(a) for a in self._where})

    def found(self, text: str) -> list[tuple[str, str]]:
        """(owner, term as written) of every term with one alternative of each part in `text`, once each."""
        present: dict[int, set[int]] = defaultdict(set)
        where = self._where
        for start in range(len(text)):
            for length in self._lengths:
                for index, part in where.get(text[start : start + length], ()):
                    present[index].add(part)
        return [
            (self._owners[i], self._names[i]) for i, parts in present.items() if len(parts) == self._sizes[i]
        ]
