"""What a citizen is told about each application change, worded from knowledge/notifications.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import REPO_ROOT
from server.push.application_events import ApplicationChange, describe
from server.push.config import PushConfig
from server.push.errors import PushConfigError
from server.push.texts import Texts

CONFIG = PushConfig.build(Texts.load(REPO_ROOT / "knowledge"), {}, None)


def change(kind: str = "task_status", **detail) -> ApplicationChange:
    return ApplicationChange(7, kind, "u1", "a1", "SQ20261201", "婚育", "结婚登记", "区民政局", detail)


def test_correction_names_what_is_missing_and_by_when() -> None:
    note = describe(
        CONFIG,
        change(
            status="needs_correction",
            correction={"materials": ["户口簿", "居民身份证"], "deadline": "2026-12-08"},
        ),
    )
    assert note is not None and note.category == "needs_correction" and note.dedup_key == "timeline:7"
    assert "户口簿、居民身份证" in note.body and "2026-12-08" in note.body
    assert note.data["missing_materials"] == ["户口簿", "居民身份证"]


def test_rejection_gives_the_reason_and_a_result_how_to_collect_it() -> None:
    rejected = describe(CONFIG, change(status="rejected", reason="双方均需到场"))
    assert rejected is not None and "原因:双方均需到场" in rejected.body
    posted = describe(CONFIG, change(status="result_issued", result={"method": "post", "tracking_no": "SF1"}))
    assert posted is not None and "运单号 SF1" in posted.body
    window = describe(
        CONFIG, change(status="result_issued", result={"method": "window", "pickup_place": "3号窗口"})
    )
    assert window is not None and "请到3号窗口领取" in window.body


@pytest.mark.parametrize("kind", ["withdrawn", "correction_answered", "task_submitted"])
def test_what_the_citizen_did_or_cannot_act_on_is_not_echoed(kind: str) -> None:
    assert describe(CONFIG, change(kind)) is None
    assert describe(CONFIG, change(status="submitted")) is None


def test_submitted_and_cancelled_are_told() -> None:
    submitted = describe(CONFIG, change("submitted"))
    assert submitted is not None and "SQ20261201" in submitted.body
    cancelled = describe(CONFIG, change("task_cancelled", reason="前置事项未获批准"))
    assert cancelled is not None and cancelled.category == "cancelled"


def test_wording_is_validated_with_file_and_field(tmp_path: Path) -> None:
    text = (REPO_ROOT / "knowledge" / "notifications.yaml").read_text(encoding="utf-8")
    (tmp_path / "notifications.yaml").write_text(text.replace("{missing}", "{missng}"), encoding="utf-8")
    with pytest.raises(PushConfigError, match=r"categories\.needs_correction\.body.*missng"):
        Texts.load(tmp_path)
    with pytest.raises(PushConfigError, match="WECHAT_TEMPLATES.approved"):
        PushConfig.build(
            CONFIG.texts, {"approved": {"template_id": "t", "kind": "weekly", "data": {"a": "b"}}}, None
        )
