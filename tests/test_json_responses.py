"""JSON responses are UTF-8 with Chinese as characters, not `\\u` escapes, on every kind of route."""

from __future__ import annotations

import httpx
import pytest


def assert_plain_utf8(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("application/json")
    text = response.content.decode("utf-8")
    assert "\\u" not in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_a_guide_reply_writes_chinese_as_characters(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/guide/messages", json={"text": "我们准备领证,不做婚检"})
    assert response.status_code == 200
    assert_plain_utf8(response)
    assert response.json()["reply"]["text"] in response.content.decode("utf-8")  # the question, as written


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/bundles/marriage/checklist", {"answers": {"party_identity": "both_mainland"}}),
        ("GET", "/api/v1/bundles", None),
        ("GET", "/api/v1/bundles/marriage", None),
    ],
)
async def test_knowledge_routes_write_chinese_as_characters(
    api: httpx.AsyncClient, method, path, body
) -> None:
    response = await api.request(method, path, json=body)
    assert response.status_code == 200, response.text
    assert_plain_utf8(response)
