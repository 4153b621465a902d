"""A bounded memo of match results in front of the served matcher: citizens ask the same few hundred
things, and a repeated question costs a dictionary lookup instead of the whole pipeline.

Keyed by the text's canonical characters (width, case, simplified characters, punctuation runs: the
matcher reads nothing else of a text) within one knowledge version: each `Served` has its own memo, so
a reload starts an empty one. Results are immutable and shared. Hits and misses are counted for
`/metrics` (`guide_match_memo_lookups_total`).
"""

from __future__ import annotations

from collections import OrderedDict

from prometheus_client import Counter

from server.guide.matcher import Matcher, MatchResult
from server.guide.normalize import canonical_chars

LOOKUPS = Counter("guide_match_memo_lookups", "Match results looked up in the memo, by outcome", ["outcome"])
_HIT, _MISS = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")


class MatchMemo:
    """`match(text)` as the matcher answers it, remembered for the `size` most recently used texts.

    Stands in for the matcher where the dialogue calls it (it forwards everything else).
    """

    def __init__(self, matcher: Matcher, version: str, size: int) -> None:
        self.matcher = matcher
        self.version = version
        self.size = size
        self.hits = self.misses = 0
        self._results: OrderedDict[str, MatchResult] = OrderedDict()

    def match(self, text: str) -> MatchResult:
        key = canonical_chars(text)
        result = self._results.get(key)
        if result is not None:
            self._results.move_to_end(key)
            self.hits += 1
            _HIT.inc()
            return result
        result = self.matcher.match(key)
        self.misses += 1
        _MISS.inc()
        if self.size:
            self._results[key] = result
            if len(self._results) > self.size:
                self._results.popitem(last=False)
        return result

    def __len__(self) -> int:
        return len(self._results)

    def __getattr__(self, name: str) -> object:
        return getattr(self.matcher, name)
