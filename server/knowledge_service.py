"""The served knowledge and what is derived from it, swapped as one on reload.

A reload that fails validation raises and leaves the previous version serving.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from server.guide.knowledge import Knowledge, load_knowledge
from server.guide.matcher import Matcher

log = logging.getLogger("server.knowledge")


@dataclass(frozen=True)
class Served:
    knowledge: Knowledge
    matcher: Matcher


class KnowledgeService:
    """Holds the current `Served`; one per worker process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current = self._build()

    def _build(self) -> Served:
        knowledge = load_knowledge(self.root)
        return Served(knowledge=knowledge, matcher=Matcher.from_knowledge(knowledge))

    def reload(self) -> str:
        """Load and validate again; swap only if valid. Returns the version now serving.

        Called in an executor: the build takes seconds of CPU while requests are served from the
        previous version, and the finished build replaces it in one assignment.
        """
        log.info("knowledge reload started", extra={"serving": self.current.knowledge.version})
        self.current = self._build()
        log.info("knowledge reloaded", extra={"version": self.current.knowledge.version})
        return self.current.knowledge.version
