"""WeChat subscribe messages (with `stable_token`) and 个推 RestAPI V2, played by local HTTP servers.

They speak the vendors' documented wire formats, errors included, and record every delivery by its
idempotency key, so tests can count what a phone or a WeChat user actually got. Special targets
script failures: an openid or client id containing `flaky` answers HTTP 500 once, `slow` stalls once
past the client's timeout, `busy` answers WeChat's -1 once; `unsub` openids get 43101 and
`gone` client ids 个推's "target user is invalid". `revoke_tokens()` makes the issued tokens stale.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.fakes.vendors import APPID, APPSECRET

GETUI_APP_ID, GETUI_APP_KEY, GETUI_MASTER_SECRET = "gtapp123", "gt-app-key", "gt-master-secret"
SLOW_SECONDS = 1.5
# subscribeMessage value limits by key type (characters), as WeChat enforces them.
_LIMITS = {"thing": 20, "number": 32, "letter": 32, "character_string": 32, "phone_number": 17, "phrase": 5}


@dataclass
class VendorState:
    """What a fake was sent and what it delivered, by idempotency key; shared with the test thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    requests: Counter = field(default_factory=Counter)  # idempotency key (or openid) -> sends received
    delivered: dict[str, dict] = field(default_factory=dict)  # key -> what reached the user
    delivered_count: Counter = field(default_factory=Counter)  # key -> times it reached the user
    scripted: Counter = field(default_factory=Counter)  # target -> scripted failures already played
    delay_seconds: float = 0.0  # how long each accepted send takes (a vendor under load)

    def issue_token(self, prefix: str) -> str:
        with self.lock:
            self.tokens_issued += 1
            token = f"{prefix}-{self.tokens_issued}"
            self.valid_tokens.add(token)
            return token

    def revoke_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def once(self, target: str, marker: str) -> bool:
        """True the first time `target` (containing `marker`) is seen: play its failure once."""
        if marker not in target:
            return False
        with self.lock:
            self.scripted[target + marker] += 1
            return self.scripted[target + marker] == 1

    def deliver(self, key: str, what: dict) -> bool:
        """Record a delivery; False when this key was delivered before (the vendor drops repeats)."""
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self.lock:
            self.requests[key] += 1
            if key in self.delivered:
                return False
            self.delivered[key] = what
            self.delivered_count[key] += 1
            return True


class _Handler(BaseHTTPRequestHandler):
    state: VendorState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")


def _wechat_field_error(data: dict) -> str | None:
    for key, wrapped in data.items():
        value = wrapped.get("value") if isinstance(wrapped, dict) else None
        kind = key.rstrip("0123456789")
        if not isinstance(value, str):
            return key
        if kind in _LIMITS and len(value) > _LIMITS[kind]:
            return key
        if kind == "phrase" and not all("\u4e00" <= ch <= "\u9fff" for ch in value):
            return key
        if kind == "character_string" and any(ord(ch) > 127 for ch in value):
            return key
        if kind == "phone_number" and not any(ch.isdigit() for ch in value):
            return key
        if kind in ("time", "date") and not re.match(r"^\d{4}年\d{1,2}月\d{1,2}日", value):
            return key
    return None


class WeChatSubscribeHandler(_Handler):
    """POST /cgi-bin/stable_token and POST /cgi-bin/message/subscribe/send?access_token=…"""

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._json()
        if url.path == "/cgi-bin/stable_token":
            if body.get("appid") != APPID or body.get("secret") != APPSECRET:
                self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
            else:
                self._answer({"access_token": self.state.issue_token("wx"), "expires_in": 7200})
            return
        if url.path != "/cgi-bin/message/subscribe/send":
            self._answer({"errcode": 404, "errmsg": "not found"}, 404)
            return
        token = parse_qs(url.query).get("access_token", [""])[0]
        touser = str(body.get("touser", ""))
        if token not in self.state.valid_tokens:
            self._answer(
                {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            )
        elif self.state.once(touser, "flaky"):
            self._answer({"errmsg": "internal error"}, 500)
        elif self.state.once(touser, "busy"):
            self._answer({"errcode": -1, "errmsg": "system error"})
        elif self.state.once(touser, "slow"):
            time.sleep(SLOW_SECONDS)
            self._answer({"errcode": -1, "errmsg": "system error"})
        elif "unsub" in touser:
            self._answer({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
        elif (bad := _wechat_field_error(body.get("data") or {})) is not None:
            self._answer({"errcode": 47003, "errmsg": f"argument invalid! data.{bad}.value invalid"})
        else:
            page = body.get("page") or ""
            # WeChat has no idempotency key: count by openid and the notification id in the page link.
            notification = parse_qs(urlsplit(page).query).get("n", [str(time.monotonic())])[0]
            self.state.deliver(f"{touser}:{notification}", body)
            self._answer({"errcode": 0, "errmsg": "ok", "msgid": 1000 + self.state.tokens_issued})


class GetuiHandler(_Handler):
    """POST /v2/{appId}/auth and POST /v2/{appId}/push/single/cid (header `token`)."""

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._json()
        prefix = f"/v2/{GETUI_APP_ID}"
        if url.path == prefix + "/auth":
            expected = hashlib.sha256(
                (GETUI_APP_KEY + str(body.get("timestamp")) + GETUI_MASTER_SECRET).encode()
            ).hexdigest()
            if body.get("appkey") != GETUI_APP_KEY or body.get("sign") != expected:
                self._answer({"code": 10001, "msg": "sign error"}, 401)
                return
            token = self.state.issue_token("gt")
            expire = str(int(time.time() * 1000) + 86_400_000)
            self._answer({"code": 0, "msg": "success", "data": {"expire_time": expire, "token": token}})
            return
        if url.path != prefix + "/push/single/cid":
            self._answer({"code": 404, "msg": "url error"}, 404)
            return
        if self.headers.get("token") not in self.state.valid_tokens:
            self._answer({"code": 10001, "msg": "token expired"}, 401)
            return
        request_id = str(body.get("request_id", ""))
        cids = (body.get("audience") or {}).get("cid") or []
        cid = cids[0] if len(cids) == 1 else ""
        if not 10 <= len(request_id) <= 32:
            self._answer({"code": 20001, "msg": "request_id is invalid"}, 400)
        elif not cid:
            self._answer({"code": 20001, "msg": "cid can not be empty"}, 400)
        elif self.state.once(cid, "flaky"):
            self._answer({"code": 500, "msg": "server error"}, 500)
        elif self.state.once(cid, "slow"):
            time.sleep(SLOW_SECONDS)
            self._deliver(request_id, cid, body)
        elif "gone" in cid:
            self._answer({"code": 20001, "msg": "target user is invalid"}, 400)
        else:
            self._deliver(request_id, cid, body)

    def _deliver(self, request_id: str, cid: str, body: dict) -> None:
        # 个推 drops a push whose request_id it has already seen: the phone gets it once.
        self.state.deliver(request_id, body)
        task = "RASS_" + hashlib.md5(request_id.encode()).hexdigest()[:16]
        self._answer({"code": 0, "msg": "", "data": {task: {cid: "successed_online"}}})


@contextmanager
def serve_vendor(handler: type[_Handler]) -> Iterator[tuple[str, VendorState]]:
    """Run `handler` on a free loopback port; yields its base URL and its state."""
    state = VendorState()
    bound = type(handler.__name__, (handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
