"""`python -m server` over real sockets: starts on the embedded default, refuses bad configuration
and invalid knowledge, reloads knowledge on SIGHUP keeping the old version when the new one is invalid."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from server.config import REPO_ROOT
from tests.conftest import real_url


def run_server(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_embedded_default_serves_the_18_bundles(live_server) -> None:
    server = live_server()
    response = httpx.get(server.base_url + "/api/v1/bundles")
    assert response.status_code == 200 and len(response.json()["bundles"]) == 18


def test_two_workers_serve(live_server) -> None:
    server = live_server(WORKERS="2", REDIS_URL=real_url("TEST_REDIS_URL"))
    for _ in range(10):
        assert httpx.get(server.base_url + "/healthz").status_code == 200
    metrics = httpx.get(server.base_url + "/metrics").text
    assert 'http_requests_total{method="GET",route="healthz",status="200"}' in metrics


def test_several_workers_without_redis_refuse_to_start(tmp_path: Path) -> None:
    """Each worker's in-process kv is its own: conversations started on one were 404 on the other."""
    result = run_server({"WORKERS": "2", "REDIS_URL": "", "DATABASE_URL": f"sqlite://{tmp_path}/x.db"})
    assert result.returncode == 1
    assert "WORKERS=2 needs REDIS_URL" in result.stderr and "Traceback" not in result.stderr


def test_production_without_redis_refuses_to_start(tmp_path: Path) -> None:
    result = run_server({"APP_ENV": "production", "DATABASE_URL": f"sqlite://{tmp_path}/x.db"})
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr and "SECRET_KEY" in result.stderr


def test_invalid_knowledge_refuses_to_start(tmp_path: Path) -> None:
    broken = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", broken)
    (broken / "bundles" / "marriage.yaml").unlink()
    result = run_server({"KNOWLEDGE_DIR": str(broken), "DATABASE_URL": f"sqlite://{tmp_path}/x.db"})
    assert result.returncode == 1
    assert "marriage" in result.stderr


def _version(base_url: str) -> str:
    return httpx.get(base_url + "/api/v1/bundles").headers["x-knowledge-version"]


def _wait_for(condition, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_sighup_reloads_valid_knowledge_and_keeps_serving_on_invalid(live_server, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", knowledge)
    server = live_server(KNOWLEDGE_DIR=str(knowledge))
    before = _version(server.base_url)

    meta = knowledge / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    server.process.send_signal(signal.SIGHUP)
    assert _wait_for(lambda: _version(server.base_url) != before), "valid edit was not picked up"
    reloaded = _version(server.base_url)

    (knowledge / "bundles" / "retirement.yaml").write_text("slug: [unclosed", encoding="utf-8")
    server.process.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert _version(server.base_url) == reloaded
    assert httpx.get(server.base_url + "/api/v1/bundles/retirement").status_code == 200


def test_requests_are_answered_while_the_knowledge_rebuilds(live_server, tmp_path: Path) -> None:
    """The rebuild runs off the event loop: a request sent once it started is answered before it ends."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", knowledge)
    server = live_server(KNOWLEDGE_DIR=str(knowledge), LOG_LEVEL="INFO")
    before = _version(server.base_url)
    meta = knowledge / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    server.process.send_signal(signal.SIGHUP)
    assert _wait_for(lambda: "knowledge reload started" in server.output()), server.output()[-2000:]
    answered = httpx.get(server.base_url + "/api/v1/bundles/marriage", timeout=60)
    assert answered.status_code == 200
    assert "knowledge reloaded" not in server.output(), "the request waited for the rebuild"
    assert answered.headers["x-knowledge-version"] == before
    assert _wait_for(lambda: _version(server.base_url) != before, timeout=60)


def test_reload_command_reaches_every_worker_through_redis(
    live_server, tmp_path: Path, redis_prefix: str
) -> None:
    redis_url = real_url("TEST_REDIS_URL")
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", knowledge)
    env = {"KNOWLEDGE_DIR": str(knowledge), "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": redis_prefix}
    server = live_server(WORKERS="2", **env)
    before = _version(server.base_url)
    meta = knowledge / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "server", "reload-knowledge"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Both workers answer requests in turn: every answer must show the new version.
    assert _wait_for(lambda: all(_version(server.base_url) != before for _ in range(10)))
