"""The OpenAPI contract as a test helper: the routes it lists and a validator for response bodies."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sanic import Sanic

from server.config import REPO_ROOT

SPEC_PATH = REPO_ROOT / "mobile_api_spec" / "openapi.yaml"
SPEC_URI = "urn:openapi"
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def spec_operations() -> set[tuple[str, str]]:
    """(METHOD, path template) for every operation in the spec."""
    return {
        (method.upper(), path)
        for path, item in spec()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def app_operations(app: Sanic) -> set[tuple[str, str]]:
    """(METHOD, path template) for every route the app answers, Sanic params written as {name}."""
    operations = set()
    for route in app.router.routes:
        path = "/" + re.sub(r"<(\w+)(?::[^>]*)?>", r"{\1}", route.path).lstrip("/")
        # A WebSocket route is documented as the GET that opens it.
        methods = {"GET"} if getattr(route.extra, "websocket", False) else route.methods
        for method in methods:
            if method not in {"HEAD", "OPTIONS"}:
                operations.add((method, path))
    return operations


def _resolve(node: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Follow a local $ref in a responses object; return the node and its JSON pointer."""
    pointer = node["$ref"].removeprefix("#")
    target: Any = spec()
    for part in pointer.strip("/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target, pointer


def assert_matches_spec(status: int, body: Any, method: str, path: str) -> None:
    """Fail unless the spec documents `status` for the operation and `body` fits its JSON schema."""
    operation = spec()["paths"][path][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {path}: status {status} is not in the spec"
    response = responses[str(status)]
    pointer = "/" + _pointer("paths", path, method.lower(), "responses", str(status))
    if "$ref" in response:
        response, pointer = _resolve(response)
    content = response.get("content", {})
    if "application/json" not in content:
        assert body in (None, b"", ""), f"{method} {path} {status}: the spec documents no JSON body"
        return
    schema_pointer = f"{pointer}/content/{_pointer('application/json')}/schema"
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{schema_pointer}"}, registry=_registry())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {status}: " + "; ".join(
        f"{'/'.join(map(str, e.path)) or 'body'}: {e.message}" for e in errors[:5]
    )
