"""Fixtures for the push tests: fake WeChat and 个推 servers, push settings pointing at them, users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from server.config import Settings
from server.db import close_db, init_db
from server.models import User
from tests.fakes.push_vendors import (
    GETUI_APP_ID,
    GETUI_APP_KEY,
    GETUI_MASTER_SECRET,
    GetuiHandler,
    VendorState,
    WeChatSubscribeHandler,
    serve_vendor,
)
from tests.fakes.vendors import APPID, APPSECRET

TEMPLATE_ID = "tmpl-progress-1"
LONG_TERM_TEMPLATE_ID = "tmpl-longterm-9"
# The template a mini-program would apply for: 办件进度通知 (事项, 状态, 时间, 备注, 受理编号).
TEMPLATES = {
    "accepted": {
        "template_id": TEMPLATE_ID,
        "kind": "one_time",
        "page": "pages/progress/index?id={application_id}&n={notification_id}",
        "data": {
            "thing1": "{item}",
            "phrase2": "{phrase}",
            "time3": "{time}",
            "thing4": "{body}",
            "character_string5": "{receipt_no}",
        },
    },
    "needs_correction": {
        "template_id": TEMPLATE_ID,
        "kind": "one_time",
        "page": "pages/progress/index?id={application_id}&n={notification_id}",
        "data": {"thing1": "{item}", "phrase2": "{phrase}", "thing4": "{missing}"},
    },
    "approved": {
        "template_id": LONG_TERM_TEMPLATE_ID,
        "kind": "long_term",
        "page": "pages/progress/index?id={application_id}&n={notification_id}",
        "data": {"thing1": "{item}", "phrase2": "{phrase}"},
    },
}


@pytest.fixture(scope="session")
def wechat_push() -> Iterator[tuple[str, VendorState]]:
    with serve_vendor(WeChatSubscribeHandler) as fake:
        yield fake


@pytest.fixture(scope="session")
def getui() -> Iterator[tuple[str, VendorState]]:
    with serve_vendor(GetuiHandler) as fake:
        yield fake


def push_settings(wechat_url: str, getui_url: str) -> dict:
    """Settings (lower-case names) for the push vendors; upper-cased they are a live server's environment."""
    return {
        "wechat_base_url": wechat_url,
        "wechat_appid": APPID,
        "wechat_secret": APPSECRET,
        "wechat_templates": TEMPLATES,
        "app_push_provider": "getui",
        "getui_base_url": f"{getui_url}/v2/{GETUI_APP_ID}",
        "getui_app_key": GETUI_APP_KEY,
        "getui_master_secret": GETUI_MASTER_SECRET,
        "vendor_timeout_seconds": 0.5,
        "push_backoff_base_seconds": 0.01,
        "push_backoff_max_seconds": 0.05,
        "push_max_attempts": 3,
        "push_poll_seconds": 0.1,
    }


@pytest.fixture
async def push_db(migrated: Settings, wechat_push, getui) -> AsyncIterator[Settings]:
    """The migrated database (both backends) opened in this process, settings pointing at the fakes."""
    configured = migrated.model_copy(update=push_settings(wechat_push[0], getui[0]))
    await init_db(configured)
    yield configured
    await close_db()


async def new_user(openid: str | None = None) -> User:
    return await User.create(id=uuid.uuid4().hex, openid=openid)
