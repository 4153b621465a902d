"""The request class: a body must arrive within REQUEST_TIMEOUT, as headers must.

Sanic's request timeout ends when the headers are in; a body shorter than its Content-Length then
waited for the 60 s response timeout and was answered 503 as a server fault. Here it is a prompt 408.
"""

from __future__ import annotations

import asyncio

from sanic import Request
from sanic.exceptions import RequestTimeout
from sanic.http import Http


class TimedBodyRequest(Request):
    """A Sanic request whose body is received within the app's REQUEST_TIMEOUT."""

    async def receive_body(self) -> None:
        try:
            async with asyncio.timeout(self.app.config.REQUEST_TIMEOUT):
                await super().receive_body()
        except TimeoutError:
            if isinstance(self.stream, Http):
                self.stream.keep_alive = False  # the rest of the body may still come: do not reuse
            raise RequestTimeout("The request body did not arrive in time.") from None
