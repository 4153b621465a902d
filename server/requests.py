"""The request class: a body must keep arriving, with no pause longer than REQUEST_TIMEOUT.

Sanic's request timeout ends when the headers are in; a body shorter than its Content-Length then
waited for the 60 s response timeout and was answered 503 as a server fault. Here a body that stops
arriving for REQUEST_TIMEOUT is a prompt 408, while a large upload on a slow link that keeps sending
is never cut.
"""

from __future__ import annotations

import asyncio

from sanic import Request
from sanic.exceptions import RequestTimeout
from sanic.http import Http


class TimedBodyRequest(Request):
    """A Sanic request whose body stalls for at most the app's REQUEST_TIMEOUT between chunks."""

    async def receive_body(self) -> None:
        if not isinstance(self.stream, Http):  # ASGI (tests): the server in front bounds it
            return await super().receive_body()
        if self.body:
            return
        stream = self.stream
        if stream.request_body is True and not stream.expecting_continue:
            left = stream.request_bytes_left or 0
            if len(stream.recv_buffer) >= left:  # all of it came with the headers: no pause to time
                return await super().receive_body()
        chunks: list[bytes] = []
        incoming = aiter(self.stream)
        while True:
            try:
                async with asyncio.timeout(self.app.config.REQUEST_TIMEOUT):
                    chunk = await anext(incoming)
            except StopAsyncIteration:
                break
            except TimeoutError:
                self.stream.keep_alive = False  # the rest of the body may still come: do not reuse
                raise RequestTimeout("The request body stopped arriving.") from None
            chunks.append(chunk)
        self.body = b"".join(chunks)
