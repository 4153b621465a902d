"""WeChat subscribe messages (`subscribeMessage.send`) with the access token from `stable_token`.

The token is shared by every worker and host through the kv role and refreshed once when WeChat
says it is invalid or expired (40001, 42001, 40014). Template values are cut to WeChat's limits per
key type before sending, so a long item name never gets a message rejected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import httpx

from server.kv import KV
from server.privacy import mask_text
from server.vendors.outcome import Outcome, VendorUnavailable, http_failure
from server.vendors.tokens import SharedToken

log = logging.getLogger("server.vendors.wechat_messages")

TOKEN_ERRORS = frozenset({40001, 42001, 40014})
# Documented errcodes of subscribeMessage.send that no retry can fix.
_PERMANENT = {
    43101: "not_subscribed",
    47003: "invalid_field",
    40003: "invalid_openid",
    40037: "invalid_template",
    41030: "invalid_page",
}
_TEMPORARY = {-1: "wechat_busy", 45009: "rate_limited", 45047: "rate_limited"}
_FIELD_IN_ERRMSG = re.compile(r"data\.([A-Za-z_]+\d*)\.value")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_NOT_HAN = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff]")
_NOT_ASCII_PRINTABLE = re.compile(r"[^\x21-\x7e]")
_NOT_DIGITS = re.compile(r"[^0-9.]")
_NOT_LETTERS = re.compile(r"[^A-Za-z]")
_NOT_PHONE = re.compile(r"[^0-9+\-() ]")
_KEY_TYPE = re.compile(r"^([a-z_]+?)\d*$")


def _cut(text: str, limit: int, ellipsis: bool = False) -> str:
    """At most `limit` characters, cut between characters (never inside a surrogate pair)."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…" if ellipsis else text[:limit]


def fit_value(key: str, value: str) -> str:
    """`value` made acceptable for the template key `key` (its type is the key without digits).

    Limits from WeChat's 订阅消息参数值内容限制说明: thing ≤ 20 characters, phrase ≤ 5 汉字, name
    ≤ 10 汉字 or 20 letters, number/letter/character_string ≤ 32, phone_number ≤ 17, car_number ≤ 8,
    symbol ≤ 5. Unknown types pass through unchanged (time, date, amount, enum are formatted upstream).
    """
    match = _KEY_TYPE.match(key)
    kind = match.group(1) if match else key
    text = " ".join(str(value).split())
    if kind == "thing":
        return _cut(text, 20, ellipsis=True) or "-"
    if kind == "phrase":
        return _cut(_NOT_HAN.sub("", text), 5) or "已更新"
    if kind == "name":
        return _cut(text, 10) if _HAN.search(text) else _cut(text, 20)
    if kind == "number":
        return _cut(_NOT_DIGITS.sub("", text), 32) or "0"
    if kind == "letter":
        return _cut(_NOT_LETTERS.sub("", text), 32) or "A"
    if kind == "character_string":
        return _cut(_NOT_ASCII_PRINTABLE.sub("", text), 32) or "-"
    if kind == "phone_number":
        return _cut(_NOT_PHONE.sub("", text), 17)
    if kind == "car_number":
        return _cut(text, 8)
    if kind == "symbol":
        return _cut(text, 5)
    return text


class WeChatMessages:
    """`POST {base}/cgi-bin/stable_token` and `POST {base}/cgi-bin/message/subscribe/send`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        kv: KV,
        base_url: str,
        appid: str,
        secret: str,
        miniprogram_state: str = "formal",
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.miniprogram_state = miniprogram_state
        self.token = SharedToken(kv, f"wechat:access_token:{appid}", self._fetch_token)

    @property
    def configured(self) -> bool:
        return bool(self.appid and self.secret)

    async def _fetch_token(self) -> tuple[str, float]:
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        try:
            response = await self.http.post(
                self.base_url + "/cgi-bin/stable_token", json={**body, "force_refresh": False}
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise VendorUnavailable("token_unreachable", type(exc).__name__) from exc
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            errcode = answer.get("errcode") if isinstance(answer, dict) else None
            raise VendorUnavailable("token_refused", f"stable_token errcode {errcode}")
        return token, float(answer.get("expires_in", 7200))

    async def send(
        self, openid: str, template_id: str, data: Mapping[str, str], page: str | None = None
    ) -> Outcome:
        """Send one subscribe message; the outcome says whether to retry."""
        body: dict = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": fit_value(key, value)} for key, value in data.items()},
            "miniprogram_state": self.miniprogram_state,
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        for first_try in (True, False):
            try:
                token = await self.token.get()
            except VendorUnavailable as exc:
                return Outcome.retry(exc.code, exc.detail)
            try:
                response = await self.http.post(
                    self.base_url + "/cgi-bin/message/subscribe/send",
                    params={"access_token": token},
                    json=body,
                )
            except httpx.HTTPError as exc:
                return http_failure(exc)
            if response.status_code != 200:
                return Outcome.retry(f"http_{response.status_code}")
            try:
                answer = response.json()
                errcode = int(answer.get("errcode", 0))
            except (ValueError, AttributeError, TypeError):
                return Outcome.retry("bad_response")
            if errcode in TOKEN_ERRORS and first_try:
                log.info("wechat access token refused; refreshing once", extra={"errcode": errcode})
                await self.token.invalidate(token)
                continue
            return _outcome(errcode, answer)
        return Outcome.retry("token_refused")


def _outcome(errcode: int, answer: dict) -> Outcome:
    errmsg = mask_text(str(answer.get("errmsg", "")))[:300]
    if errcode == 0:
        msgid = answer.get("msgid")
        return Outcome.sent(str(msgid) if msgid is not None else None)
    if errcode == 47003:
        field = _FIELD_IN_ERRMSG.search(errmsg)
        return Outcome.failed("invalid_field", field.group(1) if field else errmsg)
    if errcode in _PERMANENT:
        return Outcome.failed(_PERMANENT[errcode], f"{errcode} {errmsg}")
    if errcode in TOKEN_ERRORS:
        return Outcome.retry("token_refused", f"{errcode} {errmsg}")
    return Outcome.retry(_TEMPORARY.get(errcode, f"errcode_{errcode}"), f"{errcode} {errmsg}")
