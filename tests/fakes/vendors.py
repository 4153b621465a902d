"""WeChat `jscode2session` and Tencent Cloud SMS `SendSms`, played by small HTTP servers in a thread.

They answer as the vendors document, error codes included, and remember what they received so tests
can read the SMS a phone "got".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID, APPSECRET = "wx-test-appid", "wx-test-secret"
SMS_SECRET_ID, SMS_SECRET_KEY = "AKIDtest", "tencent-test-key"
SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="

# Special `wx.login` codes the fake answers with WeChat's documented errors.
WECHAT_ERRORS = {
    "busy": (-1, "system error"),
    "invalid": (40029, "invalid code"),
    "used": (40163, "code been used"),
    "limit": (45011, "api minute-quota reach limit mustslower retry next minute"),
    "risky": (40226, "invalid user, high risk user"),
}
# Phone numbers (last four digits) the SMS fake refuses, per number, with Tencent's documented codes.
SMS_REFUSALS = {
    "0000": "LimitExceeded.PhoneNumberDailyLimit",
    "9999": "FailedOperation.InsufficientBalanceInSmsPackage",
}


@dataclass
class Received:
    """What a fake vendor was sent."""

    requests: list[dict] = field(default_factory=list)

    def last_code_for(self, phone: str) -> str:
        for request in reversed(self.requests):
            if request.get("PhoneNumberSet") == [f"+86{phone}"]:
                return request["TemplateParamSet"][0]
        raise AssertionError(f"no SMS was sent to {phone}")


class _Handler(BaseHTTPRequestHandler):
    received: Received

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _answer(self, body: dict, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class WeChatHandler(_Handler):
    """GET /sns/jscode2session: `ok:<openid>[:<unionid>]` codes succeed; WECHAT_ERRORS keys fail."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.received.requests.append(query)
        if url.path != "/sns/jscode2session" or query.get("grant_type") != "authorization_code":
            self._answer({"errcode": 40002, "errmsg": "invalid grant_type"})
        elif query.get("appid") != APPID or query.get("secret") != APPSECRET:
            self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
        elif query.get("js_code", "") in WECHAT_ERRORS:
            errcode, errmsg = WECHAT_ERRORS[query["js_code"]]
            self._answer({"errcode": errcode, "errmsg": errmsg})
        elif query.get("js_code", "").startswith("ok:"):
            _, openid, *unionid = query["js_code"].split(":")
            body = {"openid": openid, "session_key": SESSION_KEY}
            if unionid:
                body["unionid"] = unionid[0]
            self._answer(body, content_type="text/plain")  # WeChat labels JSON as text/plain
        else:
            self._answer({"errcode": 40029, "errmsg": "invalid code"})


def _tc3_valid(headers: dict[str, str], payload: bytes) -> bool:
    """Check Tencent's TC3-HMAC-SHA256 signature as the real service would."""
    auth = headers.get("Authorization", "")
    try:
        credential, signed, signature = (part.split("=", 1)[1] for part in auth.split(" ", 1)[1].split(", "))
    except (IndexError, ValueError):
        return False
    secret_id, date, service, _ = credential.split("/")
    if secret_id != SMS_SECRET_ID or signed != "content-type;host":
        return False
    canonical = (
        f"POST\n/\n\ncontent-type:{headers['Content-Type']}\nhost:{headers['Host']}\n\n"
        f"content-type;host\n{hashlib.sha256(payload).hexdigest()}"
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            headers["X-TC-Timestamp"],
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = hmac.new(f"TC3{SMS_SECRET_KEY}".encode(), date.encode(), hashlib.sha256).digest()
    key = hmac.new(hmac.new(key, service.encode(), hashlib.sha256).digest(), b"tc3_request", hashlib.sha256)
    return hmac.compare_digest(
        hmac.new(key.digest(), to_sign.encode(), hashlib.sha256).hexdigest(), signature
    )


class TencentSmsHandler(_Handler):
    """POST / with X-TC-Action: SendSms; answers `{"Response": {...}}` as API 3.0 does."""

    def do_POST(self) -> None:
        payload = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k: v for k, v in self.headers.items()}
        if not _tc3_valid(headers, payload):
            self._answer(
                {
                    "Response": {
                        "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature mismatch"},
                        "RequestId": "r-1",
                    }
                }
            )
            return
        body = json.loads(payload)
        self.received.requests.append(body)
        phone = body["PhoneNumberSet"][0]
        code = SMS_REFUSALS.get(phone[-4:], "Ok")
        status = {
            "SerialNo": "2645:1",
            "PhoneNumber": phone,
            "Fee": 1,
            "SessionContext": "",
            "Code": code,
            "Message": "send success" if code == "Ok" else code,
            "IsoCode": "CN",
        }
        self._answer({"Response": {"SendStatusSet": [status], "RequestId": "r-2"}})


@contextmanager
def serve(handler: type[_Handler]) -> Iterator[tuple[str, Received]]:
    """Run `handler` on a free loopback port; yields its base URL and what it receives."""
    received = Received()
    bound = type(handler.__name__, (handler,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
