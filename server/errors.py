"""One error shape for every 4xx/5xx: {"error": {"code": "<snake_case>", "message": "..."}}."""

from __future__ import annotations

import logging

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json
from tortoise.exceptions import ValidationError as OrmValidationError

from server.applications.errors import ApplicationError
from server.operators.errors import OperatorsError
from server.push import errors as push_errors

log = logging.getLogger("server.errors")

# Sanic's own exceptions, by status, mapped to our codes.
_SANIC_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    416: "range_not_satisfiable",
    503: "service_unavailable",
}

# Domain error kinds, mapped to a status here and nowhere else.
_KIND_STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "forbidden": 403}


class ApiError(Exception):
    """An error the client caused or must know about, answered as JSON with `status`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


# The push domain's errors -> status and code.
_PUSH_ERRORS: dict[type[Exception], tuple[int, str]] = {
    push_errors.CriticalCategory: (422, "critical_category"),
    push_errors.UnknownName: (422, "validation_error"),
    push_errors.NotFound: (404, "not_found"),
    push_errors.WeChatNotLinked: (409, "wechat_not_linked"),
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> HTTPResponse:
    return json({"error": {"code": code, "message": message}}, status=status, headers=headers)


# The applications domain's error kinds, by status.
_DOMAIN_STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "too_large": 413, "unsupported": 415}


def _handle(request: Request, exc: Exception) -> HTTPResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    if isinstance(exc, OperatorsError):
        return error_response(_KIND_STATUS[exc.kind], exc.code, exc.message)
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": exc.message, **exc.details}
        return json({"error": body}, status=_DOMAIN_STATUS[exc.kind])
    for error_type, (status, code) in _PUSH_ERRORS.items():
        if isinstance(exc, error_type):
            return error_response(status, code, str(exc))
    if isinstance(exc, SanicException) and exc.status_code < 500:
        status = exc.status_code
        code = _SANIC_CODES.get(status, "bad_request")
        message = str(exc) or code.replace("_", " ")
        if status == 400 and "json" in message.lower():
            code, message = "invalid_json", "The request body is not valid JSON."
        headers = dict(getattr(exc, "headers", None) or {})
        return error_response(status, code, message, headers)
    if isinstance(exc, OrmValidationError):
        # A value the edge should have refused (the column is shorter, the type another): still the
        # client's input, so a 422 -- and a warning, so the edge gets the check it lacks.
        log.warning("the ORM refused a value on %s %s: %s", request.method, request.path, exc)
        return error_response(422, "validation_error", "A value in the request is too long or malformed.")
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side; please try again.")


def install_error_handlers(app: Sanic) -> None:
    app.error_handler.add(Exception, _handle)
