"""`python -m server` admin commands as an operator runs them: clear one-line answers, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server.config import DEV_SECRET, REPO_ROOT
from tests.test_config import PRODUCTION

PASSWORD = "correct horse battery staple"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_supervisor_twice_answers_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3", "SUPERVISOR_PASSWORD": PASSWORD}
    first = run("create-supervisor", "--username", "Admin", **env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("supervisor admin created")
    for name in ("admin", "ADMIN"):
        again = run("create-supervisor", "--username", name, **env)
        assert again.returncode == 1
        assert again.stderr.strip().splitlines() == ["create-supervisor: An operator called 'admin' exists."]
        assert "Traceback" not in again.stderr + again.stdout


def test_production_refuses_the_development_secret_as_a_previous_key(tmp_path: Path) -> None:
    """The review's attack: an old key that is the published development secret lets anyone sign."""
    env = {k.upper(): v for k, v in PRODUCTION.items()}
    env.update(
        {"DATABASE_URL": "postgres://x@127.0.0.1:1/none", "JWT_PREVIOUS_KEYS": json.dumps({"k0": DEV_SECRET})}
    )
    result = run("migrate", **env)
    assert result.returncode == 1
    assert "JWT_PREVIOUS_KEYS['k0'] is a development value" in result.stderr
    assert "Traceback" not in result.stderr
