"""The operators' console end to end in real headless Chromium (Debian's /usr/bin/chromium driven by
Playwright), against `python -m server` over sockets: log in, find a conversation by filter, label a
turn, take over a conversation and chat with a citizen, answer a bad rating. Each main screen is saved
under var/screenshots/ (the CI artifact)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync import client as ws_client

from server.config import REPO_ROOT
from tests.conftest import LiveServer
from tests.fakes.auth import sms, vendor_settings, wechat
from tests.fakes.waiting import wait_until

USES_FIXTURES = (sms, wechat)
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SHOTS = REPO_ROOT / "var" / "screenshots"
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_REAL_BACKENDS"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/test installs the chromium package")
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_for(check: Callable[[], object], what: str, timeout: float = 20) -> None:
    """Wait for the event `check` looks for, or fail saying what was awaited."""
    assert wait_until(check, timeout), f"timed out waiting for {what}"


class Citizen:
    """A citizen's app: SMS login, messages to the guide, and the WebSocket (`/api/v1/ws`) on which
    operators' chat messages arrive as `message` notifications, read on a thread of its own."""

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.conversation_id: str | None = None
        self.pushed: list[str] = []  # texts that arrived on the socket
        url = str(client.base_url).replace("http://", "ws://").rstrip("/") + f"/api/v1/ws?token={token}"
        self._stack = ExitStack()
        self.socket = self._stack.enter_context(ws_client.connect(url, open_timeout=20))
        self.synced = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert self.synced.wait(20), "the socket never said synced"

    def _read(self) -> None:
        with suppress(ConnectionClosed):
            for raw in self.socket:
                frame = json.loads(raw)
                if frame["type"] == "synced":
                    self.synced.set()
                elif frame["type"] == "notification" and frame["notification"]["category"] == "message":
                    self.pushed.append(frame["notification"]["data"]["text"])

    def close(self) -> None:
        self._stack.close()
        self.reader.join(5)

    def say(self, text: str) -> dict:
        body = {"text": text, **({"conversation_id": self.conversation_id} if self.conversation_id else {})}
        response = self.client.post("/api/v1/guide/messages", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        data = response.json()
        self.conversation_id = data["conversation_id"]
        return data


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def login(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/console")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#conversation-table")


@pytest.fixture(scope="module")
def site(tmp_path_factory, wechat, sms) -> Iterator[dict]:
    """`python -m server` on a fresh SQLite file with a supervisor made by the CLI and one operator."""
    folder = tmp_path_factory.mktemp("console")
    database = f"sqlite://{folder / 'console.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "server", "create-supervisor", "--username", "zhuguan"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": database, "SUPERVISOR_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = {key.upper(): value for key, value in vendor_settings(wechat[0], sms[0]).items()}
    server = LiveServer({**env, "DATABASE_URL": database, "TURN_FLUSH_SECONDS": "0.1"}, folder / "server.log")
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.base_url, timeout=15) as client:
            token = client.post("/api/v1/operators/login", json={"username": "zhuguan", "password": PASSWORD})
            boss = {"Authorization": f"Bearer {token.json()['access_token']}"}
            made = client.post(
                "/api/v1/operators", json={"username": "kefu01", "password": PASSWORD}, headers=boss
            )
            assert made.status_code == 201, made.text
            yield {"client": client, "base": server.base_url, "boss": boss, "sms": sms[1]}
    finally:
        server.stop()


