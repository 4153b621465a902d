"""Operators review conversations, teach the guide and read the unmatched report (both backends)."""

from __future__ import annotations

import json
import subprocess
import sys

from server.config import REPO_ROOT
from tests.fakes.auth import client, make_client, sms, wechat
from tests.fakes.operators import operator_login, say
from tests.spec import assert_matches_spec

USES_FIXTURES = (client, make_client, sms, wechat)


async def test_list_filters_transcript_masked_and_audited(client, settings) -> None:
    op = await operator_login(client, settings)
    boss = await operator_login(client, settings, "supervisor")
    married = await say(client, "我俩下个月领证要带啥")
    weird = await say(client, "我的手机号13812345678,天上的星星为什么会眨眼")
    await say(client, "月亮为什么是圆的", weird["conversation_id"])

    assert (await client.get("/api/v1/conversations")).status_code == 401
    listed = await client.get("/api/v1/conversations", headers=op)
    assert listed.status_code == 200, listed.text
    ids = [c["id"] for c in listed.json()["conversations"]]
    assert ids[:2] == [weird["conversation_id"], married["conversation_id"]]  # newest first

    fallback = await client.get("/api/v1/conversations", params={"reply_type": "fallback"}, headers=op)
    found = fallback.json()["conversations"]
    assert_matches_spec(200, fallback.json(), "GET", "/api/v1/conversations")
    assert [c["id"] for c in found] == [weird["conversation_id"]]
    assert found[0]["reply_types"] == {"fallback": 2}
    assert "13812345678" not in fallback.text and "138****5678" in found[0]["first_text"]

    by_bundle = await client.get("/api/v1/conversations", params={"bundle": "marriage"}, headers=op)
    assert [c["id"] for c in by_bundle.json()["conversations"]] == [married["conversation_id"]]
    searched = await client.get("/api/v1/conversations", params={"q": "月亮"}, headers=op)
    assert [c["id"] for c in searched.json()["conversations"]] == [weird["conversation_id"]]
    unsure = await client.get("/api/v1/conversations", params={"max_confidence": 0.0001}, headers=op)
    assert unsure.json()["conversations"] == []
    page = await client.get("/api/v1/conversations", params={"limit": 1}, headers=op)
    assert page.json()["next_offset"] == 1 and page.json()["total"] >= 2
    bad = await client.get("/api/v1/conversations", params={"limit": 0}, headers=op)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"

    shown = await client.get(f"/api/v1/conversations/{weird['conversation_id']}", headers=op)
    assert shown.status_code == 200
    turns = shown.json()["turns"]
    assert_matches_spec(200, shown.json(), "GET", "/api/v1/conversations/{conversation_id}")
    assert [t["reply_type"] for t in turns] == ["fallback", "fallback"]
    assert turns[0]["text"].startswith("我的手机号138****5678") and "13812345678" not in shown.text
    assert "confidence" in turns[0] and turns[0]["reply"]["type"] == "fallback"
    missing = await client.get("/api/v1/conversations/nope", headers=op)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "conversation_not_found"

    audit = await client.get(
        "/api/v1/audit-log", params={"conversation_id": weird["conversation_id"]}, headers=boss
    )
    assert [e["action"] for e in audit.json()["entries"]] == ["conversations.transcript"]


