"""The operators' domain objects of one worker (texts, takeover queue) and the periodic sweep.

The sweep (apologies to long waits, round-robin assignment) starts with the first request that needs
it, like the turn writer: tortoise keeps its connections in a contextvar, and a task started in a
start-up listener broke the database for requests.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from sanic import Sanic

from server.config import Settings
from server.operators.deadlines import CaseDeadlines
from server.operators.errors import OperatorsConfigError
from server.operators.takeover import Takeover, TakeoverPolicy
from server.operators.texts import OperatorsKnowledge, load_operators_knowledge

log = logging.getLogger("server.operators")


class OperatorsService:
    """What handlers reach through `app.ctx.operators`."""

    def __init__(self, settings: Settings, texts: OperatorsKnowledge, takeover: Takeover) -> None:
        self.settings = settings
        self.texts = texts
        self.takeover = takeover
        self.deadlines = CaseDeadlines(
            rating_followup=settings.rating_followup_working_days,
            consultation=settings.consultation_working_days,
            complaint=settings.complaint_working_days,
            suggestion=settings.suggestion_working_days,
        )
        self._sweeper: asyncio.Task[None] | None = None

    def reload(self, trigger: str) -> None:
        """Read `knowledge/operators.yaml` again with the rest of the knowledge; an invalid file is
        refused (logged with every problem) and the previous texts keep serving."""
        try:
            texts = load_operators_knowledge(self.settings.knowledge_dir)
        except OperatorsConfigError as exc:
            log.error(
                "operators.yaml reload refused; previous version keeps serving",
                extra={"trigger": trigger, "problems": str(exc)},
            )
            return
        self.texts = self.takeover.texts = texts

    def ensure_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.handoff_sweep_seconds)
            try:
                await self.takeover.sweep()
            except Exception:  # the next round tries again
                log.exception("takeover sweep failed")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with suppress(asyncio.CancelledError):
                await self._sweeper


def install_operators(app: Sanic) -> None:
    """Build the service in a start-up listener (after the kv role exists) and stop it on shut-down."""

    async def start(app: Sanic) -> None:
        settings: Settings = app.ctx.settings
        texts = load_operators_knowledge(settings.knowledge_dir)
        policy = TakeoverPolicy(
            assignment=settings.handoff_assignment,
            operator_cap=settings.handoff_operator_cap,
            polite_after_seconds=settings.handoff_polite_after_seconds,
            marker_ttl_seconds=settings.conversation_ttl_seconds,
        )
        app.ctx.operators = OperatorsService(settings, texts, Takeover(app.ctx.kv, policy, texts))

    async def stop(app: Sanic) -> None:
        await app.ctx.operators.stop()

    app.before_server_start(start)
    app.before_server_stop(stop)
