"""The served knowledge and what is derived from it, swapped as one on reload.

A reload that fails validation raises and leaves the previous version serving.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from server.guide.dialogue import reader_for
from server.guide.knowledge import Knowledge, load_knowledge
from server.guide.match_memo import MatchMemo
from server.guide.matcher import Matcher
from server.guide.opening_memo import OpeningMemo

log = logging.getLogger("server.knowledge")

MATCH_MEMO_SIZE = 10_000
OPENING_MEMO_SIZE = 5_000


@dataclass(frozen=True)
class Served:
    knowledge: Knowledge
    matcher: Matcher
    memo: MatchMemo  # in front of `matcher`, for this version only
    openings: OpeningMemo  # first turns of conversations, through `memo`, for this version only

    @property
    def memoised_matcher(self) -> Matcher:
        """The matcher as the dialogue should call it: through this version's memo."""
        return cast(Matcher, self.memo)


class KnowledgeService:
    """Holds the current `Served`; one per worker process."""

    def __init__(
        self, root: Path, match_memo_size: int = MATCH_MEMO_SIZE, opening_memo_size: int = OPENING_MEMO_SIZE
    ) -> None:
        self.root = root
        self.match_memo_size = match_memo_size
        self.opening_memo_size = opening_memo_size
        self.current = self._build()

    def _build(self) -> Served:
        knowledge = load_knowledge(self.root)
        matcher = Matcher.from_knowledge(knowledge)
        for slug in knowledge.bundles:  # each bundle's reader (its automaton) now, not on a first message
            reader_for(knowledge, slug)
        memo = MatchMemo(matcher, knowledge.version, self.match_memo_size)
        openings = OpeningMemo(knowledge, cast(Matcher, memo), self.opening_memo_size)
        return Served(knowledge=knowledge, matcher=matcher, memo=memo, openings=openings)

    def reload(self) -> str:
        """Load and validate again; swap only if valid. Returns the version now serving.

        Called in an executor: the build takes seconds of CPU while requests are served from the
        previous version, and the finished build replaces it in one assignment (with a new, empty
        match memo: results of the old knowledge are never served after the swap).
        """
        log.info("knowledge reload started", extra={"serving": self.current.knowledge.version})
        self.current = self._build()
        log.info("knowledge reloaded", extra={"version": self.current.knowledge.version})
        return self.current.knowledge.version
