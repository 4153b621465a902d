"""Applications and their tasks in storage: create in one transaction, department events under a row
lock, withdrawal, 补正 answers, and the reads citizens, departments and supervisors make.

Every change goes through `timeline.record` inside the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import os
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.applications import forms, materials, progress, timeline
from server.applications.errors import Conflict, Invalid, NotFound
from server.applications.states import OPEN, TaskStatus, Verdict, judge
from server.applications.timeline import SYSTEM, Actor
from server.applications.views import application_view, task_plan, task_view
from server.auth.crypto import DataProtector
from server.guide.knowledge import Knowledge
from server.guide.schema import Item
from server.models import Application, DepartmentEvent, Task, TimelineEvent, Upload

log = logging.getLogger("server.applications")
QUERY_CODE_DIGITS = 6
_DUMMY_HASH = "0" * 64
_NOT_FOUND = "没有找到这件申请(受理编号或查询码不正确)"


def stated_limit(item: Item) -> int | None:
    """An item's promised (else statutory) limit in working days; None when the knowledge states none."""
    limit = item.time_limit
    if limit.on_the_spot:
        return 0
    if limit.promised_days is None and limit.statutory_days is None:
        return None
    return limit.working_days()


@dataclass(frozen=True)
class NewApplication:
    """What a citizen submits: the conversation's bundle and items, its checklist, form and uploads."""

    user_id: str
    conversation_id: str
    bundle: str
    items: Sequence[str]
    checklist_materials: Sequence[Mapping[str, Any]]
    form: Mapping[str, Any]
    materials: Mapping[str, str]  # material id -> upload id


@dataclass(frozen=True)
class DepartmentReport:
    """One department event as received (validated in shape by the edge)."""

    department: str
    event_id: str
    task_id: str
    status: TaskStatus
    occurred_at: dt.datetime
    reason: str | None = None
    correction: Mapping[str, Any] | None = None
    result: Mapping[str, Any] | None = None
    note: str | None = None


@dataclass
class EventOutcome:
    applied: bool
    outcome: str  # applied | duplicate | superseded | illegal
    task: dict[str, Any] = field(default_factory=dict)
    message: str = ""


