"""WeChat mini-program login: `jscode2session` exchanges a `wx.login` code for the user's openid.

The `session_key` WeChat returns is dropped here: it is never stored, returned or logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from server.errors import ApiError

log = logging.getLogger("server.vendors.wechat")

# Documented errcodes -> our answer (status, code, message, Retry-After).
_ERRORS: dict[int, tuple[int, str, str, str | None]] = {
    -1: (503, "wechat_busy", "WeChat is busy; please try again shortly.", "2"),
    40029: (400, "invalid_wechat_code", "The login code is invalid; call wx.login again.", None),
    40163: (400, "invalid_wechat_code", "The login code was already used; call wx.login again.", None),
    45011: (429, "rate_limited", "Too many login attempts with WeChat; wait a minute.", "60"),
    40226: (403, "wechat_user_blocked", "WeChat flagged this account as high-risk; login refused.", None),
}


@dataclass(frozen=True)
class WeChatIdentity:
    openid: str
    unionid: str | None


class WeChatClient:
    """Calls `GET {base_url}/sns/jscode2session` with the configured appid and secret."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, appid: str, secret: str) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/sns/jscode2session"
        self.appid = appid
        self.secret = secret

    async def code_to_identity(self, code: str) -> WeChatIdentity:
        """The openid (and unionid) behind `code`, or an ApiError saying what went wrong."""
        if not self.appid or not self.secret:
            raise ApiError(503, "wechat_not_configured", "WeChat login is not configured on this server.")
        params = {
            "appid": self.appid,
            "secret": self.secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        try:
            response = await self.http.get(self.url, params=params)
            body = response.json()  # WeChat answers JSON, sometimes labelled text/plain
        except (httpx.HTTPError, ValueError) as exc:
            log.error("jscode2session unreachable", extra={"error": type(exc).__name__})
            raise ApiError(503, "wechat_unavailable", "WeChat cannot be reached; please try again.") from exc
        errcode = body.get("errcode", 0) if isinstance(body, dict) else None
        if errcode == 0 and isinstance(body.get("openid"), str) and body["openid"]:
            unionid = body.get("unionid")
            return WeChatIdentity(body["openid"], unionid if isinstance(unionid, str) and unionid else None)
        if errcode in _ERRORS:
            status, code_, message, retry = _ERRORS[errcode]
            log.info("jscode2session refused", extra={"errcode": errcode})
            raise ApiError(status, code_, message, {"Retry-After": retry} if retry else None)
        log.error(
            "jscode2session failed; check WECHAT_APPID / WECHAT_SECRET",
            extra={"errcode": errcode, "http_status": response.status_code},
        )
        raise ApiError(503, "wechat_unavailable", "WeChat login is unavailable right now.")
