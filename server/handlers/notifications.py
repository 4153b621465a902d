"""The citizen's side of push: inbox, preferences, WeChat subscriptions, devices for app push."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.auth.guards import requires_user
from server.bodies import parse_body, parse_query
from server.models import Device
from server.push import devices, inbox, preferences, subscriptions
from server.push.frames import notification_view
from server.push.service import PushServices

bp = Blueprint("notifications", url_prefix="/api/v1/me")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InboxQuery(Strict):
    before: int | None = Field(default=None, ge=1)
    limit: int = Field(default=20, ge=1, le=100)
    unread: bool = False


class ReadBody(Strict):
    # Row ids are 64-bit: a larger one overflowed the database's integer (500, found by schemathesis).
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(min_length=1, max_length=200)


class PreferenceChange(Strict):
    category: str = Field(min_length=1, max_length=32)
    channel: str = Field(min_length=1, max_length=16)
    enabled: bool


class PreferencesBody(Strict):
    preferences: list[PreferenceChange] = Field(min_length=1, max_length=100)


class SubscriptionsBody(Strict):
    # As wx.requestSubscribeMessage reports it: template id -> accept | reject | ban | filter.
    results: dict[str, Literal["accept", "reject", "ban", "filter"]] = Field(min_length=1, max_length=20)


class DeviceBody(Strict):
    provider: Literal["getui"] = "getui"
    client_id: str = Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    platform: Literal["android", "ios", "harmony"]


def _push(request: Request) -> PushServices:
    return request.app.ctx.push


def _user(request: Request) -> str:
    return request.ctx.principal.id


def _device_view(device: Device) -> dict:
    return {
        "id": device.id,
        "provider": device.provider,
        "platform": device.platform,
        "client_id": device.client_id,
        "created_at": device.created_at.isoformat(),
    }


@bp.get("/notifications")
@requires_user
async def list_notifications(request: Request) -> HTTPResponse:
    query = parse_query(request, InboxQuery)
    user_id = _user(request)
    notes = await inbox.page(user_id, query.before, query.limit, query.unread)
    return json(
        {
            "notifications": [notification_view(n) for n in notes],
            "unread_count": await inbox.unread_count(user_id),
            "next_before": notes[-1].id if len(notes) == query.limit else None,
        }
    )


@bp.get("/notifications/unread-count")
@requires_user
async def unread_count(request: Request) -> HTTPResponse:
    return json({"unread_count": await inbox.unread_count(_user(request))})


@bp.post("/notifications/read")
@requires_user
async def mark_read(request: Request) -> HTTPResponse:
    body = parse_body(request, ReadBody)
    user_id = _user(request)
    updated = await inbox.mark_read(user_id, body.ids)
    return json({"updated": updated, "unread_count": await inbox.unread_count(user_id)})


@bp.post("/notifications/read-all")
@requires_user
async def mark_all_read(request: Request) -> HTTPResponse:
    return json({"updated": await inbox.mark_all_read(_user(request)), "unread_count": 0})


@bp.get("/notification-preferences")
@requires_user
async def get_preferences(request: Request) -> HTTPResponse:
    return json({"preferences": await preferences.matrix(_push(request).config, _user(request))})


@bp.put("/notification-preferences")
@requires_user
async def put_preferences(request: Request) -> HTTPResponse:
    body = parse_body(request, PreferencesBody)
    config = _push(request).config
    changes = [(p.category, p.channel, p.enabled) for p in body.preferences]
    await preferences.update(config, _user(request), changes)
    return json({"preferences": await preferences.matrix(config, _user(request))})


@bp.get("/subscriptions")
@requires_user
async def get_subscriptions(request: Request) -> HTTPResponse:
    return json({"subscriptions": await subscriptions.listing(_push(request).config, _user(request))})


@bp.post("/subscriptions")
@requires_user
async def post_subscriptions(request: Request) -> HTTPResponse:
    body = parse_body(request, SubscriptionsBody)
    config = _push(request).config
    await subscriptions.report(config, _user(request), body.results)
    return json({"subscriptions": await subscriptions.listing(config, _user(request))})


@bp.get("/devices")
@requires_user
async def list_devices(request: Request) -> HTTPResponse:
    return json({"devices": [_device_view(d) for d in await devices.listing(_user(request))]})


@bp.post("/devices")
@requires_user
async def register_device(request: Request) -> HTTPResponse:
    body = parse_body(request, DeviceBody)
    device = await devices.register(_user(request), body.provider, body.client_id, body.platform)
    return json({"device": _device_view(device)}, status=201)


@bp.delete("/devices/<device_id:str>")
@requires_user
async def remove_device(request: Request, device_id: str) -> HTTPResponse:
    await devices.remove(_user(request), device_id)
    return empty()
