"""The served knowledge and what is derived from it, swapped as one on reload.

Rebuilding takes seconds of CPU: `reload_async` builds in a thread, off the event loop, so requests
are served meanwhile from the previous version; the finished build replaces it in one assignment.
Reloads asked for while one builds wait for it and then build once more. A reload that fails
validation raises and leaves the previous version serving.
"""

from __future__ import annotations

import asyncio
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
        self._reloading: asyncio.Lock | None = None

    def _build(self) -> Served:
        knowledge = load_knowledge(self.root)
        return Served(knowledge=knowledge, matcher=Matcher.from_knowledge(knowledge))

    async def reload_async(self) -> str:
        """Load and validate again in the default executor; swap only if valid. The version now serving."""
        if self._reloading is None:
            self._reloading = asyncio.Lock()
        async with self._reloading:
            log.info("knowledge reload started", extra={"serving": self.current.knowledge.version})
            self.current = await asyncio.get_running_loop().run_in_executor(None, self._build)
        log.info("knowledge reloaded", extra={"version": self.current.knowledge.version})
        return self.current.knowledge.version
