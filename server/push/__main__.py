"""`python -m server.push [run|dead-letters|retry]`: the dispatcher as its own process, and its admin.

- `run` (default): claim and send deliveries until SIGTERM/SIGINT (run several for scale; set
  `PUSH_DISPATCHER=external` on the servers so they leave dispatching to these).
- `dead-letters [--user ID]`: list what failed for good or ran out of retries.
- `retry [--id N …]`: queue those dead letters again (every exhausted one without `--id`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from contextlib import suppress

from server.config import SettingsError, load_settings
from server.db import close_db, init_db
from server.kv import create_kv
from server.logs import setup_logging
from server.push import queue, wake
from server.push.service import PushServices


async def _run() -> None:
    settings = load_settings()
    setup_logging(settings.log_level)
    await init_db(settings)
    kv = create_kv(settings.redis_url, prefix=settings.redis_key_prefix)
    services = PushServices.build(settings, kv)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await services.dispatcher.run(stop)
    finally:
        await services.http.aclose()
        await kv.close()
        await close_db()


async def _admin(args: argparse.Namespace) -> None:
    settings = load_settings()
    await init_db(settings)
    try:
        if args.command == "dead-letters":
            for delivery in await queue.dead_letters(args.user, limit=1000):
                print(
                    json.dumps(
                        {
                            "id": delivery.id,
                            "user_id": delivery.user_id,
                            "channel": delivery.channel,
                            "status": delivery.status,
                            "attempts": delivery.attempts,
                            "error_code": delivery.error_code,
                            "error": delivery.error,
                            "title": delivery.notification.title,
                        },
                        ensure_ascii=False,
                    )
                )
        else:
            queued = await queue.retry(args.id or None)
            kv = create_kv(settings.redis_url, prefix=settings.redis_key_prefix)
            try:
                await wake(kv)
            finally:
                await kv.close()
            print(f"{queued} deliveries queued again")
    finally:
        await close_db()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server.push", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "dead-letters", "retry"])
    parser.add_argument("--user", help="dead-letters: only this citizen's")
    parser.add_argument("--id", type=int, action="append", help="retry: this delivery (repeatable)")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            asyncio.run(_run())
        else:
            asyncio.run(_admin(args))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
