"""Every client error, Sanic's own included, answers in the contract's JSON shape."""

from __future__ import annotations

import uuid

import httpx
from sanic import Sanic

from server.db import apply_migrations
from tests.conftest import serving
from tests.spec import assert_matches_spec


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


async def test_unknown_route_is_json_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/nope")
    assert_error(response, 404, "not_found")


async def test_wrong_method_is_json_405(api: httpx.AsyncClient) -> None:
    response = await api.delete("/api/v1/bundles")
    assert_error(response, 405, "method_not_allowed")


async def test_request_id_is_echoed_or_made(api: httpx.AsyncClient) -> None:
    given = await api.get("/livez", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await api.get("/livez")
    assert len(made.headers["x-request-id"]) == 32


async def test_metrics_count_requests(api: httpx.AsyncClient) -> None:
    await api.get("/livez")
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert 'http_requests_total{method="GET",route="livez"' in response.text


async def test_healthz_reports_checks(api: httpx.AsyncClient, app: Sanic) -> None:
    response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] is True
    assert ("redis" in response.json()["checks"]) == bool(app.ctx.settings.redis_url)


async def test_healthz_is_503_when_redis_is_unreachable(make_settings, served_knowledge) -> None:
    from server.app import create_app

    settings = make_settings(redis_url="redis://127.0.0.1:1/0")
    await apply_migrations(settings)
    app = create_app(settings, name="t" + uuid.uuid4().hex[:12], knowledge=served_knowledge)
    try:
        async with serving(app) as api:
            response = await api.get("/healthz")
    finally:
        Sanic._app_registry.pop(app.name, None)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "redis": False}
    assert_matches_spec(503, response.json(), "GET", "/healthz")
