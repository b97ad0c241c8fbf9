"""The HTTP server's request body limit: a body over it is refused with 413 before it is read.

The answer is the usual refusal (`body_too_large`, the limit in KiB) and never echoes what was
sent. A body with a Content-Length is judged by that header alone; a chunked one is read up to
the limit and refused as soon as it passes it, so no request costs more memory than its limit.
"""

import re
from collections.abc import Mapping

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.refusals import answer
from server.domain.refusals import Refusal, RefusalCode

# JSON bodies of the API are a few hundred bytes; 1 MiB leaves room for any honest request.
DEFAULT_LIMIT = 1024 * 1024


class BodyLimit:
    """ASGI middleware: `limit` bytes per request body, or the limit of the first matching path
    pattern in `larger` (uploads)."""

    def __init__(
        self, app: ASGIApp, limit: int = DEFAULT_LIMIT, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = [(re.compile(pattern), size) for pattern, size in (larger or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((size for pattern, size in self.larger if pattern.fullmatch(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None:
            if declared > limit:
                await self._refuse(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read up to the limit, then hand the body on unchanged.
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                chunks.append(message)
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        refusal = Refusal(RefusalCode.BODY_TOO_LARGE, limit_kib=limit // 1024)
        response = answer(Request(scope), refusal)
        # The rest of the body is never read: the connection cannot be reused.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
