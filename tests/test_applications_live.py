"""`python -m server` with two workers over real sockets, on both backends: a citizen applies, and
concurrent department events for one task, answered by both workers, are applied exactly once each
and in order (SQLite's one writer and PostgreSQL's row locks alike)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys

import httpx

from server.config import REPO_ROOT, Settings
from tests.conftest import real_url
from tests.fakes.applications import MARRIAGE_FORM, Department, apply_for, citizen, reach_checklist
from tests.fakes.auth import sms, vendor_settings, wechat

USES_FIXTURES = (sms, wechat)


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The live server's environment for the test's backend settings."""
    env = {
        "DATABASE_URL": settings.database_url,
        "UPLOAD_DIR": str(settings.upload_dir),
        "LOG_LEVEL": "INFO",
        "SMS_IP_PER_MINUTE": "1000",
        **extra,
    }
    for name in ("redis_url", "s3_bucket", "s3_endpoint_url", "s3_access_key_id", "s3_secret_access_key"):
        value = getattr(settings, name)
        if value:
            env[name.upper()] = str(value)
    return env


def issue_key(env: dict[str, str], department: str) -> tuple[str, str]:
    """A department key through the admin command, as an operator would issue it."""
    command = [sys.executable, "-m", "server", "issue-department-key", "--department", department]
    result = subprocess.run(
        command, env={**os.environ, **env}, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    key_id = re.search(r"key id:\s+(\S+)", result.stdout)
    secret = re.search(r"secret:\s+(\S+)", result.stdout)
    assert key_id and secret
    return key_id.group(1), secret.group(1)


async def test_two_workers_apply_concurrent_events_once_each(live_server, migrated, wechat, sms) -> None:
    vendors = {key.upper(): value for key, value in vendor_settings(wechat[0], sms[0]).items()}
    env = environment(migrated, WORKERS="2", **vendors)
    # Several workers need a shared kv (the server refuses them without REDIS_URL): SQLite + Redis here.
    env.setdefault("REDIS_URL", real_url("TEST_REDIS_URL"))
    server = live_server(**env)
    key_id, secret = issue_key(env, "civil_affairs")
    # The citizen keeps one connection (one worker: on the embedded default the SMS code and the
    # conversation live in that worker's memory); the department opens a new connection per event.
    citizen_limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=citizen_limits) as client:
        headers = await citizen(client, sms)
        conversation_id, _ = await reach_checklist(client, headers, "我俩下个月领证要带啥")
        created = await apply_for(client, headers, conversation_id, MARRIAGE_FORM)
        assert created.status_code == 201, created.text
    application = created.json()["application"]
    task_id = next(t["id"] for t in application["tasks"] if t["item"] == "marriage_registration")
    spread = httpx.Limits(max_connections=40, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=spread) as client:
        civil = Department(client, "civil_affairs", key_id, secret)
        moment = dt.datetime.now(dt.UTC)
        first = await civil.event(task_id, "accepted", event_id="live-0", at=moment)
        assert first.status_code == 200 and first.json()["applied"] is True, first.text
        correction = {"materials": ["marriage_photo"], "deadline": "2026-12-31"}
        responses = await asyncio.gather(
            *(
                civil.event(
                    task_id,
                    "needs_correction" if n % 2 else "in_review",
                    event_id=f"live-{n % 30 + 1}",  # 30 distinct events, 10 of them sent twice
                    at=moment + dt.timedelta(seconds=n % 30 + 1),
                    **({"correction": correction} if n % 2 else {}),
                )
                for n in range(40)
            )
        )
        assert {r.status_code for r in responses} <= {200, 409}, [
            r.text for r in responses if r.status_code >= 500
        ]
        applied = sum(r.status_code == 200 and r.json()["applied"] for r in responses)
        view = (await client.get(f"/api/v1/applications/{application['id']}", headers=headers)).json()
    timeline = view["application"]["timeline"]
    assert [e["version"] for e in timeline] == list(range(1, len(timeline) + 1))
    assert len([e for e in timeline if e["task_id"] == task_id]) == 1 + applied
    task = next(t for t in view["application"]["tasks"] if t["id"] == task_id)
    assert task["version"] == 2 + applied
    output = server.stop()
    events = [json.loads(line) for line in output.splitlines() if '"department event"' in line]
    assert len(events) == 1 + 30  # every distinct event recorded once; repeats change nothing
    assert len({e["worker_pid"] for e in events}) == 2, "both workers applied events"
