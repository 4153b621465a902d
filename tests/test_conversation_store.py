"""How a conversation is kept between turns: the compact stored form, its round trip, and older forms."""

from __future__ import annotations

import datetime as dt
import json

import httpx
from sanic import Sanic

from server.conversations import KEY_PREFIX, ConversationRecord, decode, encode, new_conversation_id
from server.guide.dialogue import Message, new_state, step
from server.knowledge_service import KnowledgeService

MESSAGES = "/api/v1/guide/messages"
TODAY = dt.date(2026, 3, 2)


def states_of_a_conversation(served: KnowledgeService) -> list[dict]:
    """The states a real conversation goes through, from a new one to its checklist and a follow-up."""
    current = served.current
    state: dict = new_state()
    states = [state]
    for message in (
        Message(text="我们准备领证,不做婚检"),
        Message(answer=("party_identity", "both_mainland")),
        Message(text="户口不动,其他都不需要"),
        Message(text="要钱吗"),
    ):
        state, _ = step(state, message, current.knowledge, current.matcher, TODAY)
        states.append(state)
    return states


def test_every_state_of_a_conversation_survives_the_round_trip(served_knowledge: KnowledgeService) -> None:
    for seq, state in enumerate(states_of_a_conversation(served_knowledge)):
        record = ConversationRecord(id=new_conversation_id(), owner="u1" if seq % 2 else None, seq=seq)
        record.state = state
        assert decode(record.id, encode(record)) == record


def test_the_stored_form_leaves_out_what_still_holds_its_starting_value() -> None:
    record = ConversationRecord(id=new_conversation_id(), state={**new_state(), "bundle": "marriage"})
    stored = encode(record)
    assert json.loads(stored) == [2, None, 0, {"bundle": "marriage"}]
    old_form = json.dumps({"id": record.id, "owner": None, "seq": 0, "state": record.state})
    assert len(stored) < len(old_form) / 4
    assert decode(record.id, stored) == record


def test_a_state_stored_by_the_earlier_version_is_read() -> None:
    old = {"id": "a" * 32, "owner": "u1", "seq": 3, "state": {"bundle": "marriage", "answers": {"x": "y"}}}
    record = decode("a" * 32, json.dumps(old, ensure_ascii=False))
    assert record is not None and (record.owner, record.seq) == ("u1", 3)
    assert record.state == {**new_state(), "bundle": "marriage", "answers": {"x": "y"}}


def test_a_form_this_version_does_not_know_reads_as_no_conversation() -> None:
    assert decode("a" * 32, json.dumps([3, None, 0, {}])) is None
    assert decode("a" * 32, "{not json") is None


async def test_a_conversation_stored_by_the_earlier_version_goes_on(
    api: httpx.AsyncClient, app: Sanic
) -> None:
    """A conversation begun before an upgrade (the old form, as `asdict` wrote it) continues after it."""
    first = await api.post(MESSAGES, json={"text": "我们准备领证,不做婚检"})
    conversation_id = first.json()["conversation_id"]
    record = decode(conversation_id, await app.ctx.kv.get(KEY_PREFIX + conversation_id))
    assert record is not None
    old_form = {"id": record.id, "owner": record.owner, "seq": record.seq, "state": record.state}
    await app.ctx.kv.set(KEY_PREFIX + conversation_id, json.dumps(old_form, ensure_ascii=False), 600)
    answer = {"question_id": "party_identity", "option_id": "both_mainland"}
    body = await api.post(MESSAGES, json={"conversation_id": conversation_id, "answer": answer})
    assert body.status_code == 200, body.text
    assert body.json()["bundle"] == "marriage" and body.json()["reply"]["type"] == "checklist"
    stored = json.loads(await app.ctx.kv.get(KEY_PREFIX + conversation_id))
    assert stored[0] == 2 and stored[2] == 2  # saved again in the current form, second turn


async def test_an_unreadable_record_is_a_clear_404(api: httpx.AsyncClient, app: Sanic) -> None:
    conversation_id = new_conversation_id()
    await app.ctx.kv.set(KEY_PREFIX + conversation_id, json.dumps([99, None, 0, {}]), 600)
    body = await api.post(MESSAGES, json={"conversation_id": conversation_id, "text": "结婚登记"})
    assert body.status_code == 404 and body.json()["error"]["code"] == "conversation_not_found"
