"""`/ws/live?floor=ID`: a snapshot with a version, then consecutive deltas."""

import asyncio
import contextlib
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect, status

from server.api.deps import ws_runtime
from server.composition.runtime import Runtime

# WebSocket close code 1013 "try again later": a client that fell behind resyncs.
CLOSE_TRY_AGAIN_LATER = 1013

router = APIRouter(tags=["live"])


@router.websocket("/ws/live")
async def live_feed(
    websocket: WebSocket, floor: str, rt: Annotated[Runtime, Depends(ws_runtime)]
) -> None:
    """Stream one floor's desk states; a client that falls behind is closed with 1013."""
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
    reader = asyncio.create_task(wait_for_close(websocket, writer))
    try:
        while True:
            frame = await subscriber.queue.get()
            if subscriber.dropped:
                await websocket.close(
                    code=CLOSE_TRY_AGAIN_LATER, reason="client fell behind; resync"
                )
                return
            await websocket.send_text(frame)
    except (WebSocketDisconnect, asyncio.CancelledError, RuntimeError):
        return
    finally:
        rt.hub.unsubscribe(subscriber)
        reader.cancel()


async def wait_for_close(websocket: WebSocket, writer: asyncio.Task[None]) -> None:
    """Cancel `writer` once the client goes away (clients send nothing we need)."""
    with contextlib.suppress(Exception):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    writer.cancel()


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: browsers always send Origin on websocket handshakes
    if origin in allowed or "*" in allowed:
        return True
    host = websocket.headers.get("host", "")
    return urlparse(origin).netloc == host