async def test_labels_inbox_review_and_exports(client, settings, tmp_path) -> None:
    op = await operator_login(client, settings)
    boss = await operator_login(client, settings, "supervisor")
    lost = await say(client, "俺家那口子走了后事咋弄哩呀嗷嗷")
    plain = await say(client, "我要退休了")
    inbox_body = (await client.get("/api/v1/labels/inbox", headers=op)).json()
    assert_matches_spec(200, inbox_body, "GET", "/api/v1/labels/inbox")
    inbox = inbox_body["turns"]
    ids = [t["turn_id"] for t in inbox]
    first_conv = [t["conversation_id"] for t in inbox]
    assert lost["conversation_id"] in first_conv and plain["conversation_id"] in first_conv
    confidences = [t["confidence"] if t["confidence"] is not None else -1 for t in inbox]
    assert confidences == sorted(confidences)  # the least sure first

    turn_id = next(t["turn_id"] for t in inbox if t["conversation_id"] == lost["conversation_id"])
    wrong = await client.put(f"/api/v1/turns/{turn_id}/label", json={"bundle": "nope"}, headers=op)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "unknown_bundle"
    bad_option = await client.put(
        f"/api/v1/turns/{turn_id}/label",
        json={"bundle": "after_death", "situation": {"no_such_question": "x"}},
        headers=op,
    )
    assert bad_option.status_code == 422 and bad_option.json()["error"]["code"] == "unknown_question"
    labelled = await client.put(f"/api/v1/turns/{turn_id}/label", json={"bundle": "after_death"}, headers=op)
    assert labelled.status_code == 200 and labelled.json()["label"]["status"] == "proposed"
    label_id = labelled.json()["label"]["id"]
    again = (await client.get("/api/v1/labels/inbox", headers=op)).json()["turns"]
    assert turn_id not in [t["turn_id"] for t in again] and len(again) == len(ids) - 1

    # Nothing is exported before review, and nobody reviews their own label.
    assert (await client.get("/api/v1/labels/export", headers=boss)).text == ""
    assert (
        await client.post(f"/api/v1/labels/{label_id}/review", json={"approve": True}, headers=op)
    ).status_code == 403
    approved = await client.post(f"/api/v1/labels/{label_id}/review", json={"approve": True}, headers=boss)
    assert approved.status_code == 200 and approved.json()["label"]["status"] == "approved"

    exported = await client.get("/api/v1/labels/export", headers=boss)
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in exported.text.splitlines()]
    assert [(r["text"], r["bundle"]) for r in rows] == [("俺家那口子走了后事咋弄哩呀嗷嗷", "after_death")]
    path = tmp_path / "labels.jsonl"
    path.write_text(exported.text, encoding="utf-8")
    evaluated = subprocess.run(
        [sys.executable, "-m", "server.guide.eval", str(path), "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(evaluated.stdout.strip().splitlines()[-1])["n"] == 1

    proposals = (await client.get("/api/v1/labels/lexicon-proposals", headers=boss)).json()
    if rows[0]["guide_bundle"] != "after_death":
        assert proposals["proposals"][0]["lexicon"] == "after_death"
        assert "俺家那口子走了后事咋弄哩呀嗷嗷" in proposals["yaml"]
    listed = (await client.get("/api/v1/labels", params={"status": "approved"}, headers=op)).json()["labels"]
    assert [label["id"] for label in listed] == [label_id]


async def test_unmatched_report_groups_similar_utterances(client, settings) -> None:
    op = await operator_login(client, settings)
    for text in ("天上的星星为什么会眨眼", "天上的星星为啥会眨眼", "天上星星为什么眨眼", "月亮为什么是圆的"):
        await say(client, text)
    report = (await client.get("/api/v1/reports/unmatched", headers=op)).json()
    assert_matches_spec(200, report, "GET", "/api/v1/reports/unmatched")
    top = report["groups"][0]
    assert top["count"] == 3 and len(top["examples"]) == 3
    assert top["reply_types"] == {"fallback": 3}
    assert any(g["text"] == "月亮为什么是圆的" and g["count"] == 1 for g in report["groups"])


async def test_statistics_for_supervisors(client, settings) -> None:
    op = await operator_login(client, settings)
    boss = await operator_login(client, settings, "supervisor")
    married = await say(client, "我俩下个月领证要带啥")
    await say(client, "天上的星星为什么会眨眼")
    await say(client, "转人工", married["conversation_id"])
    handoff = (await client.get("/api/v1/handoffs", headers=op)).json()["waiting"][0]
    await client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=op)
    await client.post(f"/api/v1/handoffs/{handoff['id']}/messages", json={"text": "您好"}, headers=op)

    assert (await client.get("/api/v1/statistics", headers=op)).status_code == 403
    response = await client.get("/api/v1/statistics", headers=boss)
    assert response.status_code == 200, response.text
    assert_matches_spec(200, response.json(), "GET", "/api/v1/statistics")
    figures = response.json()
    assert figures["turns"] == 3 and figures["conversations"] == 2 and figures["handoffs"] == 1
    assert figures["rates"] == {"fallback": round(1 / 3, 4), "clarify": 0.0, "handoff": 0.5}
    assert figures["days"][-1]["turns"] == 3 and len(figures["days"]) == 15
    assert figures["first_reply_seconds"]["count"] == 1 and figures["first_reply_seconds"]["median"] >= 0
    assert {"bundle": "marriage", "conversations": 1} in figures["bundles"]
    assert figures["overdue_tasks"] == 0 and figures["undelivered_notifications"] == 0
    assert figures["failed_notifications"] == 0
    backwards = await client.get(
        "/api/v1/statistics",
        params={"since": "2026-03-02T00:00:00+08:00", "until": "2026-03-01T00:00:00"},
        headers=boss,
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "invalid_range"
