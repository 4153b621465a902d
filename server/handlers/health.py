"""Liveness for load balancers (`/healthz`) and Prometheus scraping (`/metrics`)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from server import metrics
from server.db import db_ping

bp = Blueprint("health")


@bp.get("/livez")
async def livez(request: Request) -> HTTPResponse:
    """The process answers: no dependency is touched (also the benchmarks' bare-route baseline)."""
    return json({"status": "ok"})


@bp.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    """200 when the database (and Redis and the S3 bucket, when configured) answer; 503 naming what
    failed otherwise."""
    checks = {"database": await db_ping()}
    if request.app.ctx.settings.redis_url:
        try:
            checks["redis"] = await request.app.ctx.kv.ping()
        except Exception:
            checks["redis"] = False
    if request.app.ctx.settings.s3_bucket:
        checks["file_storage"] = await request.app.ctx.files.ping()
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "knowledge_version": request.app.ctx.knowledge.current.knowledge.version,
    }
    if not healthy:
        failed = ", ".join(name for name, ok in checks.items() if not ok)
        body["error"] = {"code": "service_unavailable", "message": f"Not reachable: {failed}."}
    return json(body, status=200 if healthy else 503)


@bp.get("/metrics")
async def prometheus_metrics(request: Request) -> HTTPResponse:
    body, content_type = metrics.render()
    return raw(body, content_type=content_type)
