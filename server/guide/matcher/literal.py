"""Layer 1, literal: keywords and single items found as written, longest first, none inside another."""

from __future__ import annotations

from collections.abc import Mapping

from server.guide.automaton import Automaton
from server.guide.matcher.evidence import Evidence
from server.guide.vocabulary import OUT_OF_SCOPE


class LiteralLayer:
    """An automaton of the plain terms; one pass over the text finds every occurrence."""

    def __init__(self, terms: Mapping[str, str]) -> None:
        self.terms = dict(terms)  # normalised term -> owner (a slug or OUT_OF_SCOPE)
        self._automaton = Automaton({term: term for term in self.terms})

    def spans(self, text: str, boundaries: frozenset[int]) -> list[Evidence]:
        """Longest non-nested occurrences; a single item must start a word (no 房贷 inside 厂房贷款)."""
        found = self._automaton.occurrences(text)
        found.sort(key=lambda f: (f[0] - f[1], f[0]))
        kept: list[Evidence] = []
        for start, end, term in found:
            if not any(k.start <= start and end <= k.end for k in kept):
                kept.append(Evidence("literal", self.terms[term], 1.0, term, start, end))
        return [e for e in kept if e.bundle != OUT_OF_SCOPE or e.start in boundaries]
