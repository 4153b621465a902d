"""`python -m server [serve|migrate|reload-knowledge|create-supervisor|issue-department-key]`: admin."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from server.app import RELOAD_CHANNEL, create_app
from server.auth.commands import AUTH_COMMANDS
from server.config import Settings, SettingsError, load_settings
from server.db import apply_migrations_sync
from server.guide.knowledge import KnowledgeError, load_knowledge
from server.kv import create_kv


def _fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(1)


def _serve(settings: Settings) -> None:
    if settings.workers > 1 and not settings.redis_url:
        _fail(
            f"WORKERS={settings.workers} needs REDIS_URL: without Redis, conversations, sessions, "
            "rate limits and login codes live in each worker's memory, and a request reaching another "
            "worker would not find them. Set REDIS_URL, or run WORKERS=1."
        )
    try:
        load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        _fail("invalid knowledge, not starting:\n" + "\n".join(str(p) for p in exc.problems))
    if settings.is_embedded_db:
        apply_migrations_sync(settings)
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        metrics_dir = tempfile.mkdtemp(prefix="yijianshi-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(host=settings.host, port=settings.port, workers=settings.workers, single_process=False)
    try:
        Sanic.serve(primary=app, app_loader=loader)
    finally:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").startswith(tempfile.gettempdir()):
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


async def _publish_reload(settings: Settings) -> None:
    kv = create_kv(settings.redis_url, prefix=settings.redis_key_prefix)
    try:
        await kv.publish(RELOAD_CHANNEL, "reload")
    finally:
        await kv.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "migrate", "reload-knowledge", *AUTH_COMMANDS],
    )
    parser.add_argument(
        "--username", help="create-supervisor: the login name (password: SUPERVISOR_PASSWORD)"
    )
    parser.add_argument("--department", help="issue-department-key: the department code")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except (SettingsError, ValueError) as exc:
        _fail(str(exc))
    if args.command == "migrate":
        apply_migrations_sync(settings)
        print("database schema is up to date")
    elif args.command in AUTH_COMMANDS:
        print(AUTH_COMMANDS[args.command](settings, args))
    elif args.command == "reload-knowledge":
        if not settings.redis_url:
            _fail("reload-knowledge needs REDIS_URL; on the embedded default send SIGHUP to the server")
        asyncio.run(_publish_reload(settings))
        print("reload requested on every worker")
    else:
        _serve(settings)


if __name__ == "__main__":
    main()
