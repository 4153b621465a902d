"""Citizen accounts: WeChat and SMS login, token refresh and logout, profile, claiming guest chats."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.auth.guards import client_ip, invalid_token, requires_user
from server.auth.services import AuthServices
from server.auth.sms_codes import describe_send
from server.auth.tokens import InvalidToken
from server.auth.users import claim_conversations, parse_phone
from server.bodies import parse_body
from server.conversations import ID_PATTERN as CONVERSATION_ID

bp = Blueprint("auth", url_prefix="/api/v1")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WeChatLogin(Strict):
    code: str = Field(min_length=1, max_length=128)


class SmsRequest(Strict):
    phone: str = Field(min_length=11, max_length=20)


class SmsLogin(SmsRequest):
    code: str = Field(pattern=r"^\d{6}$")


class RefreshBody(Strict):
    refresh_token: str = Field(min_length=1, max_length=4096)


class ProfileUpdate(Strict):
    name: str | None = Field(default=None, max_length=64)
    id_number: str | None = Field(default=None, max_length=18)
    phone: str | None = Field(default=None, max_length=20)
    sms_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class ClaimBody(Strict):
    conversation_ids: list[Annotated[str, Field(pattern=CONVERSATION_ID)]] = Field(
        min_length=1, max_length=50
    )


def services(request: Request) -> AuthServices:
    return request.app.ctx.auth


async def _session_for(request: Request, user_id: str) -> HTTPResponse:
    pair = await services(request).sessions.start("user", user_id)
    return json(pair.as_json(), headers={"Cache-Control": "no-store"})


@bp.post("/auth/wechat")
async def wechat_login(request: Request) -> HTTPResponse:
    """Mini-program login with the `wx.login` code; finds or creates the user by openid."""
    body = parse_body(request, WeChatLogin)
    identity = await services(request).wechat.code_to_identity(body.code)
    user = await services(request).users.from_wechat(identity)
    return await _session_for(request, user.id)


@bp.post("/auth/sms-codes")
async def request_sms_code(request: Request) -> HTTPResponse:
    """Send a 6-digit login code; limited per phone and per IP (429 with Retry-After)."""
    phone = parse_phone(parse_body(request, SmsRequest).phone)
    await services(request).sms_codes.send(phone, client_ip(request))
    return json(describe_send(services(request).settings), status=202)


@bp.post("/auth/sms-login")
async def sms_login(request: Request) -> HTTPResponse:
    """App login with phone and code; finds or creates the user by phone."""
    body = parse_body(request, SmsLogin)
    phone = parse_phone(body.phone)
    await services(request).sms_codes.verify(phone, body.code)
    user = await services(request).users.from_phone(phone)
    return await _session_for(request, user.id)


async def _no_role(subject: str) -> None:
    return None


@bp.post("/auth/refresh")
async def refresh(request: Request) -> HTTPResponse:
    """Exchange a refresh token for a new pair; reusing an old one ends the whole session."""
    body = parse_body(request, RefreshBody)
    try:
        pair = await services(request).sessions.rotate(body.refresh_token, "user", _no_role)
    except InvalidToken as exc:
        raise invalid_token() from exc
    return json(pair.as_json(), headers={"Cache-Control": "no-store"})


@bp.post("/auth/logout")
@requires_user
async def logout(request: Request) -> HTTPResponse:
    """End this session: its refresh tokens and access tokens stop working."""
    await services(request).sessions.revoke_family(request.ctx.token_claims.family)
    return empty()


@bp.get("/me")
@requires_user
async def get_profile(request: Request) -> HTTPResponse:
    users = services(request).users
    return json(users.profile(await users.get(request.ctx.principal.id)))


@bp.put("/me")
@requires_user
async def update_profile(request: Request) -> HTTPResponse:
    """Update name / ID number; a new phone needs the SMS code sent to that phone."""
    body = parse_body(request, ProfileUpdate)
    auth = services(request)
    verified_phone = None
    if body.phone is not None:
        verified_phone = parse_phone(body.phone)
        await auth.sms_codes.verify(verified_phone, body.sms_code or "")
    user = await auth.users.get(request.ctx.principal.id)
    user = await auth.users.update_profile(
        user, name=body.name, id_number=body.id_number, verified_phone=verified_phone
    )
    return json(auth.users.profile(user))


@bp.post("/me/conversations/claim")
@requires_user
async def claim(request: Request) -> HTTPResponse:
    """Attach conversations started as a guest; lists those now owned (others' are not revealed)."""
    body = parse_body(request, ClaimBody)
    await request.app.ctx.turns.flush()  # queued guest turns first, so their rows exist to be claimed
    store = request.app.ctx.conversations
    return json(
        {"claimed": await claim_conversations(store, request.ctx.principal.id, body.conversation_ids)}
    )
