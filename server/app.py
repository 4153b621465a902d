"""The app factory: blueprints, listeners, middleware and error handlers — nothing else."""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os
import secrets
import signal
import time
from contextlib import suppress

from sanic import HTTPResponse, Request, Sanic

from server import metrics
from server.applications.service import Applications
from server.applications.uploads import Uploads
from server.auth.crypto import DataProtector
from server.auth.services import install_auth
from server.config import Settings
from server.conversations import ConversationStore
from server.db import close_db, init_db
from server.errors import install_error_handlers
from server.files import create_file_store
from server.guide.knowledge import KnowledgeError
from server.handlers import BLUEPRINTS
from server.handlers.bench import bp as bench_bp
from server.json_codec import dumps
from server.knowledge_service import KnowledgeService
from server.kv import create_kv
from server.logs import request_id_var, setup_logging
from server.operators_service import install_operators
from server.push_lifecycle import install_push
from server.requests import TimedBodyRequest
from server.response_headers import install_response_headers
from server.turns import TurnRecorder

log = logging.getLogger("server.app")

RELOAD_CHANNEL = "knowledge:reload"


def create_app(
    settings: Settings, name: str = "yijianshi", knowledge: KnowledgeService | None = None
) -> Sanic:
    """Build the Sanic app for `settings`; per-worker resources load in start-up listeners.

    `knowledge` lets one process serve several apps from one loaded knowledge base (tests do).
    """
    setup_logging(settings.log_level)
    app = Sanic(name, configure_logging=False, request_class=TimedBodyRequest, dumps=dumps)
    app.config.update(
        {
            "ACCESS_LOG": False,
            # Uploaded materials are the largest bodies; JSON bodies are bounded field by field.
            "REQUEST_MAX_SIZE": max(1_000_000, settings.upload_max_bytes + 64 * 1024),
            "FALLBACK_ERROR_FORMAT": "json",
            "KEEP_ALIVE_TIMEOUT": 75,
            "REQUEST_TIMEOUT": settings.request_timeout_seconds,
            "GRACEFUL_SHUTDOWN_TIMEOUT": 5,  # for requests under way at SIGTERM; ours take far less
        }
    )
    app.ctx.settings = settings
    app.ctx.preloaded_knowledge = knowledge
    install_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    if settings.bench_echo_route:
        app.blueprint(bench_bp)
    app.before_server_start(_open_resources)
    app.main_process_ready(_forward_sighup)
    app.after_server_start(_watch_reloads)
    # After the connections drained: a request still being answered at SIGTERM records its turn.
    app.after_server_stop(_close_resources)
    app.on_request(_start_request)
    install_auth(app)
    install_operators(app)
    install_push(app)
    app.on_response(_finish_request)
    install_response_headers(app)
    return app


async def _open_resources(app: Sanic) -> None:
    settings: Settings = app.ctx.settings
    # Loading the knowledge builds the matcher and its ranker (CPU-bound): off the event loop.
    app.ctx.knowledge = app.ctx.preloaded_knowledge or await asyncio.get_running_loop().run_in_executor(
        None,
        KnowledgeService,
        settings.knowledge_dir,
        settings.guide_match_memo_size,
        settings.guide_opening_memo_size,
    )
    app.ctx.kv = create_kv(settings.redis_url, settings.memory_kv_max_keys, settings.redis_key_prefix)
    await init_db(settings)
    app.ctx.background = set()
    app.ctx.conversations = ConversationStore(app.ctx.kv, settings.conversation_ttl_seconds)
    app.ctx.turns = TurnRecorder(settings.turn_flush_seconds, max_pending=settings.turn_queue_max)
    app.ctx.applications = Applications(
        DataProtector(settings.data_encryption_key), settings.timezone, settings.overdue_warning_working_days
    )
    app.ctx.files = create_file_store(settings)
    app.ctx.uploads = Uploads(app.ctx.files, settings.upload_max_bytes)
    # The knowledge and jieba's dictionary are millions of long-lived objects: keep them out of
    # every full garbage collection, which otherwise stalls requests for about 50 ms each time.
    gc.freeze()


def _forward_sighup(app: Sanic) -> None:
    """In the supervising process: pass SIGHUP on to every worker, which reloads its knowledge."""

    def forward(signum: int, frame: object) -> None:
        for process in app.manager.transient_processes:
            if process.pid:
                os.kill(process.pid, signal.SIGHUP)

    signal.signal(signal.SIGHUP, forward)


async def _watch_reloads(app: Sanic) -> None:
    """Reload knowledge on SIGHUP (this host) or a message on the kv channel (every host)."""
    loop = asyncio.get_running_loop()
    with suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, lambda: _reload_knowledge(app, "SIGHUP"))

    async def listen() -> None:
        async for _ in app.ctx.kv.subscribe(RELOAD_CHANNEL):
            _reload_knowledge(app, "kv")

    task = asyncio.create_task(listen())
    app.ctx.background.add(task)


def _reload_knowledge(app: Sanic, trigger: str) -> None:
    """Rebuild the knowledge in an executor (CPU-bound); requests keep being served meanwhile."""
    task = asyncio.create_task(_reload_in_executor(app, trigger))
    app.ctx.background.add(task)
    task.add_done_callback(app.ctx.background.discard)


async def _reload_in_executor(app: Sanic, trigger: str) -> None:
    try:
        await asyncio.get_running_loop().run_in_executor(None, app.ctx.knowledge.reload)
    except KnowledgeError as exc:
        log.error(
            "knowledge reload refused; previous version keeps serving",
            extra={"trigger": trigger, "problems": [str(p) for p in exc.problems][:50]},
        )
    app.ctx.operators.reload(trigger)


async def _close_resources(app: Sanic) -> None:
    for task in list(app.ctx.background):
        task.cancel()
    await app.ctx.turns.stop()
    await app.ctx.kv.close()
    await app.ctx.files.close()
    await close_db()


def _route_label(request: Request) -> str:
    return request.route.path if request.route else "unmatched"


# Request ids need to be unique, not secret: a random prefix per worker and a counter (no uuid4 per request).
_REQUEST_ID_PREFIX = secrets.token_hex(8)
_request_numbers = itertools.count()


async def _start_request(request: Request) -> None:
    incoming = request.headers.get("x-request-id", "")
    request.ctx.request_id = (
        incoming
        if 0 < len(incoming) <= 64 and incoming.isprintable()
        else f"{_REQUEST_ID_PREFIX}{next(_request_numbers):016x}"
    )
    request.ctx.started = time.perf_counter()
    request_id_var.set(request.ctx.request_id)


async def _finish_request(request: Request, response: HTTPResponse) -> None:
    response.headers["X-Request-ID"] = getattr(request.ctx, "request_id", "")
    started = getattr(request.ctx, "started", None)
    if started is not None:
        metrics.observe_request(
            request.method, _route_label(request), response.status, time.perf_counter() - started
        )
