"""Fixtures and helpers for the accounts tests: the app wired to the fake vendors, log capture."""

from __future__ import annotations

import io
import logging
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager

import httpx
import pytest
from sanic import Sanic

from server.auth.identity import id_check_char
from server.config import Settings
from server.db import apply_migrations
from server.logs import JsonFormatter
from tests.conftest import serving
from tests.fakes.vendors import (
    APPID,
    APPSECRET,
    SMS_REFUSALS,
    SMS_SECRET_ID,
    SMS_SECRET_KEY,
    Received,
    TencentSmsHandler,
    WeChatHandler,
    serve,
)


@pytest.fixture(scope="session")
def wechat() -> Iterator[tuple[str, Received]]:
    with serve(WeChatHandler) as fake:
        yield fake


@pytest.fixture(scope="session")
def sms() -> Iterator[tuple[str, Received]]:
    with serve(TencentSmsHandler) as fake:
        yield fake


def vendor_settings(wechat_url: str, sms_url: str) -> dict:
    """Settings pointing the app at the fake vendors (also used as environment for live servers)."""
    return {
        "wechat_base_url": wechat_url,
        "wechat_appid": APPID,
        "wechat_secret": APPSECRET,
        "sms_provider": "tencent",
        "sms_base_url": sms_url,
        "sms_secret_id": SMS_SECRET_ID,
        "sms_secret_key": SMS_SECRET_KEY,
        "sms_app_id": "1400000000",
        "sms_sign_name": "一件事",
        "sms_template_id": "100001",
    }


@pytest.fixture
async def make_client(settings: Settings, wechat, sms, served_knowledge) -> AsyncIterator:
    """Serve the app (both backends) wired to the fake vendors, with optional setting overrides."""
    async with AsyncExitStack() as stack:
        apps: list[Sanic] = []

        async def make(**overrides) -> httpx.AsyncClient:
            from server.app import create_app

            values = {
                **vendor_settings(wechat[0], sms[0]),
                "sms_ip_per_minute": 1000,
                "sms_ip_per_day": 10**5,
            }
            configured = settings.model_copy(update={**values, **overrides})
            await apply_migrations(configured)
            app = create_app(configured, name="a" + uuid.uuid4().hex[:12], knowledge=served_knowledge)
            app.config.PROXIES_COUNT = 1  # tests act as different clients through X-Forwarded-For
            apps.append(app)
            return await stack.enter_async_context(serving(app))

        yield make
    for app in apps:
        Sanic._app_registry.pop(app.name, None)


@pytest.fixture
async def client(make_client) -> httpx.AsyncClient:
    return await make_client()


def new_phone() -> str:
    """A random valid mobile number, never one the SMS fake refuses, so tests never share limits."""
    while (phone := f"139{random.randrange(10**7, 10**8)}")[-4:] in SMS_REFUSALS:
        pass
    return phone


def new_id_number() -> str:
    """A random checksum-valid resident ID number: one account per number, so tests never share one."""
    first17 = f"110105{random.randrange(1950, 2000)}0101{random.randrange(100, 1000)}"
    return first17 + id_check_char(first17)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line, formatted exactly as the service writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def sms_login(client: httpx.AsyncClient, sms_received: Received, phone: str) -> dict:
    """Request a code, read it from the fake SMS vendor, log in; the token pair."""
    response = await client.post("/api/v1/auth/sms-codes", json={"phone": phone})
    assert response.status_code == 202, response.text
    code = sms_received.last_code_for(phone)
    response = await client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": code})
    assert response.status_code == 200, response.text
    return response.json()