class Applications:
    """The service; one per worker, holding only configuration (no state that matters)."""

    def __init__(
        self,
        protector: DataProtector,
        timezone: str,
        warn_days: int,
        on_change: timeline.Observer | None = None,
    ) -> None:
        self.protector = protector
        self.zone = ZoneInfo(timezone)
        self.warn_days = warn_days
        self.on_change = on_change  # every timeline event, in its transaction (the push outbox)

    # --- form values at rest ----------------------------------------------------------------------

    def _seal(self, application_id: str, values: Mapping[str, Any]) -> str:
        return self.protector.encrypt(
            json.dumps(values, ensure_ascii=False), f"application.form:{application_id}"
        )

    def form_of(self, application: Application) -> dict[str, Any]:
        """The decrypted form values of an application."""
        raw = self.protector.decrypt(application.form_encrypted, f"application.form:{application.id}")
        values: dict[str, Any] = json.loads(raw)
        return values

    def query_code_of(self, application: Application) -> str:
        return self.protector.decrypt(
            application.query_code_encrypted, f"application.query_code:{application.id}"
        )

    def _code_hash(self, receipt_no: str, code: str) -> str:
        return self.protector.lookup_hash(f"{receipt_no}:{code}", "application.query_code")

    def _local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    async def previous_values(self, user_id: str) -> dict[str, Any]:
        """The form values of the citizen's latest application, for prefilling the next one."""
        latest = await Application.filter(user_id=user_id).order_by("-created_at").first()
        return self.form_of(latest) if latest else {}

    # --- creating ---------------------------------------------------------------------------------

    async def _check_uploads(
        self,
        user_id: str,
        wanted: Sequence[Mapping[str, Any]],
        given: Mapping[str, str],
        everything: set[str],
    ) -> dict[str, str]:
        """Errors by material id: missing required uploads, unknown materials, uploads not the user's."""
        errors: dict[str, str] = {}
        for material_id in given:
            if material_id not in everything:
                errors[material_id] = "清单中没有这项材料"
        uploads = {
            upload.id: upload for upload in await Upload.filter(id__in=list(given.values()), user_id=user_id)
        }
        for material_id, upload_id in given.items():
            upload = uploads.get(upload_id)
            if material_id in everything and (upload is None or upload.material != material_id):
                errors[material_id] = "上传的文件不存在,或不是这项材料的文件"
        for material in wanted:
            if material.get("required") and material["id"] not in given:
                errors[material["id"]] = f"请上传{material['name']}"
        return errors

    async def create(self, knowledge: Knowledge, new: NewApplication, today: dt.date) -> dict[str, Any]:
        """Validate everything, then write the application, its tasks and the first timeline event in
        one transaction; the view includes the 查询码 (shown to its owner)."""
        merged = forms.merge(knowledge, new.items)
        values, field_errors = forms.validate(merged, new.form, today)
        wanted = materials.asked(new.checklist_materials)
        material_errors = await self._check_uploads(
            new.user_id, wanted, new.materials, {m["id"] for m in new.checklist_materials}
        )
        if field_errors or material_errors:
            raise Invalid(
                "invalid_application",
                "申请未提交:请按提示修改表单或补传材料。",
                {"fields": field_errors, "materials": material_errors},
            )
        for _ in range(5):
            try:
                return await self._insert(knowledge, new, values, today)
            except IntegrityError:  # a receipt number drawn twice; draw again
                continue
        raise Conflict("receipt_exhausted", "暂时无法分配受理编号,请稍后再试。")

    async def _insert(
        self, knowledge: Knowledge, new: NewApplication, values: Mapping[str, Any], today: dt.date
    ) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        application_id = uuid.uuid4().hex
        receipt_no = f"{today:%Y%m%d}{secrets.randbelow(10**8):08d}"
        code = f"{secrets.randbelow(10**QUERY_CODE_DIGITS):0{QUERY_CODE_DIGITS}d}"
        chosen = set(new.items)
        async with in_transaction() as conn:
            application = await Application.create(
                id=application_id,
                receipt_no=receipt_no,
                query_code_hash=self._code_hash(receipt_no, code),
                query_code_encrypted=self.protector.encrypt(code, f"application.query_code:{application_id}"),
                user_id=new.user_id,
                conversation_id=new.conversation_id,
                bundle=new.bundle,
                items=list(new.items),
                status="submitted",
                form_encrypted=self._seal(application_id, values),
                materials=dict(new.materials),
                knowledge_version=knowledge.version,
                version=0,  # the first timeline event makes it 1
                submitted_at=now,
                using_db=conn,
            )
            for item_id in new.items:
                item = knowledge.items[item_id]
                requires = [r for r in item.requires if r in chosen]
                await Task.create(
                    id=uuid.uuid4().hex,
                    application_id=application_id,
                    item=item_id,
                    item_name=item.name,
                    department=item.department_code,
                    status=(TaskStatus.waiting if requires else TaskStatus.submitted).value,
                    requires=requires,
                    time_limit_days=stated_limit(item),
                    using_db=conn,
                )
            await timeline.record(
                conn,
                application,
                None,
                "submitted",
                Actor("user", new.user_id),
                {"items": list(new.items), "receipt_no": receipt_no},
                now,
                observer=self.on_change,
            )
        return await self.view(knowledge, application_id, today, owner=True)

    # --- reading ----------------------------------------------------------------------------------

    async def view(
        self, knowledge: Knowledge, application_id: str, today: dt.date, *, owner: bool
    ) -> dict[str, Any]:
        application = await Application.get(id=application_id)
        tasks = await Task.filter(application_id=application_id).order_by("created_at", "id")
        events = await TimelineEvent.filter(application_id=application_id).order_by("version")
        form = self.form_of(application)
        return application_view(
            knowledge,
            application,
            tasks,
            events,
            today,
            self.warn_days,
            form=form if owner else forms.masked(knowledge.form_fields, form),
            query_code=self.query_code_of(application) if owner else None,
        )

    async def for_user(
        self, knowledge: Knowledge, user_id: str, application_id: str, today: dt.date
    ) -> dict[str, Any]:
        """The citizen's own application; another's answers as an unknown one."""
        if not await Application.exists(id=application_id, user_id=user_id):
            raise NotFound("application_not_found", "没有找到这件申请。")
        return await self.view(knowledge, application_id, today, owner=True)

    async def list_for_user(self, knowledge: Knowledge, user_id: str, today: dt.date) -> list[dict[str, Any]]:
        rows = await Application.filter(user_id=user_id).order_by("-created_at").limit(100)
        return [await self.view(knowledge, row.id, today, owner=True) for row in rows]

    async def by_receipt(
        self, knowledge: Knowledge, receipt_no: str, query_code: str, today: dt.date
    ) -> dict[str, Any]:
        """The application behind a 受理编号 + 查询码, masked; any wrong pair is the same NotFound.

        The code is compared as a keyed hash in constant time, also when the number is unknown.
        """
        application = await Application.get_or_none(receipt_no=receipt_no)
        offered = self._code_hash(receipt_no, query_code)
        expected = application.query_code_hash if application else _DUMMY_HASH
        if not hmac.compare_digest(offered, expected) or application is None:
            raise NotFound("not_found", _NOT_FOUND)
        return await self.view(knowledge, application.id, today, owner=False)

    # --- citizens' changes ------------------------------------------------------------------------

    async def _locked(self, conn: BaseDBAsyncClient, application_id: str, user_id: str | None) -> Application:
        """The application row, locked for the rest of the transaction (NotFound when not the user's).

        A no-op UPDATE comes first: it takes the row lock on PostgreSQL and, on SQLite, the database's
        write lock before anything is read, so a second worker process waits its turn (busy timeout)
        instead of failing to upgrade a read snapshot.
        """
        query = Application.filter(id=application_id)
        if user_id is not None:
            query = query.filter(user_id=user_id)
        await query.using_db(conn).update(version=F("version"))
        application = await query.using_db(conn).select_for_update().first()
        if application is None:
            raise NotFound("application_not_found", "没有找到这件申请。")
        return application

    async def withdraw(
        self, knowledge: Knowledge, user_id: str, application_id: str, today: dt.date
    ) -> dict[str, Any]:
        """撤回: only while no task has been accepted; every task becomes withdrawn."""
        now = dt.datetime.now(dt.UTC)
        async with in_transaction() as conn:
            application = await self._locked(conn, application_id, user_id)
            if application.withdrawn_at is not None:
                raise Conflict("already_withdrawn", "这件申请已经撤回。")
            tasks = await Task.filter(application_id=application_id).using_db(conn).select_for_update()
            started = [t for t in tasks if t.status not in (TaskStatus.submitted, TaskStatus.waiting)]
            if started:
                raise Conflict(
                    "cannot_withdraw",
                    "已有部门受理,不能撤回:" + "、".join(t.item_name for t in started),
                )
            for task in tasks:
                task.status = TaskStatus.withdrawn.value
                task.version += 1
                await task.save(using_db=conn, update_fields=["status", "version", "updated_at"])
            application.withdrawn_at = now
            application.finished_at = now
            application.status = "withdrawn"
            await application.save(
                using_db=conn, update_fields=["withdrawn_at", "finished_at", "status", "updated_at"]
            )
            await timeline.record(
                conn, application, None, "withdrawn", Actor("user", user_id), {}, now, observer=self.on_change
            )
        return await self.view(knowledge, application_id, today, owner=True)

    async def answer_correction(
        self,
        knowledge: Knowledge,
        user_id: str,
        application_id: str,
        task_id: str,
        uploads: Mapping[str, str],
        note: str | None,
        today: dt.date,
    ) -> dict[str, Any]:
        """The citizen answers a 补正 with the materials asked for: the task returns to in_review and
        the days it waited are added to its time limit."""
        now = dt.datetime.now(dt.UTC)
        async with in_transaction() as conn:
            application = await self._locked(conn, application_id, user_id)
            task = (
                await Task.filter(id=task_id, application_id=application_id)
                .using_db(conn)
                .select_for_update()
                .first()
            )
            if task is None:
                raise NotFound("task_not_found", "这件申请中没有这个事项。")
            if task.status != TaskStatus.needs_correction:
                raise Conflict("no_open_correction", "这个事项目前不需要补正。")
            asked_for = list((task.correction or {}).get("materials", []))
            wanted = [{"id": m, "name": _material_name(knowledge, m), "required": True} for m in asked_for]
            errors = await self._check_uploads(user_id, wanted, uploads, set(asked_for))
            if errors:
                raise Invalid(
                    "invalid_correction", "补正未提交:请上传要求补正的材料。", {"materials": errors}
                )
            correction = task.correction or {}
            task.due_on = _extend(knowledge, task, self._local_date(task.correction_since or now), today)
            task.status = TaskStatus.in_review.value
            task.correction = None
            task.correction_since = None
            task.version += 1
            await task.save(using_db=conn)
            application.materials = {**application.materials, **uploads}
            application.status = await self._derived_status(conn, application)
            await application.save(using_db=conn, update_fields=["materials", "status", "updated_at"])
            await timeline.record(
                conn,
                application,
                task,
                "correction_answered",
                Actor("user", user_id),
                {"status": task.status, "materials": sorted(uploads), "asked": correction, "note": note},
                now,
                observer=self.on_change,
            )
        return await self.view(knowledge, application_id, today, owner=True)

    # --- department events ------------------------------------------------------------------------

    async def apply_event(self, knowledge: Knowledge, report: DepartmentReport) -> EventOutcome:
        """Apply one department event exactly once, serialised per application under row locks.

        Illegal transitions are recorded with the event and raise `Conflict` after the commit.
        """
        today = self._local_date(dt.datetime.now(dt.UTC))
        found = await Task.get_or_none(id=report.task_id)
        if found is None or found.department != report.department:
            raise NotFound("task_not_found", "No task of this department with this id.")
        async with in_transaction() as conn:
            application = await self._locked(conn, found.application_id, None)
            task = await Task.filter(id=report.task_id).using_db(conn).select_for_update().first()
            assert task is not None
            seen = (
                await DepartmentEvent.filter(department=report.department, event_id=report.event_id)
                .using_db(conn)
                .first()
            )
            if seen is not None:
                return EventOutcome(False, "duplicate", task_view(knowledge, task, today, self.warn_days))
            current = TaskStatus(task.status)
            judgement = judge(current, report.status, report.occurred_at, task.last_event_at)
            await DepartmentEvent.create(
                department=report.department,
                event_id=report.event_id,
                task_id=task.id,
                status=report.status.value,
                occurred_at=report.occurred_at,
                outcome=judgement.verdict.value,
                detail=_report_detail(report, judgement.reason),
                using_db=conn,
            )
            if judgement.verdict == Verdict.apply:
                await self._transition(conn, knowledge, application, task, report)
            outcome = EventOutcome(
                judgement.verdict == Verdict.apply,
                judgement.verdict.value,
                task_view(knowledge, task, today, self.warn_days),
                judgement.reason,
            )
        log.info(
            "department event",
            extra={
                "department": report.department,
                "event_id": report.event_id,
                "task_id": report.task_id,
                "status": report.status.value,
                "outcome": judgement.verdict.value,
                "worker_pid": os.getpid(),
            },
        )
        if judgement.verdict == Verdict.illegal:
            raise Conflict("illegal_transition", judgement.reason, {"task": outcome.task})
        return outcome

    async def _transition(
        self,
        conn: BaseDBAsyncClient,
        knowledge: Knowledge,
        application: Application,
        task: Task,
        report: DepartmentReport,
    ) -> None:
        previous = TaskStatus(task.status)
        target = report.status
        moment = report.occurred_at
        if task.accepted_at is None and target in (
            TaskStatus.accepted,
            TaskStatus.in_review,
            TaskStatus.approved,
        ):
            task.accepted_at = moment
            task.due_on = _due(knowledge, self._local_date(moment), task.time_limit_days)
        if target == TaskStatus.needs_correction:
            task.correction = dict(report.correction or {})
            task.correction_since = moment
        if previous == TaskStatus.needs_correction and target == TaskStatus.in_review:
            task.due_on = _extend(
                knowledge, task, self._local_date(task.correction_since or moment), self._local_date(moment)
            )
            task.correction = None
            task.correction_since = None
        if target == TaskStatus.rejected:
            task.reason = report.reason or ""
            task.correction = None
        if target == TaskStatus.result_issued:
            task.result = dict(report.result or {})
        task.status = target.value
        task.last_event_at = max(task.last_event_at or moment, moment)
        task.version += 1
        await task.save(using_db=conn)
        actor = Actor("department", report.department)
        await timeline.record(
            conn,
            application,
            task,
            "task_status",
            actor,
            {"item": task.item, "from": previous.value, **_report_detail(report, None)},
            moment,
            observer=self.on_change,
        )
        if target in (TaskStatus.done, TaskStatus.rejected):
            await self._release_dependents(conn, application, task, moment)
        application.status = await self._derived_status(conn, application)
        fields = ["status", "updated_at"]
        if application.status in ("done", "partially_done", "rejected") and application.finished_at is None:
            application.finished_at = moment
            fields.append("finished_at")
        await application.save(using_db=conn, update_fields=fields)

    async def _release_dependents(
        self, conn: BaseDBAsyncClient, application: Application, task: Task, moment: dt.datetime
    ) -> None:
        """Waiting tasks whose required items are now all done are submitted; those that required a
        rejected item are cancelled."""
        tasks = await Task.filter(application_id=application.id).using_db(conn).select_for_update()
        status_of = {t.item: t.status for t in tasks}
        for other in tasks:
            if other.status != TaskStatus.waiting or task.item not in other.requires:
                continue
            if task.status == TaskStatus.rejected:
                other.status = TaskStatus.cancelled.value
                other.reason = f"前置事项“{task.item_name}”未获批准"
                kind = "task_cancelled"
            elif all(status_of.get(r) == TaskStatus.done for r in other.requires):
                other.status = TaskStatus.submitted.value
                kind = "task_submitted"
            else:
                continue
            other.version += 1
            await other.save(using_db=conn)
            await timeline.record(
                conn,
                application,
                other,
                kind,
                SYSTEM,
                {"item": other.item, "from": "waiting", "status": other.status, "after": task.item},
                moment,
                observer=self.on_change,
            )

    async def _derived_status(self, conn: BaseDBAsyncClient, application: Application) -> str:
        tasks = await Task.filter(application_id=application.id).using_db(conn)
        statuses = [TaskStatus(task.status) for task in tasks]
        return progress.application_status(statuses, application.withdrawn_at is not None)

    # --- departments and supervisors --------------------------------------------------------------

    async def material_upload(self, department: str, task_id: str, material: str) -> str:
        """The upload id of a material of the department's own task; NotFound otherwise."""
        task = await Task.filter(id=task_id, department=department).prefetch_related("application").first()
        upload_id = task.application.materials.get(material) if task else None
        if upload_id is None:
            raise NotFound("material_not_found", "No such material for a task of this department.")
        return str(upload_id)

    async def department_tasks(
        self,
        knowledge: Knowledge,
        department: str,
        today: dt.date,
        status: TaskStatus | None = None,
        overdue: bool | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The department's open tasks (oldest first), with the form values its item needs."""
        query = Task.filter(department=department, status__in=[s.value for s in OPEN - {TaskStatus.waiting}])
        if status is not None:
            query = query.filter(status=status.value)
        rows = await query.order_by("created_at", "id").prefetch_related("application")
        listed = []
        for task in rows:
            view = task_view(knowledge, task, today, self.warn_days)
            if overdue is not None and (view["warning"] is not None) != overdue:
                continue
            application = task.application
            form = self.form_of(application)
            wanted = set(knowledge.items[task.item].form_fields) if task.item in knowledge.items else set()
            view.update(
                application_id=application.id,
                receipt_no=application.receipt_no,
                form={k: v for k, v in form.items() if k in wanted},
                materials=dict(application.materials),
                submitted_at=application.submitted_at.isoformat(),
            )
            listed.append(view)
            if len(listed) >= limit:
                break
        return listed

    async def overdue(
        self, knowledge: Knowledge, today: dt.date, department: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """超期预警 for supervisors: open tasks past or near their limit, by department."""
        query = Task.filter(status__in=[s.value for s in OPEN], due_on__not_isnull=True)
        if department is not None:
            query = query.filter(department=department)
        grouped: dict[str, list[dict[str, Any]]] = {}
        for task in await query.order_by("due_on", "id").prefetch_related("application"):
            view = task_view(knowledge, task, today, self.warn_days)
            if view["warning"] is None:
                continue
            view.update(application_id=task.application.id, receipt_no=task.application.receipt_no)
            grouped.setdefault(task.department, []).append(view)
        return grouped


def _material_name(knowledge: Knowledge, material_id: str) -> str:
    material = knowledge.materials.get(material_id)
    return material.name if material else material_id


def _due(knowledge: Knowledge, accepted_on: dt.date, limit: int | None) -> dt.date | None:
    return progress.due_on(knowledge.calendar, accepted_on, limit) if knowledge.calendar else None


def _extend(knowledge: Knowledge, task: Task, paused_from: dt.date, paused_to: dt.date) -> dt.date | None:
    if knowledge.calendar is None:
        return task.due_on
    return progress.extend(knowledge.calendar, task.due_on, paused_from, paused_to)


def _report_detail(report: DepartmentReport, reason: str | None) -> dict[str, Any]:
    """What an event said, as stored with it and shown on the timeline."""
    detail: dict[str, Any] = {"event_id": report.event_id, "status": report.status.value}
    for key in ("reason", "note"):
        value = getattr(report, key)
        if value:
            detail[key] = value
    if report.correction:
        detail["correction"] = dict(report.correction)
    if report.result:
        detail["result"] = dict(report.result)
    if reason:
        detail["judgement"] = reason
    return detail


__all__ = ["Applications", "DepartmentReport", "EventOutcome", "NewApplication", "stated_limit", "task_plan"]
