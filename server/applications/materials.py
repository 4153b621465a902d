"""一套材料: which materials of the checklist a citizen uploads, once for every item that needs them.

Materials the departments fetch themselves (共享数据), that an electronic licence (电子证照) replaces,
that the knowledge marks as waivable, and forms that the merged 一表 replaces or that are signed or
provided at the window are not asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_NOT_UPLOADED_FORMS = {"signed_on_site", "provided_on_site"}


def not_asked_reason(material: Mapping[str, Any]) -> str | None:
    """Why a checklist material needs no upload, in words; None when the citizen uploads it."""
    if material.get("can_skip"):
        return material.get("skip_reason") or "无需提交"
    if material.get("shared_data"):
        return "部门间数据共享核验,无需提交"
    if material.get("e_license"):
        return "可调用电子证照,无需提交"
    if material.get("kind") == "form":
        return "已由一表申请代替"
    if material.get("form") in _NOT_UPLOADED_FORMS:
        return "在窗口现场签署或提供"
    return None


def asked(materials: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The checklist materials to upload (required or not), in checklist order."""
    return [m for m in materials if not_asked_reason(m) is None]
