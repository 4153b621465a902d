"""好差评 and 投诉建议 over the running app (both backends): rate once, a bad rating opens a follow-up a
supervisor answers within working days, 投诉建议 with their own deadlines, the citizen sees state and
answer; overdue on the domain with chosen dates; supervisors' statistics."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from server.clock import today
from server.db import close_db, init_db
from server.guide.knowledge import load_knowledge
from server.models import Application
from server.operators import cases, ratings
from server.operators.deadlines import CaseDeadlines
from server.operators.errors import OperatorsError
from server.operators.texts import load_operators_knowledge
from tests.fakes.auth import bearer, client, make_client, new_phone, sms, sms_login, wechat
from tests.fakes.operators import operator_login, say
from tests.spec import assert_matches_spec

USES_FIXTURES = (client, make_client, sms, wechat)


@pytest.fixture(scope="module")
def calendar() -> cases.Calendar:
    return cases.Calendar(load_knowledge().calendar)


async def citizen(client, sms) -> dict[str, str]:
    return bearer((await sms_login(client, sms[1], new_phone()))["access_token"])


async def test_bad_rating_opens_a_case_a_supervisor_answers(client, settings, sms, calendar) -> None:
    me = await citizen(client, sms)
    other = await citizen(client, sms)
    op = await operator_login(client, settings)
    boss = await operator_login(client, settings, "supervisor")
    conversation = (await say(client, "我要退休了", headers=me))["conversation_id"]

    options = (await client.get("/api/v1/rating-options")).json()
    assert_matches_spec(200, options, "GET", "/api/v1/rating-options")
    assert [level["name"] for level in options["levels"]][0] == "非常满意"
    body = {"target_kind": "conversation", "target_id": conversation, "score": 1}
    assert (await client.post("/api/v1/ratings", json=body)).status_code == 401
    mismatch = await client.post("/api/v1/ratings", json={**body, "tags": ["efficient"]}, headers=me)
    assert mismatch.status_code == 422 and mismatch.json()["error"]["code"] == "tag_mismatch"
    unknown = await client.post("/api/v1/ratings", json={**body, "tags": ["nope"]}, headers=me)
    assert unknown.json()["error"]["code"] == "unknown_tag"
    foreign = await client.post("/api/v1/ratings", json=body, headers=other)
    assert foreign.status_code == 404

    rated = await client.post(
        "/api/v1/ratings",
        json={**body, "tags": ["extra_requirements"], "comment": "窗口让我多交材料,电话13812345678"},
        headers=me,
    )
    assert rated.status_code == 201, rated.text
    assert_matches_spec(201, rated.json(), "POST", "/api/v1/ratings")
    case = rated.json()["case"]
    day = today(settings.timezone)
    assert case["due_on"] == calendar.add(day, 15)[0].isoformat() and case["working_days"] == 15
    assert case["status"] == "open" and not case["overdue"] and "user_id" not in case
    again = await client.post("/api/v1/ratings", json={**body, "score": 5}, headers=me)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"

    listed = (await client.get("/api/v1/cases", params={"status": "open"}, headers=op)).json()
    assert_matches_spec(200, listed, "GET", "/api/v1/cases")
    shown = next(c for c in listed["cases"] if c["id"] == case["id"])
    assert shown["rating"]["tags"] == [{"id": "extra_requirements", "text": "在办事指南之外增加条件或材料"}]
    assert "13812345678" not in str(listed) and shown["actions"] == ["revisit", "rectify"]
    flagged = await client.get("/api/v1/conversations", params={"rated_bad": "true"}, headers=op)
    assert [c["id"] for c in flagged.json()["conversations"]] == [conversation]

    answer = {"action": "rectify", "answer": "已核实并整改,向您致歉。"}
    refused = await client.post(f"/api/v1/cases/{case['id']}/answer", json=answer, headers=op)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "supervisor_required"
    wrong = await client.post(
        f"/api/v1/cases/{case['id']}/answer", json={**answer, "action": "reply"}, headers=boss
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_action"
    done = await client.post(f"/api/v1/cases/{case['id']}/answer", json=answer, headers=boss)
    assert done.status_code == 200 and done.json()["case"]["answered_in_time"] is True
    twice = await client.post(f"/api/v1/cases/{case['id']}/answer", json=answer, headers=boss)
    assert twice.status_code == 409

    mine = (await client.get("/api/v1/me/cases", headers=me)).json()["cases"]
    assert_matches_spec(200, {"cases": mine}, "GET", "/api/v1/me/cases")
    assert [(c["status"], c["answer"], c["action"]) for c in mine] == [
        ("answered", answer["answer"], "rectify")
    ]
    assert (await client.get(f"/api/v1/me/cases/{case['id']}", headers=other)).status_code == 404

    stats = await client.get("/api/v1/statistics", headers=boss)
    assert stats.status_code == 200, stats.text
    assert_matches_spec(200, stats.json(), "GET", "/api/v1/statistics")
    figures = stats.json()
    assert figures["ratings"] == {
        "count": 1,
        "average": 1.0,
        "bad": 1,
        "distribution": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0},
    }
    assert figures["bad_answered_in_time"]["share"] == 1.0 and figures["conversations"] >= 1
    assert sum(d["turns"] for d in figures["days"]) == figures["turns"] >= 1
    assert (await client.get("/api/v1/statistics", headers=op)).status_code == 403


async def test_feedback_categories_have_their_own_deadlines(client, settings, sms, calendar) -> None:
    me = await citizen(client, sms)
    op = await operator_login(client, settings)
    conversation = (await say(client, "孩子出生了要办什么", headers=me))["conversation_id"]
    day = today(settings.timezone)
    due = {}
    for kind, days in (("consultation", 5), ("complaint", 15), ("suggestion", 20)):
        filed = await client.post(
            "/api/v1/feedback",
            json={
                "kind": kind,
                "text": f"{kind}:出生登记要跑两次",
                "reference_kind": "conversation",
                "reference_id": conversation,
            },
            headers=me,
        )
        assert filed.status_code == 201, filed.text
        assert_matches_spec(201, filed.json(), "POST", "/api/v1/feedback")
        due[kind] = filed.json()["case"]
        assert due[kind]["due_on"] == calendar.add(day, days)[0].isoformat()
    bad_ref = await client.post(
        "/api/v1/feedback",
        json={"kind": "complaint", "text": "x", "reference_kind": "application", "reference_id": "nope"},
        headers=me,
    )
    assert bad_ref.status_code == 404
    answered = await client.post(
        f"/api/v1/cases/{due['complaint']['id']}/answer",
        json={"action": "reply", "answer": "已转出生登记窗口核实。"},
        headers=op,
    )
    assert answered.status_code == 200  # 投诉建议 are answered by any operator
    complaints = (
        await client.get("/api/v1/cases", params={"kind": "complaint", "status": "answered"}, headers=op)
    ).json()
    assert [c["id"] for c in complaints["cases"]] == [due["complaint"]["id"]]


@pytest.fixture
async def database(migrated):
    await init_db(migrated)
    yield migrated
    await close_db()


async def test_overdue_cases_and_rating_only_finished_applications(database, calendar) -> None:
    texts = load_operators_knowledge(database.knowledge_dir)
    opened_on = dt.date(2026, 9, 28)  # before the National Day holiday: the calendar skips it
    case = await cases.open_case(
        "complaint",
        user_id="u1",
        text="窗口态度差",
        reference=None,
        rating=None,
        now=dt.datetime(2026, 9, 28, 2, tzinfo=dt.UTC),
        today=opened_on,
        calendar=calendar,
        deadlines=CaseDeadlines(complaint=5),
    )
    assert case.due_on == dt.date(
        2026, 10, 10
    )  # 9-29, 9-30, (国庆 10-1…7 off) 10-8, 10-9, 10-10 (调休 Saturday)
    stored = await cases.get_case(case.id)
    view = cases.case_json(
        stored, today=dt.date(2026, 10, 12), calendar=calendar, texts=texts, for_operator=True
    )
    assert view["overdue"] is True and view["working_days_left"] == 0
    late, _ = await cases.list_cases(
        kind=None, status=None, overdue=True, today=dt.date(2026, 10, 12), limit=10, offset=0
    )
    assert [c.id for c in late] == [case.id]
    early, _ = await cases.list_cases(
        kind=None, status=None, overdue=True, today=dt.date(2026, 10, 10), limit=10, offset=0
    )
    assert early == []
    assert cases.Calendar(None).add(dt.date(2030, 1, 4), 1) == (dt.date(2030, 1, 7), True)  # approximate

    application = await Application.create(
        id=uuid.uuid4().hex,
        receipt_no="R" + uuid.uuid4().hex[:10],
        query_code_hash="h",
        query_code_encrypted="e",
        user_id="u1",
        bundle="retirement",
        form_encrypted="f",
        knowledge_version="v",
        submitted_at=dt.datetime.now(dt.UTC),
    )
    rate = dict(
        user_id="u1",
        target_kind="application",
        target_id=application.id,
        score=2,
        tags=["overdue"],
        comment="",
        now=dt.datetime.now(dt.UTC),
        today=opened_on,
        calendar=calendar,
        deadlines=CaseDeadlines(),
    )
    with pytest.raises(OperatorsError) as refused:
        await ratings.rate(texts, **rate)  # type: ignore[arg-type]
    assert refused.value.code == "not_finished"
    application.status = "done"
    await application.save()
    rating, case_id = await ratings.rate(texts, **rate)  # type: ignore[arg-type]
    assert rating.score == 2 and case_id is not None


async def test_conversations_with_an_application_and_its_bad_rating(client, settings, sms) -> None:
    me = await citizen(client, sms)
    op = await operator_login(client, settings)
    applied = (await say(client, "我要退休了", headers=me))["conversation_id"]
    other = (await say(client, "孩子出生了要办什么", headers=me))["conversation_id"]
    await client.get("/api/v1/conversations", headers=op)  # writes the queued turns
    user_id = (await client.get("/api/v1/me", headers=me)).json()["id"]
    application = await Application.create(
        id=uuid.uuid4().hex,
        receipt_no="R" + uuid.uuid4().hex[:10],
        query_code_hash="h",
        query_code_encrypted="e",
        user_id=user_id,
        conversation_id=applied,
        bundle="retirement",
        status="done",
        form_encrypted="f",
        knowledge_version="v",
        submitted_at=dt.datetime.now(dt.UTC),
    )
    with_app = (
        await client.get("/api/v1/conversations", params={"has_application": "true"}, headers=op)
    ).json()
    assert [c["id"] for c in with_app["conversations"]] == [applied]
    assert with_app["conversations"][0]["application_ids"] == [application.id]
    without = (
        await client.get("/api/v1/conversations", params={"has_application": "false"}, headers=op)
    ).json()
    assert applied not in [c["id"] for c in without["conversations"]] and other in [
        c["id"] for c in without["conversations"]
    ]

    rated = await client.post(
        "/api/v1/ratings",
        json={"target_kind": "application", "target_id": application.id, "score": 2, "tags": ["overdue"]},
        headers=me,
    )
    assert rated.status_code == 201 and rated.json()["case"]["kind"] == "rating_followup"
    bad = (await client.get("/api/v1/conversations", params={"rated_bad": "true"}, headers=op)).json()
    assert [c["id"] for c in bad["conversations"]] == [applied]  # rated through its application
