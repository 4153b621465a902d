"""ID and phone numbers in every common written form are masked before they are stored (turn rows,
the kv's conversation state), shown (transcripts) or logged (at DEBUG too, library loggers included)."""

from __future__ import annotations

import json
import unicodedata
import uuid

import pytest
from sanic import Sanic

from server.auth.operators import Operators
from server.conversations import KEY_PREFIX
from server.db import apply_migrations
from server.kv import MemoryKV
from server.privacy import mask_data, mask_text
from tests.conftest import serving
from tests.fakes.auth import captured_logs

# (as written, the digits that must never survive)
FORMS = [
    ("13987654321", "8765"),
    ("+86 139 8765 4321", "8765"),
    ("+86-139-8765-4321", "8765"),
    ("0086 13987654321", "8765"),
    ("0086-139-8765-4321", "8765"),
    ("(+86)13987654321", "8765"),
    ("8613987654321", "8765"),
    ("139-8765-4321", "8765"),
    ("139 8765 4321", "8765"),
    ("139.8765.4321", "8765"),
    ("１３９８７６５４３２１", "8765"),
    ("＋８６ １３９－８７６５－４３２１", "8765"),
    ("139\u30008765\u30004321", "8765"),
    ("11010519491231002X", "19491231"),
    ("11010519491231002x", "19491231"),
    ("110105 19491231 002X", "19491231"),
    ("110105-19491231-002X", "19491231"),
    ("１１０１０５１９４９１２３１００２Ｘ", "19491231"),
    ("110105491231002", "491231"),  # the old 15-digit number
    ("13987654321 13812345678", "8765"),  # two written together
]


def digits_of(text: str) -> str:
    """What a reader can still take from the text: its digits, full-width folded, separators gone."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


@pytest.mark.parametrize(("written", "secret"), FORMS)
def test_every_written_form_is_masked(written: str, secret: str) -> None:
    masked = mask_text(f"我的号码是{written},谢谢")
    assert secret not in digits_of(masked), masked
    assert masked.startswith("我的号码是") and masked.endswith(",谢谢")


@pytest.mark.parametrize("text", ["今年60岁", "2024-01-02 办的", "3.5万", "第1页共2页", "邮编100000"])
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_numbers_we_issued_are_kept_and_the_rest_masked() -> None:
    text = "受理编号 2026120260491393,联系电话 13812345678"
    assert mask_text(text, keep=("2026120260491393",)) == "受理编号 2026120260491393,联系电话 138****5678"
    assert "2026120260491393" not in mask_text(text)


def test_ids_we_issue_are_no_numbers_though_they_hold_a_long_digit_run() -> None:
    issued = "7b5ba65955234986a992ace652a1891a"  # an operator id whose digits 65955234986 once got masked
    dashed = str(uuid.UUID(issued))
    text = f"target {issued} / {dashed}, 电话13812345678, 32 digits 12345678901234567890123456789012"
    assert mask_text(text) == (
        f"target {issued} / {dashed}, 电话138****5678, 32 digits 123*************************9012"
    )
    assert mask_data({"target": issued}) == {"target": issued}


def test_data_is_masked_inside_lists_and_dicts() -> None:
    assert mask_data({"a": ["13987654321", {"b": "110105 19491231 002X"}], "n": 3}) == {
        "a": ["139****4321", {"b": "110105********002X"}],
        "n": 3,
    }


async def test_stored_state_turns_transcripts_and_logs_hold_no_number(api, app: Sanic) -> None:
    text = "我们想领证," + ",".join(written for written, _ in FORMS)
    with captured_logs() as logs:
        first = await api.post("/api/v1/guide/messages", json={"text": text})
        assert first.status_code == 200
        conversation_id = first.json()["conversation_id"]
        await api.post("/api/v1/guide/messages", json={"conversation_id": conversation_id, "text": text})
        transcript = await api.get(f"/api/v1/guide/conversations/{conversation_id}")
    state = await app.ctx.kv.get(KEY_PREFIX + conversation_id)
    assert transcript.status_code == 200 and len(transcript.json()["turns"]) == 2
    for where in (state, transcript.text, json.dumps(first.json(), ensure_ascii=False), logs.getvalue()):
        for _, secret in FORMS:
            assert secret not in digits_of(where)


async def test_debug_logs_echo_no_sql_parameters(make_settings, served_knowledge) -> None:
    """At LOG_LEVEL=DEBUG the database drivers would log every statement's values (hashes, texts)."""
    from server.app import create_app

    settings = make_settings(log_level="DEBUG")
    await apply_migrations(settings)
    password = "correct horse battery staple"
    app = create_app(settings, name="t" + uuid.uuid4().hex[:12], knowledge=served_knowledge)
    try:
        async with serving(app) as api:
            await Operators(MemoryKV(), settings).create("debug-boss", password, "supervisor")
            with captured_logs() as logs:
                login = await api.post(
                    "/api/v1/operators/login", json={"username": "debug-boss", "password": password}
                )
                said = await api.post("/api/v1/guide/messages", json={"text": "领证 电话 139 8765 4321"})
                await api.get(f"/api/v1/guide/conversations/{said.json()['conversation_id']}")
    finally:
        Sanic._app_registry.pop(app.name, None)
    assert login.status_code == 200 and said.status_code == 200
    written = logs.getvalue()
    assert "$argon2" not in written and "debug-boss" not in written
    assert "8765" not in digits_of(written)
