"""One compiled Aho-Corasick automaton over a vocabulary: every occurrence of every word in one pass.

Shared by the matcher's layers and the dialogue's reading (`reading.py`), so it sits outside both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

import ahocorasick

V = TypeVar("V")


class Automaton(Generic[V]):
    """Words (with a value each) found anywhere in a text, overlapping ones included; built once."""

    def __init__(self, words: Mapping[str, V]) -> None:
        self._automaton = ahocorasick.Automaton()
        for word, value in words.items():
            if word:
                self._automaton.add_word(word, (len(word), value))
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def occurrences(self, text: str) -> list[tuple[int, int, V]]:
        """(start, end, value) of every occurrence, by start and then by length (shortest first)."""
        if self._empty:
            return []
        found = [(end + 1 - length, end + 1, value) for end, (length, value) in self._automaton.iter(text)]
        found.sort(key=lambda f: (f[0], f[1]))
        return found
