"""The guide over HTTP: conversations across requests, workers and restarts; bad input; turn records."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from server.db import close_db, init_db
from server.models import Conversation, Turn
from server.turns import WRITE_CHUNK, TurnRecord, TurnRecorder
from tests.conftest import real_url
from tests.spec import assert_matches_spec

MESSAGES = "/api/v1/guide/messages"
CONVERSATION = "/api/v1/guide/conversations/{conversation_id}"
CHECKLIST = "/api/v1/bundles/{slug}/checklist"
JSON = {"Content-Type": "application/json"}


async def say(api: httpx.AsyncClient, status: int = 200, **body) -> dict:
    """POST one message, check the status and the body against the spec, return the body."""
    response = await api.post(MESSAGES, json=body)
    assert response.status_code == status, response.text
    assert_matches_spec(status, response.json(), "POST", MESSAGES)
    return response.json()


async def test_a_conversation_goes_from_words_to_checklist(api: httpx.AsyncClient) -> None:
    first = await say(api, text="我们准备领证,不做婚检")
    assert first["bundle"] == "marriage" and first["reply"]["type"] == "question"
    understood = {u["question_id"] for u in first["reply"]["understood"]}
    assert {"want_premarital_exam", "marital_history"} <= understood
    conversation_id = first["conversation_id"]
    reply = first["reply"]
    assert reply["question_id"] == "party_identity"
    body = await say(
        api,
        conversation_id=conversation_id,
        answer={"question_id": "party_identity", "option_id": "both_mainland"},
    )
    assert body["reply"]["type"] == "checklist"  # the extras were talked about: defaults, no items choice
    names = [m["name"] for m in body["reply"]["checklist"]["materials"]]
    assert any("居民身份证" in n for n in names) and any("声明" in n for n in names)
    assert not any("户口簿" in n for n in names)  # the household-register update is opt-in
    body = await say(api, conversation_id=conversation_id, text="户口本也要改成已婚,其他都不需要")
    reply = body["reply"]
    assert reply["type"] == "checklist" and reply["understood"][0]["option_id"] == "update_yes"
    assert any("户口簿" in m["name"] for m in reply["checklist"]["materials"])
    follow_up = await say(api, conversation_id=conversation_id, text="要钱吗")
    assert follow_up["reply"]["type"] == "answer" and follow_up["bundle"] == "marriage"


async def test_the_stateless_checklist_matches_the_conversation_rules(api: httpx.AsyncClient) -> None:
    body = {"answers": {"party_identity": "both_mainland", "want_hukou_update": "update_no"}}
    response = await api.post(CHECKLIST.format(slug="marriage"), json=body)
    assert response.status_code == 200
    assert_matches_spec(200, response.json(), "POST", CHECKLIST)
    ids = [m["id"] for m in response.json()["checklist"]["materials"]]
    assert "id_card" in ids and "household_register" not in ids
    old = await api.post(CHECKLIST.format(slug="marriage"), json={**body, "date": "2025-01-02"})
    assert "household_register" in [m["id"] for m in old.json()["checklist"]["materials"]]


@pytest.mark.parametrize(
    ("slug", "body", "status", "code"),
    [
        ("passport", {}, 404, "bundle_not_found"),
        ("marriage", {"answers": {"party_identity": "martian"}}, 422, "unknown_option"),
        ("marriage", {"answers": {"no_such_question": "x"}}, 422, "unknown_question"),
        ("marriage", {"chosen_items": ["no_such_item"]}, 422, "unknown_item"),
        ("marriage", {"answers": "nope"}, 422, "validation_error"),
    ],
)
async def test_stateless_checklist_bad_input(api: httpx.AsyncClient, slug, body, status, code) -> None:
    response = await api.post(CHECKLIST.format(slug=slug), json=body)
    assert response.status_code == status
    assert_matches_spec(status, response.json(), "POST", CHECKLIST)
    assert response.json()["error"]["code"] == code


async def test_stateless_checklist_refuses_non_json(api: httpx.AsyncClient) -> None:
    response = await api.post(CHECKLIST.format(slug="marriage"), content=b"{nope", headers=JSON)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": ""}, 422, "empty_text"),
        ({"text": "   \n\t"}, 422, "empty_text"),
        ({"text": "结" * 501}, 422, "text_too_long"),
        ({}, 422, "missing_input"),
        ({"conversation_id": "0" * 32, "text": "结婚"}, 404, "conversation_not_found"),
        (
            {"answer": {"question_id": "party_identity", "option_id": "both_mainland"}},
            422,
            "question_not_asked",
        ),
        ({"text": 5}, 422, "validation_error"),
        ({"text": "hi", "surprise": 1}, 422, "validation_error"),
    ],
)
async def test_bad_messages_get_a_clear_4xx(api: httpx.AsyncClient, body, status, code) -> None:
    error = await say(api, status, **body)
    assert error["error"]["code"] == code and error["error"]["message"]


async def test_non_json_is_a_400(api: httpx.AsyncClient) -> None:
    for raw in (b"{not json", b"[1, 2]", b""):
        response = await api.post(MESSAGES, content=raw, headers=JSON)
        assert response.status_code == 400, raw
        assert_matches_spec(400, response.json(), "POST", MESSAGES)


async def test_answers_must_fit_the_question_asked(api: httpx.AsyncClient) -> None:
    first = await say(api, text="我们想领结婚证")
    question = first["reply"]
    assert question["type"] == "question"
    conversation_id = first["conversation_id"]
    wrong_question = await say(
        api,
        422,
        conversation_id=conversation_id,
        answer={"question_id": "want_premarital_exam", "option_id": "exam_yes"},
    )
    assert wrong_question["error"]["code"] == "question_not_asked"
    wrong_option = await say(
        api,
        422,
        conversation_id=conversation_id,
        answer={"question_id": question["question_id"], "option_id": "no_such_option"},
    )
    assert wrong_option["error"]["code"] == "unknown_option"


@pytest.mark.parametrize("text", ["😀😀😀", "???!!!", "。。。", "asdfghjkl qwerty"])
async def test_emoji_punctuation_and_nonsense_get_a_fallback(api: httpx.AsyncClient, text: str) -> None:
    body = await say(api, text=text)
    assert body["bundle"] is None
    assert body["reply"]["type"] == "fallback" and body["reply"]["operator"]["available"] is True


async def test_turns_are_recorded_masked_and_readable_by_the_guest(api: httpx.AsyncClient) -> None:
    first = await say(api, text="我们想领证,我电话13812345678")
    conversation_id = first["conversation_id"]
    await say(api, conversation_id=conversation_id, text="要钱吗")
    path = CONVERSATION.format(conversation_id=conversation_id)
    response = await api.get(path)
    assert response.status_code == 200
    assert_matches_spec(200, response.json(), "GET", "/api/v1/guide/conversations/{conversation_id}")
    turns = response.json()["turns"]
    assert [t["seq"] for t in turns] == [1, 2]
    assert "13812345678" not in turns[0]["text"] and "138****5678" in turns[0]["text"]
    assert turns[0]["bundle"] == "marriage" and turns[0]["confidence"] > 0
    assert turns[1]["reply_type"] == "answer"
    missing = await api.get(CONVERSATION.format(conversation_id="f" * 32))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "conversation_not_found"


async def test_recorder_writes_in_batches_and_everything_on_stop(migrated: Settings) -> None:
    await init_db(migrated)
    try:
        recorder = TurnRecorder(flush_seconds=3600, batch_size=1000)
        now = dt.datetime.now(dt.UTC)
        for seq in (1, 2, 3):
            await recorder.record(
                TurnRecord(
                    "c" * 32,
                    None,
                    seq,
                    f"身份证110101199003071234 第{seq}句",
                    "marriage",
                    0.8,
                    "question",
                    {"type": "question"},
                    1.5,
                    now,
                )
            )
        assert await Turn.all().count() == 0  # queued, not written on the caller's path
        await recorder.stop()
        turns = await Turn.filter(conversation_id="c" * 32).order_by("seq")
        assert [t.seq for t in turns] == [1, 2, 3]
        assert "110101********1234" in turns[0].text and "19900307" not in turns[0].text
        conversation = await Conversation.get(id="c" * 32)
        assert conversation.turn_count == 3 and conversation.bundle == "marriage"
    finally:
        await close_db()


async def test_a_large_batch_is_written_whole_in_chunks(migrated: Settings) -> None:
    await init_db(migrated)
    try:
        recorder = TurnRecorder(flush_seconds=3600)
        now = dt.datetime.now(dt.UTC)
        count = WRITE_CHUNK * 2 + 7
        for seq in range(1, count + 1):
            turn = TurnRecord("e" * 32, None, seq, "领证", "marriage", 0.9, "question", {}, 1.0, now)
            await recorder.record(turn)
        assert await recorder.flush() == count
        assert await Turn.filter(conversation_id="e" * 32).count() == count
        assert (await Conversation.get(id="e" * 32)).turn_count == count
    finally:
        await recorder.stop()
        await close_db()


async def test_a_queued_guest_turn_never_empties_a_claimed_owner(migrated: Settings) -> None:
    await init_db(migrated)
    try:
        recorder = TurnRecorder(flush_seconds=3600)
        now = dt.datetime.now(dt.UTC)

        def turn(seq: int, user_id: str | None) -> TurnRecord:
            return TurnRecord("d" * 32, user_id, seq, "领证", "marriage", 0.9, "question", {}, 1.0, now)

        await recorder.record(turn(1, "u-1"))
        await recorder.flush()
        await recorder.record(turn(2, None))  # written by another worker before the claim reached it
        await recorder.stop()
        conversation = await Conversation.get(id="d" * 32)
        assert conversation.user_id == "u-1" and conversation.turn_count == 2
    finally:
        await close_db()


def _post(api: httpx.Client, **body) -> dict:
    response = api.post(MESSAGES, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_conversation_continues_across_requests_over_sockets_and_turns_survive_shutdown(
    live_server, tmp_path: Path
) -> None:
    database = tmp_path / "live.sqlite3"
    server = live_server(DATABASE_URL=f"sqlite://{database}", TURN_FLUSH_SECONDS="3600")
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        first = _post(api, text="我们想领结婚证")
        conversation_id = first["conversation_id"]
        question = first["reply"]
        second = _post(
            api,
            conversation_id=conversation_id,
            answer={"question_id": question["question_id"], "option_id": question["options"][0]["id"]},
        )
        assert (
            second["bundle"] == "marriage" and second["reply"].get("question_id") != question["question_id"]
        )
    server.stop()
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT seq FROM turn WHERE conversation_id = ? ORDER BY seq", (conversation_id,))
        assert [seq for (seq,) in rows] == [1, 2]


def test_any_worker_continues_any_conversation_through_redis(live_server) -> None:
    server = live_server(WORKERS="2", REDIS_URL=real_url("TEST_REDIS_URL"))
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        conversation_id = _post(api, text="我们想领结婚证")["conversation_id"]
        # New connections are spread over the workers; every turn must find the conversation.
        for _ in range(8):
            with httpx.Client(base_url=server.base_url, timeout=10) as fresh:
                body = _post(fresh, conversation_id=conversation_id, text="要钱吗")
                assert body["bundle"] == "marriage" and body["reply"]["type"] == "answer"
