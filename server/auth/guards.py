"""Who is calling: the request middleware sets `request.ctx.principal`; decorators guard routes.

Bearer tokens identify citizens and operators (by audience); department systems sign each request
(see departments.py). No credentials means a guest (`None`); bad credentials are a 401, never a guest.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from server.auth import audit
from server.auth.audit import AuditDetail
from server.auth.departments import KEY_HEADER
from server.auth.principal import Principal
from server.auth.tokens import InvalidToken
from server.errors import ApiError

Handler = Callable[..., Awaitable[HTTPResponse]]
_BEARER = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
OPERATOR_ROUTE = "requires_operator"  # attribute marking the handlers of operator routes


def client_ip(request: Request) -> str:
    """The peer address (or the proxy-forwarded one when Sanic's proxy settings say to trust it)."""
    return request.remote_addr or request.ip or "unknown"


def invalid_token() -> ApiError:
    return ApiError(401, "invalid_token", "The access token is invalid or expired.", _BEARER)


async def _from_bearer(request: Request, header: str) -> Principal:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid_token()
    auth = request.app.ctx.auth
    try:
        claims = auth.tokens.verify(token.strip(), "access")
    except InvalidToken as exc:
        raise invalid_token() from exc
    if await auth.sessions.is_revoked(claims):
        raise invalid_token()
    role = claims.role
    if claims.kind == "operator":
        # What an operator may do is the database's word, not the token's: a forged or stale token
        # naming an operator who does not exist or was deactivated is refused.
        status = await auth.operators.directory.status(claims.subject)
        if status is None or not status.active:
            raise invalid_token()
        role = status.role
    request.ctx.token_claims = claims
    return Principal(kind=claims.kind, id=claims.subject, role=role)


def _is_operator_route(request: Request) -> bool:
    return bool(request.route and getattr(request.route.handler, OPERATOR_ROUTE, False))


async def authenticate(request: Request) -> None:
    """Set `request.ctx.principal`: None for guests, else who the valid credentials belong to.

    Refused department signatures, and refused tokens on operator routes, are audit-logged.
    """
    request.ctx.principal = None
    header = request.headers.get("authorization")
    if header is not None:
        try:
            request.ctx.principal = await _from_bearer(request, header)
        except ApiError as exc:
            if _is_operator_route(request):
                await _audit_call(request, None, exc.status, {"reason": exc.code})
            raise
    elif KEY_HEADER in request.headers:
        target = request.path + (f"?{request.query_string}" if request.query_string else "")
        try:
            request.ctx.principal = await request.app.ctx.auth.departments.authenticate(
                request.method, target, request.headers, request.body or b""
            )
        except ApiError as exc:
            key_id = request.headers.get(KEY_HEADER, "")[:40] or "-"
            await audit.record(
                Principal(kind="department", id=key_id),
                "departments.signature_refused",
                ip=client_ip(request),
                detail={
                    "method": request.method,
                    "path": request.path,
                    "status": exc.status,
                    "reason": exc.message,
                },
            )
            raise


def _require(request: Request, kind: str, roles: tuple[str, ...] = ()) -> Principal:
    principal: Principal | None = request.ctx.principal
    if principal is None:
        headers = {"WWW-Authenticate": "Bearer"} if kind != "department" else None
        raise ApiError(401, "authentication_required", "Sign in to use this route.", headers)
    if principal.kind != kind or (roles and principal.role not in roles):
        raise ApiError(403, "forbidden", "This account may not use this route.")
    return principal


def requires_user(handler: Handler) -> Handler:
    """Only citizens (401 for guests, 403 for operators and departments)."""

    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        _require(request, "user")
        return await handler(request, *args, **kwargs)

    return guarded


def requires_department(handler: Handler) -> Handler:
    """Only signed department systems; the principal's `department` is the key's scope."""

    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        _require(request, "department")
        return await handler(request, *args, **kwargs)

    return guarded


def requires_operator(*roles: str | Handler, detail: Callable[[Request], AuditDetail] | None = None) -> Any:
    """Only operators (with one of `roles`, when given); every call, allowed or refused (401/403), is
    written to the audit log, with `detail(request)` (what was asked for) and anything the handler
    put in `request.ctx.audit_detail` (what it did).

    Use as `@requires_operator()`, `@requires_operator("supervisor")` or bare `@requires_operator`.
    """
    if len(roles) == 1 and callable(roles[0]):
        return requires_operator()(roles[0])
    allowed = tuple(str(role) for role in roles)

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            status = 500
            principal: Principal | None = request.ctx.principal
            try:
                principal = _require(request, "operator", allowed)
                response = await handler(request, *args, **kwargs)
                status = response.status
                return response
            except ApiError as exc:
                status = exc.status
                raise
            finally:
                asked = _safe_detail(detail, request)
                await _audit_call(
                    request, principal, status, {**asked, **getattr(request.ctx, "audit_detail", {})}
                )

        setattr(guarded, OPERATOR_ROUTE, True)
        return guarded

    return decorate


def _safe_detail(detail: Callable[[Request], AuditDetail] | None, request: Request) -> AuditDetail:
    """What the request asked for, for the audit log; a body that does not parse adds nothing."""
    if detail is None:
        return {}
    try:
        return detail(request)
    except Exception:
        return {}


async def _audit_call(request: Request, actor: Principal | None, status: int, extra: AuditDetail) -> None:
    await audit.record(
        actor,
        request.name.split(".", 1)[-1] if request.name else request.path,
        ip=client_ip(request),
        conversation_id=(request.match_info or {}).get("conversation_id"),
        application_id=(request.match_info or {}).get("application_id"),
        detail={"method": request.method, "path": request.path, "status": status, **extra},
    )
