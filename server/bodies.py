"""Parse request bodies and query strings into pydantic models, or answer a clear 4xx."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic.headers import parse_content_header

from server.errors import ApiError

M = TypeVar("M", bound=BaseModel)

# NUL cannot be stored in PostgreSQL text and a lone UTF-16 surrogate cannot be encoded as UTF-8
# (SQLite, logs, JSON out): refused at the edge so no such string gets further.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable(item) for item in value)
    return False


def refuse_unstorable(value: Any) -> None:
    """400 unsupported_character when any string in `value` holds NUL or a lone surrogate."""
    if _has_unstorable(value):
        raise ApiError(
            400,
            "unsupported_character",
            "Text must not contain NUL (\\u0000) or unpaired surrogates (\\ud800-\\udfff).",
        )


def _declares_json(content_type: str) -> bool:
    """`application/json` or `application/<something>+json`, in UTF-8 (RFC 8259) when a charset is named."""
    media, params = parse_content_header(content_type)
    media = media.lower()
    is_json = media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
    return is_json and str(params.get("charset", "utf-8")).lower() in {"utf-8", "utf8"}


def json_object(request: Request) -> dict:
    """The request body as a JSON object: 400 when empty or not JSON, 415 when not declared JSON."""
    if not request.body:
        raise ApiError(400, "empty_body", "A JSON object body is required.")
    if not _declares_json(request.headers.get("content-type", "")):
        raise ApiError(
            415, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json."
        )
    try:
        body = request.json
    except Exception as exc:  # Sanic raises BadRequest with the parser's message
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    refuse_unstorable(body)
    return body


def describe(error: ValidationError) -> str:
    """One readable sentence naming each bad field."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_body(request: Request, model: type[M]) -> M:
    """Validate the JSON body against `model`; 400 invalid_json / 422 validation_error."""
    try:
        return model.model_validate(json_object(request))
    except ValidationError as exc:
        raise ApiError(422, "validation_error", describe(exc)) from exc


def parse_query(request: Request, model: type[M]) -> M:
    """Validate single-valued query arguments against `model`; 422 on bad values.

    Blank values are kept (`?date=` is a bad date, not an absent one).
    """
    args = {key: values[-1] for key, values in request.get_args(keep_blank_values=True).items()}
    refuse_unstorable(args)
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", describe(exc)) from exc
