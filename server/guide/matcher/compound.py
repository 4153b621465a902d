"""Layer 2, compound: "A|B+C" terms, one alternative of every part anywhere in the text."""

from __future__ import annotations

from collections.abc import Iterable

from server.guide.automaton import Automaton

Parts = tuple[tuple[str, ...], ...]


class CompoundIndex:
    """Compound terms (parts -> owner) found in one pass over the text, whatever the vocabulary's size.

    Every alternative is a word of one automaton; its value says, per term using it, which of the
    term's parts it stands for (one bit a part), so a term is found when its bits add up to all parts.
    """

    def __init__(self, terms: Iterable[tuple[Parts, str, str]]) -> None:
        self._owners: list[str] = []
        self._names: list[str] = []
        self._complete: list[int] = []  # all parts' bits of each term
        uses: dict[str, dict[int, int]] = {}  # alternative -> {term: its parts' bits}
        for index, (parts, owner, name) in enumerate(terms):
            self._owners.append(owner)
            self._names.append(name)
            self._complete.append((1 << len(parts)) - 1)
            for part, alternatives in enumerate(parts):
                for alternative in alternatives:
                    bits = uses.setdefault(alternative, {})
                    bits[index] = bits.get(index, 0) | 1 << part
        self._automaton = Automaton({alternative: tuple(bits.items()) for alternative, bits in uses.items()})

    def found(self, text: str) -> list[tuple[str, str]]:
        """(owner, term as written) of every term with one alternative of each part in `text`, once each,
        in the order their first part appears."""
        present: dict[int, int] = {}
        for _, _, uses in self._automaton.occurrences(text):
            for index, bits in uses:
                present[index] = present.get(index, 0) | bits
        complete = self._complete
        return [(self._owners[i], self._names[i]) for i, bits in present.items() if bits == complete[i]]
