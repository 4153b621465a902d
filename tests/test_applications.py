"""The whole errand over HTTP on both backends: guide -> form -> uploads -> application -> department
events (补正, 出件) -> progress by login and by 受理编号 + 查询码; bad input changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import uuid

import aioboto3
import httpx

from server.auth.operators import Operators
from server.config import Settings
from server.kv import MemoryKV
from server.models import Application, DepartmentEvent, Task, TimelineEvent, Upload
from tests.conftest import free_port
from tests.fakes.applications import (
    ID_NUMBER,
    MARRIAGE_FORM,
    PDF,
    SPOUSE_ID,
    Department,
    apply_for,
    citizen,
    jpeg,
    png,
    reach_checklist,
    upload,
)
from tests.fakes.auth import client, make_client, sms, wechat
from tests.spec import assert_matches_spec

USES_FIXTURES = (client, make_client, sms, wechat)
MARRIAGE = "我俩下个月领证要带啥"


def by_item(application: dict) -> dict[str, dict]:
    return {task["item"]: task for task in application["tasks"]}


async def marriage_application(client: httpx.AsyncClient, sms) -> tuple[dict, dict[str, str]]:
    headers = await citizen(client, sms)
    conversation_id, _ = await reach_checklist(client, headers, MARRIAGE)
    response = await apply_for(client, headers, conversation_id, MARRIAGE_FORM)
    assert response.status_code == 201, response.text
    assert_matches_spec(201, response.json(), "POST", "/api/v1/applications")
    return response.json()["application"], headers


async def test_the_form_merges_fields_once_prefilled_from_the_profile(client, sms) -> None:
    headers = await citizen(client, sms, id_number=ID_NUMBER)
    conversation_id, checklist = await reach_checklist(client, headers, MARRIAGE)
    response = await client.get(f"/api/v1/guide/conversations/{conversation_id}/form", headers=headers)
    assert response.status_code == 200, response.text
    assert_matches_spec(200, response.json(), "GET", "/api/v1/guide/conversations/{conversation_id}/form")
    form = response.json()
    names = [f["name"] for f in form["fields"]]
    assert len(names) == len(set(names))  # a field several items need is asked once
    fields = {f["name"]: f for f in form["fields"]}
    assert (
        fields["applicant_name"]["value"] == "张三"
        and fields["applicant_name"]["prefilled_from"] == "profile"
    )
    assert fields["applicant_id_number"]["value"] == ID_NUMBER
    assert fields["applicant_phone"]["value"].startswith("139")
    assert fields["counterparty_name"]["value"] is None and fields["counterparty_name"]["required"]
    assert len(fields["applicant_name"]["needed_by"]) == len(checklist["items"])
    assert fields["result_delivery"]["type"] == "choice" and fields["result_delivery"]["choices"]
    materials = {m["id"]: m for m in form["materials"]}
    assert materials["marriage_photo"]["upload"] is True
    assert materials["id_card"]["upload"] is False and materials["id_card"]["not_asked_reason"]
    # another citizen, a guest and an unknown conversation cannot read it
    other = await citizen(client, sms, profile=False)
    assert (
        await client.get(f"/api/v1/guide/conversations/{conversation_id}/form", headers=other)
    ).status_code == 404
    assert (await client.get(f"/api/v1/guide/conversations/{conversation_id}/form")).status_code == 401
    fresh = await client.post("/api/v1/guide/messages", json={"text": "你好"}, headers=headers)
    unfinished = fresh.json()["conversation_id"]
    early = await client.get(f"/api/v1/guide/conversations/{unfinished}/form", headers=headers)
    assert early.status_code == 409 and early.json()["error"]["code"] == "no_checklist"


async def test_bad_values_get_per_field_errors_and_create_nothing(client, sms) -> None:
    headers = await citizen(client, sms)
    conversation_id, _ = await reach_checklist(client, headers, MARRIAGE)
    bad = {
        **MARRIAGE_FORM,
        "counterparty_id_number": SPOUSE_ID[:-1] + "5",  # wrong check digit
        "applicant_phone": "12345",
        "marriage_registration_date": "2999-01-01",
        "result_delivery": "pigeon",
        "shoe_size": 42,
    }
    response = await apply_for(client, headers, conversation_id, bad)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_application"
    assert set(error["fields"]) == {
        "counterparty_id_number",
        "applicant_phone",
        "marriage_registration_date",
        "result_delivery",
        "shoe_size",
    }
    assert "校验位" in error["fields"]["counterparty_id_number"]
    post = {**MARRIAGE_FORM, "result_delivery": "post"}
    response = await apply_for(client, headers, conversation_id, post)
    assert response.json()["error"]["fields"] == {"contact_address": "请填写联系地址(结果邮寄地址)"}
    missing = await client.post(
        "/api/v1/applications",
        json={"conversation_id": conversation_id, "form": MARRIAGE_FORM},
        headers=headers,
    )
    assert missing.status_code == 422 and "marriage_photo" in missing.json()["error"]["materials"]
    assert await Application.all().count() == 0 and await Task.all().count() == 0
    listed = await client.get("/api/v1/applications", headers=headers)
    assert listed.json() == {"applications": []}


async def test_whole_errand_with_correction_and_result(client, sms, settings) -> None:
    application, headers = await marriage_application(client, sms)
    assert application["status"] == "submitted" and application["version"] == 1
    assert len(application["query_code"]) == 6 and application["receipt_no"].isdigit()
    tasks = by_item(application)
    registration = tasks["marriage_registration"]
    assert registration["status"] == "submitted" and registration["department"] == "civil_affairs"
    assert tasks["hukou_marital_status_update"]["status"] == "waiting"
    assert tasks["premarital_medical_exam"]["department"] == "health"
    assert application["form"]["counterparty_id_number"] == SPOUSE_ID  # the owner sees their values
    stored = await Application.get(id=application["id"])
    assert SPOUSE_ID not in stored.form_encrypted and "李梅" not in stored.form_encrypted

    civil = await Department.issue(client, settings, "civil_affairs")
    police = await Department.issue(client, settings, "public_security")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)

    def at(minutes: int) -> dt.datetime:
        return start + dt.timedelta(minutes=minutes)

    task_id = registration["id"]
    waiting = tasks["hukou_marital_status_update"]["id"]
    early = await police.event(waiting, "submitted", at=at(0))
    assert early.status_code == 409  # a waiting task is released by the registration, not by its department
    assert (await civil.event(task_id, "accepted", at=at(1))).json()["applied"] is True
    # the department reads the uploaded photo of its task; another department cannot
    photo = await civil.get(f"/api/v1/departments/tasks/{task_id}/materials/marriage_photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert (
        await police.get(f"/api/v1/departments/tasks/{task_id}/materials/marriage_photo")
    ).status_code == 404
    correction = {"materials": ["marriage_photo"], "deadline": "2026-12-31", "note": "照片需为近期合影"}
    response = await civil.event(task_id, "needs_correction", at=at(2), correction=correction)
    assert response.status_code == 200 and response.json()["task"]["status"] == "needs_correction"
    assert_matches_spec(200, response.json(), "POST", "/api/v1/departments/events")
    pulled = await civil.get("/api/v1/departments/tasks")
    assert_matches_spec(200, pulled.json(), "GET", "/api/v1/departments/tasks")
    listed = {t["id"]: t for t in pulled.json()["tasks"]}
    assert listed[task_id]["form"]["counterparty_name"] == "李梅"  # the department sees what its item needs
    own = (await client.get(f"/api/v1/applications/{application['id']}", headers=headers)).json()[
        "application"
    ]
    assert own["status"] == "needs_correction"
    assert by_item(own)["marriage_registration"]["correction"]["materials"] == ["marriage_photo"]

    target = f"/api/v1/applications/{application['id']}/tasks/{task_id}/correction"
    wrong = await client.post(target, json={"materials": {"id_card": "nope"}}, headers=headers)
    assert wrong.status_code == 422
    new_photo = (await upload(client, headers, "marriage_photo", png(800, 600, "pink"))).json()["upload"]
    answered = await client.post(
        target, json={"materials": {"marriage_photo": new_photo["id"]}}, headers=headers
    )
    assert answered.status_code == 200, answered.text
    assert by_item(answered.json()["application"])["marriage_registration"]["status"] == "in_review"

    for minutes, status, extra in [
        (10, "approved", {}),
        (11, "result_issued", {"result": {"method": "window", "pickup_place": "西城区婚姻登记处"}}),
        (12, "done", {}),
    ]:
        response = await civil.event(task_id, status, at=at(minutes), **extra)
        assert response.status_code == 200 and response.json()["applied"], response.text

    now = (await client.get(f"/api/v1/applications/{application['id']}", headers=headers)).json()[
        "application"
    ]
    tasks = by_item(now)
    assert tasks["marriage_registration"]["status"] == "done"
    assert tasks["marriage_registration"]["result"]["method"] == "window"
    for item in ("hukou_marital_status_update", "birth_registration", "spouse_hukou_migration"):
        assert tasks[item]["status"] == "submitted"  # released by the registration being done
    assert now["status"] == "in_progress"
    versions = [entry["version"] for entry in now["timeline"]]
    assert versions == list(range(1, now["version"] + 1))
    kinds = [entry["kind"] for entry in now["timeline"]]
    assert kinds[0] == "submitted" and "correction_answered" in kinds and kinds.count("task_submitted") == 3

    # the police finish their part; progress by receipt + code, masked, and wrong pairs alike
    hukou = tasks["hukou_marital_status_update"]["id"]
    for minutes, status in [(20, "accepted"), (21, "approved")]:
        assert (await police.event(hukou, status, at=at(minutes))).json()["applied"]
    lookup = await client.get(
        "/api/v1/progress", params={"receipt_no": now["receipt_no"], "query_code": now["query_code"]}
    )
    assert lookup.status_code == 200, lookup.text
    assert_matches_spec(200, lookup.json(), "GET", "/api/v1/progress")
    public = lookup.json()["application"]
    assert "query_code" not in public and public["receipt_no"] == now["receipt_no"]
    assert public["form"]["counterparty_id_number"] == SPOUSE_ID[:6] + "********" + SPOUSE_ID[-4:]
    assert public["form"]["applicant_name"] == "张*" and "李梅" not in lookup.text
    assert by_item(public)["hukou_marital_status_update"]["status"] == "approved"
    wrong_code = str((int(now["query_code"]) + 1) % 10**6).zfill(6)
    bad = await client.get(
        "/api/v1/progress", params={"receipt_no": now["receipt_no"], "query_code": wrong_code}
    )
    unknown = await client.get(
        "/api/v1/progress", params={"receipt_no": "2026010100000000", "query_code": "123456"}
    )
    assert bad.status_code == unknown.status_code == 404
    assert bad.json() == unknown.json() and bad.json()["error"]["code"] == "not_found"


async def test_events_are_idempotent_ordered_and_never_go_backwards(client, sms, settings) -> None:
    application, _ = await marriage_application(client, sms)
    civil = await Department.issue(client, settings, "civil_affairs")
    health = await Department.issue(client, settings, "health")
    task_id = by_item(application)["marriage_registration"]["id"]
    now = dt.datetime.now(dt.UTC)
    first = await civil.event(task_id, "in_review", event_id="ev-1", at=now)
    assert (
        first.json()["applied"] is True and first.json()["task"]["accepted_at"]
    )  # review implies acceptance
    again = await civil.event(task_id, "in_review", event_id="ev-1", at=now)
    assert again.status_code == 200 and again.json() == {
        **again.json(),
        "applied": False,
        "outcome": "duplicate",
    }
    late = await civil.event(task_id, "accepted", event_id="ev-0", at=now - dt.timedelta(minutes=5))
    assert late.status_code == 200 and late.json()["outcome"] == "superseded"
    assert late.json()["task"]["status"] == "in_review"
    illegal = await civil.event(task_id, "done", event_id="ev-2", at=now + dt.timedelta(minutes=1))
    assert illegal.status_code == 409 and illegal.json()["error"]["code"] == "illegal_transition"
    assert_matches_spec(409, illegal.json(), "POST", "/api/v1/departments/events")
    backwards = await civil.event(task_id, "submitted", event_id="ev-3", at=now + dt.timedelta(minutes=2))
    assert backwards.status_code == 409
    recorded = {e.event_id: e.outcome for e in await DepartmentEvent.filter(task_id=task_id)}
    assert recorded == {"ev-1": "applied", "ev-0": "superseded", "ev-2": "illegal", "ev-3": "illegal"}
    task = await Task.get(id=task_id)
    assert task.status == "in_review" and task.version == 2
    # another department's task looks like no task; incomplete payloads are refused and not recorded
    assert (await health.event(task_id, "accepted")).status_code == 404
    no_reason = await civil.event(task_id, "rejected", event_id="ev-4")
    assert no_reason.status_code == 422
    naive = await civil.event(task_id, "approved", event_id="ev-5", at=dt.datetime.now())  # no offset
    assert naive.status_code == 422
    assert not await DepartmentEvent.filter(event_id__in=["ev-4", "ev-5"]).exists()
    forged = await civil.client.post(
        "/api/v1/departments/events",
        json={"event_id": "x", "task_id": task_id, "status": "approved", "occurred_at": now.isoformat()},
        headers={"X-Api-Key": civil.key_id, "X-Timestamp": "1", "X-Nonce": "a" * 16, "X-Signature": "0" * 64},
    )
    assert forged.status_code == 401
    rejected = await civil.event(task_id, "rejected", event_id="ev-6", reason="当事人一方未到场")
    assert rejected.json()["applied"]
    view = (await civil.get("/api/v1/departments/tasks")).json()["tasks"]
    assert task_id not in [t["id"] for t in view]  # no longer open
    cancelled = await Task.filter(application_id=application["id"], status="cancelled").count()
    assert cancelled == 3  # the items that required the registration cannot go on


async def test_fifty_concurrent_events_on_one_task_are_serialised(client, sms, settings) -> None:
    application, _ = await marriage_application(client, sms)
    civil = await Department.issue(client, settings, "civil_affairs")
    task_id = by_item(application)["marriage_registration"]["id"]
    moment = dt.datetime.now(dt.UTC)
    same = await asyncio.gather(
        *(civil.event(task_id, "accepted", event_id="dup", at=moment) for _ in range(50))
    )
    assert [r.status_code for r in same] == [200] * 50
    assert sum(r.json()["applied"] for r in same) == 1
    # 50 different events racing: corrections and reviews alternate; each applied one is one version
    racing = await asyncio.gather(
        *(
            civil.event(
                task_id,
                "needs_correction" if n % 2 else "in_review",
                event_id=f"race-{n}",
                at=moment + dt.timedelta(seconds=n + 1),
                **(
                    {"correction": {"materials": ["marriage_photo"], "deadline": "2026-12-31"}}
                    if n % 2
                    else {}
                ),
            )
            for n in range(50)
        )
    )
    assert {r.status_code for r in racing} <= {200, 409}
    applied = sum(r.status_code == 200 and r.json()["applied"] for r in racing)
    task = await Task.get(id=task_id)
    assert task.version == 2 + applied  # created 1, accepted 2, then one per applied event
    assert await DepartmentEvent.filter(task_id=task_id).count() == 51
    entries = await TimelineEvent.filter(application_id=application["id"]).order_by("version")
    assert [e.version for e in entries] == list(range(1, len(entries) + 1))
    assert len([e for e in entries if e.task_id == task_id]) == 1 + applied


async def test_withdrawal_only_before_acceptance(client, sms, settings) -> None:
    application, headers = await marriage_application(client, sms)
    withdrawn = await client.post(f"/api/v1/applications/{application['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["application"]["status"] == "withdrawn"
    assert {t["status"] for t in withdrawn.json()["application"]["tasks"]} == {"withdrawn"}
    civil = await Department.issue(client, settings, "civil_affairs")
    task_id = by_item(application)["marriage_registration"]["id"]
    assert (await civil.event(task_id, "accepted")).status_code == 409
    second, headers = await marriage_application(client, sms)
    assert (await civil.event(by_item(second)["marriage_registration"]["id"], "accepted")).json()["applied"]
    refused = await client.post(f"/api/v1/applications/{second['id']}/withdraw", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "cannot_withdraw"
    other = await citizen(client, sms, profile=False)
    assert (
        await client.post(f"/api/v1/applications/{second['id']}/withdraw", headers=other)
    ).status_code == 404
    assert (await client.get(f"/api/v1/applications/{second['id']}", headers=other)).status_code == 404


async def stored_bytes(settings: Settings, digest: str) -> bytes:
    """What the configured storage holds under a content hash, read without the server's code."""
    if settings.s3_bucket is None:
        return (settings.upload_dir / digest[:2] / digest[2:4] / digest).read_bytes()
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
    async with aioboto3.Session(**credentials).client("s3", endpoint_url=settings.s3_endpoint_url) as s3:
        response = await s3.get_object(Bucket=settings.s3_bucket, Key=f"materials/{digest}")
        return await response["Body"].read()


