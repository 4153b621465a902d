"""mobile_api_spec/openapi.yaml is valid OpenAPI 3.1 and lists exactly the routes the server answers."""

from __future__ import annotations

from openapi_spec_validator import validate
from sanic import Sanic

from tests.spec import app_operations, spec, spec_operations


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
