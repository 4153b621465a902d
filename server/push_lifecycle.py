"""Open the push services with each worker: the socket hub always, the dispatcher unless it runs apart."""

from __future__ import annotations

from sanic import Sanic

from server.clock import today
from server.push import ChatDelivery, overdue
from server.push.application_events import TimelineObserver
from server.push.service import PushServices


async def _open(app: Sanic) -> None:
    settings = app.ctx.settings
    app.ctx.push = PushServices.build(settings, app.ctx.kv)
    # The hub's clock asks about the sessions of all sockets due a heartbeat at once.
    app.ctx.push.hub.revoked = app.ctx.auth.sessions.revoked
    # Every application change (timeline event) writes its notification in the change's transaction.
    observer = TimelineObserver(app.ctx.push.config, lambda: app.ctx.knowledge.current.knowledge)
    app.ctx.applications.on_change = observer
    # Operators' chat messages reach the citizen's socket and phone as `message` notifications.
    app.ctx.operators.takeover.deliver = ChatDelivery(app.ctx.push.config, app.ctx.kv)
    app.ctx.push.start(run_dispatcher=settings.push_dispatcher == "embedded")
    app.ctx.push.keep(
        overdue.run(observer, lambda: today(settings.timezone), settings.push_overdue_sweep_seconds)
    )


async def _close(app: Sanic) -> None:
    await app.ctx.push.stop()


def install_push(app: Sanic) -> None:
    """Registered after the kv role is opened; stopped before it is closed (stop listeners run in reverse)."""
    app.before_server_start(_open)
    app.before_server_stop(_close)
