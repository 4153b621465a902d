"""Prometheus metrics; aggregated across Sanic workers when PROMETHEUS_MULTIPROC_DIR is set."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


# Labelled children by (method, route, status): `labels()` validates and locks on every call, and the
# set of routes and statuses is small, so each child is looked up once.
_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Histogram, Counter]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    children = _REQUEST_CHILDREN.get((method, route, status))
    if children is None:
        children = (LATENCY.labels(route), REQUESTS.labels(method, route, str(status)))
        _REQUEST_CHILDREN[(method, route, status)] = children
    children[0].observe(seconds)
    children[1].inc()


def render() -> tuple[bytes, str]:
    """The exposition text: every worker's samples in multi-process mode, this process's otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


TURNS_QUEUED = Gauge("guide_turns_queued", "Guide turns waiting to be written", multiprocess_mode="livesum")
TURNS_SET_ASIDE = Counter("guide_turns_set_aside_total", "Guide turns the database refused")
MEMORY_KV_KEYS = Gauge(
    "memory_kv_keys", "Keys in the in-process kv (no REDIS_URL)", multiprocess_mode="livesum"
)
