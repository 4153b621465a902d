"""Response headers and request media types (both backends): no-store on API answers, nosniff on all,
415 for a JSON route sent anything but JSON."""

from __future__ import annotations

import pytest

from tests.fakes.auth import bearer, client, make_client, new_phone, sms, sms_login, wechat
from tests.spec import assert_matches_spec, spec

USES_FIXTURES = (client, make_client, sms, wechat)
MESSAGES = "/api/v1/guide/messages"


async def test_personal_answers_are_never_stored_and_nothing_is_sniffed(client, sms) -> None:
    tokens = await sms_login(client, sms[1], new_phone())
    started = await client.post(
        MESSAGES, json={"text": "我们想领结婚证"}, headers=bearer(tokens["access_token"])
    )
    conversation = started.json()["conversation_id"]
    personal = {
        "profile": await client.get("/api/v1/me", headers=bearer(tokens["access_token"])),
        "guide turn": started,
        "transcript": await client.get(
            f"/api/v1/guide/conversations/{conversation}", headers=bearer(tokens["access_token"])
        ),
        "progress lookup": await client.get(
            "/api/v1/progress", params={"receipt_no": "x", "query_code": "y"}
        ),
        "refused": await client.get("/api/v1/me"),
        "unknown route": await client.get("/api/v1/nothing-here"),
    }
    for name, response in personal.items():
        assert response.headers.get("cache-control") == "no-store", name
        assert response.headers.get("x-content-type-options") == "nosniff", name
    # Public, versioned guides stay cacheable by ETag; every other response is nosniff too.
    bundles = await client.get("/api/v1/bundles")
    assert bundles.headers["cache-control"] == "no-cache" and bundles.headers["etag"]
    for path in ("/api/v1/bundles", "/livez", "/healthz", "/metrics", "/console-nothing"):
        assert (await client.get(path)).headers.get("x-content-type-options") == "nosniff", path


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=gbk",
        "application/jsonp",
    ],
)
async def test_json_routes_refuse_other_media_types(client, content_type) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(MESSAGES, content='{"text": "结婚要带什么"}'.encode(), headers=headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert_matches_spec(415, response.json(), "POST", MESSAGES)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=UTF-8", "application/merge-patch+json"]
)
async def test_json_in_any_spelling_is_accepted(client, content_type) -> None:
    body = '{"text": "结婚要带什么"}'.encode()
    response = await client.post(MESSAGES, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text


def test_every_operation_with_a_json_body_documents_415() -> None:
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert "415" in operation["responses"], f"{method.upper()} {path}"
