"""mobile_api_spec/openapi.yaml is valid OpenAPI 3.1 and lists exactly the routes the server answers."""

from __future__ import annotations

import re

import httpx
from openapi_spec_validator import validate
from sanic import Sanic

from tests.spec import app_operations, assert_matches_spec, spec, spec_operations


def test_spec_is_valid_openapi_31() -> None:
    assert spec()["openapi"].startswith("3.1")
    validate(spec())


def test_every_route_is_in_the_spec_and_back(app: Sanic) -> None:
    served = app_operations(app)
    documented = spec_operations()
    assert served - documented == set(), "routes the spec lacks"
    assert documented - served == set(), "spec operations no route answers"


def test_operations_have_ids_and_examples_for_errors() -> None:
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"
            assert operation.get("responses"), f"{method.upper()} {path} has no responses"


def _example_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x" * 32, template)


async def test_security_requirements_are_what_the_server_enforces(api: httpx.AsyncClient) -> None:
    """Without credentials: operations needing a token answer 401, operations open to guests never do."""
    for method, template in sorted(spec_operations()):
        operation = spec()["paths"][template][method.lower()]
        requirements = operation.get("security", [{}])
        guests_allowed = {} in requirements
        body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
        response = await api.request(method, _example_path(template), **body)
        if guests_allowed:
            assert response.status_code != 401, f"{method} {template} is documented open to guests"
        else:
            assert response.status_code == 401, f"{method} {template} is documented as needing a token"
            assert_matches_spec(401, response.json(), method, template)
