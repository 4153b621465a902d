"""Helpers for the applications tests: a citizen reaching a checklist, files made in memory, signed
department requests computed from the documented scheme (not the server's code)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import time
import uuid
from typing import Any

import httpx
from PIL import Image

from server.auth.crypto import DataProtector
from server.auth.departments import DepartmentKeys
from server.config import Settings
from server.kv import MemoryKV
from tests.fakes.auth import bearer, new_id_number, new_phone, sms_login

ID_NUMBER = "11010519491231002X"  # checksum-valid (GB 11643)
SPOUSE_ID = "110102199003070018"  # checksum-valid


def png(width: int = 640, height: int = 480, color: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "gray").save(buffer, "JPEG")
    return buffer.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def signed(key_id: str, secret: str, method: str, target: str, body: bytes = b"") -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    message = f"{method}\n{target}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"X-Api-Key": key_id, "X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature}


class Department:
    """A department system with its own key, speaking to the server over HTTP."""

    def __init__(self, client: httpx.AsyncClient, code: str, key_id: str, secret: str) -> None:
        self.client = client
        self.code = code
        self.key_id = key_id
        self.secret = secret

    @classmethod
    async def issue(cls, client: httpx.AsyncClient, settings: Settings, code: str) -> Department:
        keys = DepartmentKeys(MemoryKV(), DataProtector(settings.data_encryption_key), 300)
        key_id, secret = await keys.issue(code)
        return cls(client, code, key_id, secret)

    async def event(
        self,
        task_id: str,
        status: str,
        event_id: str | None = None,
        at: dt.datetime | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = {
            "event_id": event_id or uuid.uuid4().hex,
            "task_id": task_id,
            "status": status,
            "occurred_at": (at or dt.datetime.now(dt.UTC)).isoformat(),
            **extra,
        }
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {**signed(self.key_id, self.secret, "POST", "/api/v1/departments/events", raw)}
        headers["Content-Type"] = "application/json"
        return await self.client.post("/api/v1/departments/events", content=raw, headers=headers)

    async def get(self, target: str) -> httpx.Response:
        return await self.client.get(target, headers=signed(self.key_id, self.secret, "GET", target))


async def citizen(
    client: httpx.AsyncClient, sms: Any, *, profile: bool = True, id_number: str | None = None
) -> dict[str, str]:
    """A logged-in citizen (with name and ID number, a fresh one unless given, in the profile): the
    bearer headers."""
    pair = await sms_login(client, sms[1], new_phone())
    headers = bearer(pair["access_token"])
    if profile:
        response = await client.put(
            "/api/v1/me", json={"name": "张三", "id_number": id_number or new_id_number()}, headers=headers
        )
        assert response.status_code == 200, response.text
    return headers


async def reach_checklist(
    client: httpx.AsyncClient, headers: dict[str, str], text: str, answers: dict[str, str] | None = None
) -> tuple[str, dict]:
    """Talk to the guide until it gives the checklist: the first option unless `answers` says otherwise,
    and every optional item offered."""
    answers = answers or {}
    response = await client.post("/api/v1/guide/messages", json={"text": text}, headers=headers)
    body = response.json()
    conversation_id = body["conversation_id"]
    for _ in range(20):
        reply = body["reply"]
        if reply["type"] == "checklist":
            return conversation_id, reply["checklist"]
        if reply["type"] == "question":
            option = answers.get(reply["question_id"], reply["options"][0]["id"])
            message: dict[str, Any] = {"answer": {"question_id": reply["question_id"], "option_id": option}}
        elif reply["type"] == "items":
            message = {"chosen_items": [i["id"] for i in reply["items"]]}  # all of them
        else:
            raise AssertionError(f"unexpected reply {reply}")
        body = (
            await client.post(
                "/api/v1/guide/messages",
                json={"conversation_id": conversation_id, **message},
                headers=headers,
            )
        ).json()
    raise AssertionError("no checklist after 20 turns")


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    material: str,
    data: bytes,
    content_type: str = "image/png",
) -> httpx.Response:
    return await client.post(
        "/api/v1/uploads",
        data={"material": material},
        files={"file": ("scan", data, content_type)},
        headers=headers,
    )


async def apply_for(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str, form: dict[str, Any]
) -> httpx.Response:
    """Upload every material the form asks for, then POST the application with `form` over the prefill."""
    described = (
        await client.get(f"/api/v1/guide/conversations/{conversation_id}/form", headers=headers)
    ).json()
    values = {f["name"]: f["value"] for f in described["fields"] if f["value"] is not None}
    values.update(form)
    uploads = {}
    for material in described["materials"]:
        if material["upload"] and material["required"]:
            response = await upload(client, headers, material["id"], png())
            assert response.status_code == 201, response.text
            uploads[material["id"]] = response.json()["upload"]["id"]
    return await client.post(
        "/api/v1/applications",
        json={"conversation_id": conversation_id, "form": values, "materials": uploads},
        headers=headers,
    )


MARRIAGE_FORM = {
    "counterparty_name": "李梅",
    "counterparty_id_number": SPOUSE_ID,
    "household_address": "北京市西城区金融大街27号院3号楼",
    "result_delivery": "window",
}
