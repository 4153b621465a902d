"""Schemathesis over every operation of mobile_api_spec/openapi.yaml against a live server on the
embedded default: each generated case is sent without a token, with a citizen's and with a
supervisor's, and every answer must be no server error (a 503 the spec documents, a vendor that
cannot be reached, is fine) and fit the spec's response schema. Generic over the spec: routes added
to it are tested too. SCHEMATHESIS_MAX_EXAMPLES bounds the generated cases per operation (default 10).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.config import REPO_ROOT
from tests.conftest import LiveServer
from tests.fakes.auth import vendor_settings
from tests.fakes.vendors import Received, TencentSmsHandler, WeChatHandler, serve
from tests.spec import SPEC_PATH, spec

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
SUPERVISOR_PASSWORD = "schemathesis supervisor password"
PHONE = "13900000001"

schema = schemathesis.openapi.from_path(SPEC_PATH)


@dataclass
class Target:
    """The live server, the fake SMS vendor it sends codes to, and the tokens the cases carry."""

    server: LiveServer
    sms: Received
    tokens: dict[str, str] = field(default_factory=dict)
    cases: Counter = field(default_factory=Counter)

    def login_citizen(self) -> None:
        with httpx.Client(base_url=self.server.base_url, timeout=30) as api:
            sent = api.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
            assert sent.status_code == 202, sent.text
            code = self.sms.last_code_for(PHONE)
            login = api.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": code})
            assert login.status_code == 200, login.text
            self.tokens["citizen"] = login.json()["access_token"]

    def login_operator(self) -> None:
        body = {"username": "schemathesis", "password": SUPERVISOR_PASSWORD}
        login = httpx.post(self.server.base_url + "/api/v1/operators/login", json=body, timeout=30)
        assert login.status_code == 200, login.text
        self.tokens["operator"] = login.json()["access_token"]

    def still_valid(self, who: str) -> None:
        """Log in again when a case (a logout, a deactivation) ended the session."""
        me = "/api/v1/me" if who == "citizen" else "/api/v1/operators/me"
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if httpx.get(self.server.base_url + me, headers=headers, timeout=30).status_code == 401:
            self.login_citizen() if who == "citizen" else self.login_operator()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    with serve(WeChatHandler) as wechat, serve(TencentSmsHandler) as sms:
        env = {name.upper(): value for name, value in vendor_settings(wechat[0], sms[0]).items()}
        env.update(
            DATABASE_URL=f"sqlite://{tmp / 'live.sqlite3'}",
            REDIS_URL="",
            LOG_LEVEL="WARNING",
            SMS_PHONE_PER_MINUTE="100000",
            SMS_PHONE_PER_DAY="100000",
            SMS_IP_PER_MINUTE="100000",
            SMS_IP_PER_DAY="100000",
            LOGIN_MAX_FAILURES="100000",
        )
        created = subprocess.run(
            [sys.executable, "-m", "server", "create-supervisor", "--username", "schemathesis"],
            cwd=REPO_ROOT,
            env={**os.environ, **env, "SUPERVISOR_PASSWORD": SUPERVISOR_PASSWORD},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert created.returncode == 0, created.stderr
        server = LiveServer(env, Path(tmp / "server.log"))
        try:
            server.wait_ready()
            found = Target(server=server, sms=sms[1])
            found.login_citizen()
            found.login_operator()
            yield found
        finally:
            output = server.stop()
            if "found" in locals():
                requests = sum(found.cases.values())
                operations = {label for label, _ in found.cases}
                print(
                    f"\nschemathesis: {len(operations)} operations, {requests // 3} cases,"
                    f" {requests} requests",
                    file=sys.__stderr__,
                )
            unhandled = [line for line in output.splitlines() if "unhandled error" in line]
            assert not unhandled, "\n".join(unhandled[:5])


def documented(case, status: int) -> bool:
    operation = spec()["paths"][case.operation.path][case.method.lower()]
    return str(status) in operation["responses"]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_operation_with_and_without_tokens(case, target: Target) -> None:
    for who in ("guest", "citizen", "operator"):
        headers = {} if who == "guest" else {"Authorization": f"Bearer {target.tokens[who]}"}
        response = case.call(base_url=target.server.base_url, headers=headers, timeout=30)
        target.cases[(case.operation.label, who)] += 1
        checks = [response_schema_conformance]
        if not (response.status_code == 503 and documented(case, 503)):
            checks.append(not_a_server_error)
        case.validate_response(response, checks=checks)
        if who != "guest" and response.status_code < 300:
            target.still_valid(who)