def citizen_login(site: dict, phone: str) -> Citizen:
    client = site["client"]
    assert client.post("/api/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
    code = site["sms"].last_code_for(phone)
    pair = client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": code}).json()
    return Citizen(client, pair["access_token"])


@pytest.fixture
def page(browser) -> Iterator:
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert errors == [], "the console raised JavaScript errors"


def test_find_label_and_take_over(page, site) -> None:
    client, base, boss = site["client"], site["base"], site["boss"]
    guests = {}
    for text in (
        "我俩下个月领证要带啥",
        "孩子刚出生要办哪些手续",
        "公司不想干了怎么注销",
        "我爸上个月走了后事怎么办",
    ):
        guests[text] = client.post("/api/v1/guide/messages", json={"text": text}).json()["conversation_id"]
    stars = client.post("/api/v1/guide/messages", json={"text": "天上的星星为什么会眨眼"}).json()
    client.post(
        "/api/v1/guide/messages",
        json={"text": "我电话13812345678,月亮为啥是圆的", "conversation_id": stars["conversation_id"]},
    )
    client.post("/api/v1/guide/messages", json={"text": "天上星星为啥会眨眼"})

    # Log in.
    page.goto(base + "/console")
    page.wait_for_selector("#login-form")
    shot(page, "01-login")
    login(page, base, "kefu01")

    # Find the conversation by filter: reply type 未识别.
    page.select_option("#f-reply-type", "fallback")
    page.click("#f-apply")
    page.wait_for_function("location.hash.includes('reply_type=fallback')")
    rows = page.locator("#conversation-table tbody tr.clickable")
    rows.first.wait_for()
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert stars["conversation_id"] in ids and guests["我俩下个月领证要带啥"] not in ids
    assert "13812345678" not in page.content()
    shot(page, "02-conversations")

    # Open the transcript and label its first turn as belonging to no bundle.
    page.locator(f"tr[data-id='{stars['conversation_id']}']").click()
    first = page.locator("#transcript .turn").first
    first.wait_for()
    assert "138****5678" in page.inner_text("#transcript")
    first.locator(".label-bundle").select_option("__none__")
    first.locator(".label-save").click()
    page.locator("#transcript .turn").first.get_by_text("待审核").wait_for()
    shot(page, "03-transcript")
    proposed = client.get("/api/v1/labels", params={"status": "proposed"}, headers=boss).json()["labels"]
    assert [(label["text"], label["bundle"]) for label in proposed] == [("天上的星星为什么会眨眼", None)]

    page.click("a[data-view='inbox']")
    page.wait_for_selector("#inbox .turn")
    shot(page, "04-inbox")
    page.click("a[data-view='unmatched']")
    page.wait_for_selector("#unmatched-table")
    assert "天上的星星为什么会眨眼" in page.inner_text("#unmatched-table")
    shot(page, "05-unmatched")

    # A citizen asks for a human; the operator takes over and they exchange messages.
    citizen = citizen_login(site, "13912345670")
    citizen.say("我要退休了,要办什么")
    assert citizen.say("转人工")["reply"]["type"] == "handoff"

    page.click("a[data-view='queue']")
    page.locator(".queue-item .claim").first.click()
    page.wait_for_selector("#chat-input")
    wait_for(lambda: any("已接入" in t for t in citizen.pushed), "the socket to say the operator joined")
    page.fill("#chat-input", "您好,我是客服小王。")
    page.get_by_role("button", name="查进度").click()
    page.click("#send")
    wait_for(
        lambda: any(t.startswith("您好,我是客服小王。") for t in citizen.pushed), "the operator's message"
    )
    held = citizen.say("我想问问养老金怎么领,我身份证110101195803071234")
    assert held["reply"]["type"] == "operator"  # the guide stays silent
    # The same messages come again, once, with the reply to the citizen's next message.
    assert [m["text"] for m in held["reply"]["operator_messages"]][-1].startswith("您好,我是客服小王。")
    page.locator(".bubble.citizen", has_text="养老金怎么领").wait_for()
    assert "110101********1234" in page.inner_text("#messages")
    shot(page, "06-takeover")
    page.click("#close")
    wait_for(lambda: any("本次人工服务已结束" in t for t in citizen.pushed), "the closing message")
    citizen.close()


def test_answer_a_bad_rating_and_read_statistics(page, site) -> None:
    client, base = site["client"], site["base"]
    citizen = citizen_login(site, "13912345671")
    citizen.say("我要退休了,要办什么")
    citizen.close()
    # The citizen rates the conversation badly; a supervisor answers the follow-up case.
    options = client.get("/api/v1/rating-options").json()
    assert {"overdue", "extra_requirements"} <= {t["id"] for t in options["tags"] if t["bad"]}
    rated = client.post(
        "/api/v1/ratings",
        json={
            "target_kind": "conversation",
            "target_id": citizen.conversation_id,
            "score": 1,
            "tags": ["guide_inaccurate", "extra_requirements"],
            "comment": "说好的材料不对,窗口又让我补了户口本",
        },
        headers=citizen.headers,
    )
    assert rated.status_code == 201, rated.text
    case_id = rated.json()["case"]["id"]
    complaint = client.post(
        "/api/v1/feedback",
        json={
            "kind": "complaint",
            "text": "退休窗口中午不办公,白跑一趟",
            "reference_kind": "conversation",
            "reference_id": citizen.conversation_id,
        },
        headers=citizen.headers,
    )
    assert complaint.status_code == 201, complaint.text

    login(page, base, "zhuguan")
    page.click("a[data-view='cases']")
    page.locator(f"tr[data-case='{case_id}']").wait_for()
    shot(page, "07-cases")
    page.locator(f"tr[data-case='{case_id}']").click()
    page.wait_for_selector("#case-answer")
    page.select_option("#case-action", "rectify")
    page.fill("#case-answer", "已回访核实:窗口多要了户口本,已责令整改并向您致歉。")
    shot(page, "08-case-answer")
    page.click("#case-submit")
    page.get_by_text("办理结果").wait_for()
    shot(page, "09-case-answered")
    mine = client.get(f"/api/v1/me/cases/{case_id}", headers=citizen.headers).json()["case"]
    assert (
        mine["status"] == "answered" and mine["answer"].startswith("已回访核实") and mine["answered_in_time"]
    )

    page.click("a[data-view='stats']")
    page.wait_for_selector("#chart-daily canvas")
    shot(page, "10-statistics")
