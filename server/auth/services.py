"""The per-worker auth services on `app.ctx.auth`, opened and closed with the server."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from sanic import Sanic

from server.auth.crypto import DataProtector
from server.auth.departments import DepartmentKeys
from server.auth.guards import authenticate
from server.auth.operators import Operators
from server.auth.sessions import Sessions
from server.auth.sms_codes import SmsCodes
from server.auth.tokens import TokenService
from server.auth.users import Users
from server.config import Settings
from server.kv import KV
from server.vendors.sms import create_sms_sender
from server.vendors.wechat import WeChatClient


@dataclass(frozen=True)
class AuthServices:
    settings: Settings
    tokens: TokenService
    sessions: Sessions
    users: Users
    operators: Operators
    sms_codes: SmsCodes
    wechat: WeChatClient
    departments: DepartmentKeys
    http: httpx.AsyncClient

    @classmethod
    def build(cls, settings: Settings, kv: KV) -> AuthServices:
        # httpx logs every request URL at INFO, and WeChat's carries the app secret and the login code.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        http = httpx.AsyncClient(timeout=settings.vendor_timeout_seconds, follow_redirects=False)
        protector = DataProtector(settings.data_encryption_key)
        tokens = TokenService(settings)
        return cls(
            settings=settings,
            tokens=tokens,
            sessions=Sessions(tokens, kv),
            users=Users(protector),
            operators=Operators(kv, settings),
            sms_codes=SmsCodes(kv, create_sms_sender(settings, http), protector, settings),
            wechat=WeChatClient(
                http, settings.wechat_base_url, settings.wechat_appid, settings.wechat_secret
            ),
            departments=DepartmentKeys(kv, protector, settings.signature_max_skew_seconds),
            http=http,
        )


async def _open(app: Sanic) -> None:
    app.ctx.auth = AuthServices.build(app.ctx.settings, app.ctx.kv)


async def _watch_operator_changes(app: Sanic) -> None:
    """Drop cached operator roles that another worker changed (cancelled with the background tasks)."""
    app.ctx.background.add(asyncio.create_task(app.ctx.auth.operators.directory.watch()))


async def _close(app: Sanic) -> None:
    await app.ctx.auth.http.aclose()


def install_auth(app: Sanic) -> None:
    """Open the services after the kv role is up, and authenticate every request."""
    app.before_server_start(_open)
    app.after_server_start(_watch_operator_changes)
    app.after_server_stop(_close)
    app.on_request(authenticate)