async def test_uploads_are_checked_by_content_and_served_only_to_their_owner(client, sms, settings) -> None:
    headers = await citizen(client, sms)
    good = await upload(client, headers, "marriage_photo", jpeg(), "image/jpeg")
    assert good.status_code == 201 and good.json()["upload"]["width"] == 640
    digest = good.json()["upload"]["sha256"]
    assert await stored_bytes(settings, digest) == jpeg()  # on disk (embedded) or in the S3 bucket (real)
    assert (settings.s3_bucket is None) == (settings.upload_dir / digest[:2]).exists()
    assert (await upload(client, headers, "marriage_photo", PDF, "application/pdf")).status_code == 201
    again = await upload(client, headers, "marriage_photo", jpeg(), "image/jpeg")
    assert again.json()["upload"]["sha256"] == good.json()["upload"]["sha256"]  # stored once by content
    cases = {
        "text named a photo": (b"hello, I am not a photo" * 10, "image/png", 415),
        "png declared as jpeg": (png(), "image/jpeg", 415),
        "truncated png": (png()[:200], "image/png", 415),
        "tiny photo": (png(50, 50), "image/png", 422),
        "pdf without end": (PDF[:-7], "application/pdf", 415),
    }
    for name, (data, declared, status) in cases.items():
        response = await upload(client, headers, "marriage_photo", data, declared)
        assert response.status_code == status, name
        assert "error" in response.json(), name
    unknown = await upload(client, headers, "no_such_material", png(), "image/png")
    assert unknown.status_code == 422
    assert await Upload.all().count() == 3
    upload_id = good.json()["upload"]["id"]
    mine = await client.get(f"/api/v1/uploads/{upload_id}", headers=headers)
    assert (
        mine.status_code == 200
        and mine.content == jpeg()
        and mine.headers["x-content-type-options"] == "nosniff"
    )
    other = await citizen(client, sms, profile=False)
    assert (await client.get(f"/api/v1/uploads/{upload_id}", headers=other)).status_code == 404
    assert (await client.get(f"/api/v1/uploads/{upload_id}")).status_code == 401


