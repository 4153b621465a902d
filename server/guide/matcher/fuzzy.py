"""Layer 7, fuzzy: as a last resort, a long keyword written with exactly one wrong character."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from rapidfuzz.distance import Levenshtein

from server.guide.matcher.evidence import Evidence
from server.guide.normalize import SEPARATOR
from server.guide.vocabulary import MASK, OUT_OF_SCOPE


class FuzzyLayer:
    """Long keywords indexed by character, so only those sharing all but one character are compared."""

    def __init__(self, terms: Mapping[str, str], min_length: int, weight: float) -> None:
        self._terms = terms
        self._weight = weight
        self._by_char: dict[str, list[str]] = defaultdict(list)
        for term, owner in terms.items():
            if len(term) >= min_length and owner != OUT_OF_SCOPE:
                for char in set(term):
                    self._by_char[char].append(term)

    def evidence(self, masked: str) -> list[Evidence]:
        """The longest keyword one edit away from a span of the text, if any."""
        text = masked.replace(MASK, SEPARATOR)
        if len(text) < 3:
            return []
        shared: Counter[str] = Counter()
        for char in set(text):
            shared.update(self._by_char.get(char, ()))
        near = [term for term, count in shared.items() if count >= len(set(term)) - 1]
        for term in sorted(near, key=lambda term: (-len(term), term)):  # ties by name: reproducible
            width = len(term)
            for start in range(len(text) - width + 1):
                if Levenshtein.distance(text[start : start + width], term, score_cutoff=1) == 1:
                    return [Evidence("fuzzy", self._terms[term], self._weight, term, start, start + width)]
        return []
