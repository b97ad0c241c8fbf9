"""`/ws/live?floor=ID`: a snapshot with a version, then consecutive deltas."""

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from server.composition.runtime import Runtime
from server.composition.serving import CLOSE_TRY_AGAIN_LATER, FALL_BEHIND_EXTENSION, FELL_BEHIND

# No frame waits longer than this to be sent: a client that cannot take it is closed (1013).
MAX_LAG_S = 5.0


async def live_feed(websocket: WebSocket) -> None:
    """Stream one floor's desk states; a client that falls behind is closed with 1013.

    Behind means more frames waiting than the hub's queue bound, a frame unsent for
    MAX_LAG_S, or (told by the server's protocol) pings answered late. The broadcast never
    waits for a client: each has this task of its own, and a blocked send only blocks it.
    """
    rt: Runtime = websocket.app.state.runtime
    floor = websocket.query_params.get("floor")
    if floor is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="floor is required")
        return
    if not origin_allowed(websocket, rt.settings.allowed_origins):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="origin not allowed")
        return
    if rt.site.floor(floor) is None:
        await websocket.close(
            code=status.WS_1008_POLICY_VIOLATION, reason=f"unknown floor {floor!r}"
        )
        return
    await websocket.accept()
    subscriber = rt.hub.subscribe(floor)
    writer = asyncio.current_task()
    assert writer is not None
    reader = asyncio.create_task(wait_for_close(websocket, writer, lambda: rt.hub.drop(subscriber)))
    try:
        while True:
            await subscriber.wait()
            frames = subscriber.take()
            if subscriber.dropped:
                await fall_behind(websocket)
                return
            try:
                async with asyncio.timeout(subscriber.taken_at + MAX_LAG_S - time.monotonic()):
                    for frame in frames:
                        await websocket.send_text(frame)
            except TimeoutError:
                rt.hub.drop(subscriber)
                await fall_behind(websocket)
                return
    except (WebSocketDisconnect, asyncio.CancelledError, RuntimeError):
        return
    finally:
        rt.hub.unsubscribe(subscriber)
        reader.cancel()


async def fall_behind(websocket: WebSocket) -> None:
    """Close with 1013 even when the client's socket is full (then ASGI's close would wait)."""
    extension: dict[str, Any] = websocket.scope.get("extensions", {}).get(FALL_BEHIND_EXTENSION)
    if extension is not None:
        extension["close"]()
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(MAX_LAG_S):
            await websocket.close(code=CLOSE_TRY_AGAIN_LATER, reason=FELL_BEHIND)


async def wait_for_close(
    websocket: WebSocket,
    writer: asyncio.Task[None],
    fell_behind: Callable[[], object] = lambda: None,
) -> None:
    """Cancel `writer` once the client goes away (clients send nothing we need); a close for
    falling behind, which the server's protocol makes when pings come back late, is counted."""
    with contextlib.suppress(Exception):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                if message.get("code") == CLOSE_TRY_AGAIN_LATER:
                    fell_behind()
                break
    writer.cancel()


router = APIRouter(tags=["live"])
# A plain route, without FastAPI's dependency solving: that kept an exit stack and the solved
# values alive for each open connection, ~6 KB of 2,000 clients' memory apiece.
router.add_websocket_route("/ws/live", live_feed)


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: browsers always send Origin on websocket handshakes
    if origin in allowed or "*" in allowed:
        return True
    host = websocket.headers.get("host", "")
    return urlparse(origin).netloc == host