async def test_progress_lookups_are_rate_limited_per_address_and_per_number(client) -> None:
    address = {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.9"}
    receipt = f"2026{random.randrange(10**12):012d}"

    async def lookup(receipt_no: str, headers: dict[str, str]) -> httpx.Response:
        params = {"receipt_no": receipt_no, "query_code": "000000"}
        return await client.get("/api/v1/progress", params=params, headers=headers)

    statuses = [(await lookup(f"{receipt}{n}", address)).status_code for n in range(11)]
    assert statuses == [404] * 10 + [429]  # ten a minute from one address
    spread = [
        (await lookup(receipt, {"X-Forwarded-For": f"10.200.{n}.{random.randrange(256)}"})).status_code
        for n in range(11)
    ]
    assert spread == [404] * 10 + [429]  # ten wrong codes an hour for one number, from anywhere


async def test_overdue_tasks_are_flagged_for_departments_and_supervisors(client, sms, settings) -> None:
    application, _ = await marriage_application(client, sms)
    civil = await Department.issue(client, settings, "civil_affairs")
    registration = by_item(application)["marriage_registration"]
    assert registration["time_limit_working_days"] == 0  # 当场办结
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    accepted = await civil.event(registration["id"], "accepted", at=week_ago)
    assert accepted.json()["task"]["warning"] == "overdue"
    late = (await civil.get("/api/v1/departments/tasks?overdue=true")).json()["tasks"]
    on_time = (await civil.get("/api/v1/departments/tasks?overdue=false")).json()["tasks"]
    assert registration["id"] in [t["id"] for t in late]
    assert registration["id"] not in [t["id"] for t in on_time]
    assert (await civil.get("/api/v1/departments/tasks?status=bogus")).status_code == 422
    username = "boss" + uuid.uuid4().hex[:6]
    await Operators(MemoryKV(), settings).create(username, "correct horse battery staple", "supervisor")
    login = await client.post(
        "/api/v1/operators/login", json={"username": username, "password": "correct horse battery staple"}
    )
    boss = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = await client.get("/api/v1/overdue-tasks", headers=boss)
    assert listed.status_code == 200, listed.text
    assert_matches_spec(200, listed.json(), "GET", "/api/v1/overdue-tasks")
    by_department = {d["department"]: d for d in listed.json()["departments"]}
    assert registration["id"] in [t["id"] for t in by_department["civil_affairs"]["tasks"]]
    only_tax = await client.get("/api/v1/overdue-tasks", params={"department": "tax"}, headers=boss)
    assert all(d["department"] == "tax" for d in only_tax.json()["departments"])
    citizen_headers = await citizen(client, sms, profile=False)
    assert (await client.get("/api/v1/overdue-tasks", headers=citizen_headers)).status_code == 403


async def test_healthz_names_unreachable_file_storage(make_client) -> None:
    broken = await make_client(s3_bucket="nowhere", s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    response = await broken.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["file_storage"] is False


def test_department_keys_are_issued_only_for_catalogue_codes(tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path / 'keys.sqlite3'}", "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "server", "issue-department-key", "--department"]
    issued = subprocess.run([*command, "civil_affairs"], env=env, capture_output=True, text=True, timeout=120)
    assert issued.returncode == 0 and "key id:" in issued.stdout and "dk_" in issued.stdout
    refused = subprocess.run(
        [*command, "civil-affairs"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "unknown department 'civil-affairs'" in refused.stderr + refused.stdout
