"""A bare POST JSON route for the benchmarks' second baseline, registered only with BENCH_ECHO_ROUTE.

It goes through everything a guide message does on the way in and out (middleware, request id, body
timer, JSON body parsed into a pydantic model, orjson response, metrics) and nothing of the guide.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.bodies import parse_body

bp = Blueprint("bench")


class EchoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=500)


@bp.post("/bench/echo")
async def echo(request: Request) -> HTTPResponse:
    """The body's text back: the bare POST baseline of `benchmarks/bench_guide_http.py`."""
    body = parse_body(request, EchoBody)
    return json({"text": body.text})
