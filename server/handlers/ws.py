"""`GET /api/v1/ws?token=…[&since=<seq>]`: the citizen's live notification socket.

The token is checked before the upgrade (401 otherwise). On connect the server sends `hello`, then
replays what the citizen missed after `since`, then `synced`; live notifications follow. A
`heartbeat` frame goes out when the socket has been quiet (the hub's clock says when, for every
socket at once); the token's expiry or a logout closes the socket with code 4001 so the client
reconnects with a fresh token and its last `seq`.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress

from sanic import Blueprint, Request
from sanic.server.websockets.impl import WebsocketImplProtocol

from server.auth.guards import invalid_token
from server.auth.tokens import Claims, InvalidToken
from server.errors import ApiError
from server.push import inbox
from server.push.frames import dumps, notification_frame
from server.push.hub import Connection
from server.push.service import PushServices

bp = Blueprint("ws", url_prefix="/api/v1")

CLOSE_TOKEN = 4001  # token invalid, expired or revoked: reconnect with a fresh one
CLOSE_RESYNC = 4008  # the client fell behind: reconnect with `since`


@bp.on_request
async def _authenticate_socket(request: Request) -> None:
    """Check the access token of the query before the upgrade, so a bad one is a plain 401."""
    if request.path != "/api/v1/ws":
        return
    token = request.args.get("token")
    claims = getattr(request.ctx, "token_claims", None)
    if token:
        try:
            claims = request.app.ctx.auth.tokens.verify(token, "access")
        except InvalidToken as exc:
            raise invalid_token() from exc
        if await request.app.ctx.auth.sessions.is_revoked(claims):
            raise invalid_token()
    if claims is None:
        raise ApiError(401, "authentication_required", "Give the access token as ?token=.")
    if claims.kind != "user":
        raise ApiError(403, "forbidden", "Only citizens have a notification socket.")
    since = request.args.get("since")
    if since is not None and not (since.isdigit() and len(since) < 19):
        raise ApiError(422, "validation_error", "since: the seq of the last notification seen (an integer)")
    request.ctx.ws_claims = claims


async def _read(ws: WebsocketImplProtocol, connection: Connection) -> None:
    """Answer the client's `{"type": "ping"}` with a pong; anything else from the client is ignored."""
    try:
        while True:
            message = await ws.recv()
            if message is None:
                return
            if isinstance(message, str) and '"ping"' in message:
                await ws.send(dumps({"type": "pong", "ts": int(time.time())}))
    finally:
        connection.close()


async def _replay(ws: WebsocketImplProtocol, connection: Connection, since: int, limit: int) -> int:
    missed = await inbox.since(connection.user_id, since, limit + 1)
    for notification in missed[:limit]:
        await ws.send(notification_frame(notification))
    last = missed[min(len(missed), limit) - 1].seq if missed else since
    connection.floor = max(connection.floor, last)
    if len(missed) > limit:
        await ws.send(dumps({"type": "resync", "reason": "too_many", "last_seq": last}))
    return last


@bp.websocket("/ws", name="socket")
async def socket(request: Request, ws: WebsocketImplProtocol) -> None:
    claims: Claims = request.ctx.ws_claims
    push: PushServices = request.app.ctx.push
    settings = request.app.ctx.settings
    connection = push.hub.register(claims.subject, claims, claims.expires_at)
    reader = asyncio.create_task(_read(ws, connection))
    try:
        latest = await inbox.last_seq(claims.subject)
        hello = {
            "type": "hello",
            "last_seq": latest,
            "heartbeat_seconds": settings.ws_heartbeat_seconds,
            "expires_at": claims.expires_at,
        }
        await ws.send(dumps(hello))
        since = request.args.get("since")
        if since is None:
            connection.floor = max(connection.floor, latest)
            last = latest
        else:
            last = await _replay(ws, connection, int(since), settings.ws_replay_limit)
        await ws.send(dumps({"type": "synced", "last_seq": last}))
        if claims.expires_at <= time.time():
            await _close_for_token(ws)
            return
        connection.sent()
        await _pump(ws, connection)
    finally:
        push.hub.unregister(connection)
        reader.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await reader


async def _pump(ws: WebsocketImplProtocol, connection: Connection) -> None:
    """Send live frames, and the heartbeats the hub's clock asks for, until the client goes or the
    token runs out (the clock also ends a socket whose session was revoked)."""
    while True:
        frame = await connection.next_frame()
        if connection.closed:
            return
        if connection.overflowed:
            await ws.close(CLOSE_RESYNC, "resync")
            return
        if connection.token_ended:
            await _close_for_token(ws)
            return
        if frame is not None:
            await ws.send(frame)
        elif connection.heartbeat_due:
            await ws.send(dumps({"type": "heartbeat", "ts": int(time.time())}))
        else:
            continue
        connection.sent()


async def _close_for_token(ws: WebsocketImplProtocol) -> None:
    await ws.send(dumps({"type": "token_expired"}))
    await ws.close(CLOSE_TOKEN, "token_expired")
