"""Helpers for the operators' tests: accounts made the way the CLI makes them, logged in over HTTP."""

from __future__ import annotations

import uuid

import httpx

from server.auth.operators import Operators
from server.config import Settings
from server.kv import MemoryKV
from tests.fakes.auth import bearer

PASSWORD = "correct horse battery staple"


async def operator_login(
    client: httpx.AsyncClient, settings: Settings, role: str = "operator"
) -> dict[str, str]:
    """A new operator (or supervisor), logged in: the Authorization header to send."""
    username = f"{role[:3]}-{uuid.uuid4().hex[:8]}"
    await Operators(MemoryKV(), settings).create(username, PASSWORD, role)  # type: ignore[arg-type]
    response = await client.post("/api/v1/operators/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def say(
    client: httpx.AsyncClient,
    text: str,
    conversation_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """One citizen message to the guide; the response body."""
    body: dict[str, str] = {"text": text}
    if conversation_id:
        body["conversation_id"] = conversation_id
    response = await client.post("/api/v1/guide/messages", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()
