"""Pushing what a room shows to its screen and to the attendees' phones, over websockets.

- `WS /ws/rooms/{room_id}/screen?key=` sends the room screen's state (as
  `GET /api/rooms/{room_id}/screen-state`) whenever it changes;
- `WS /ws/view/{token}` sends an attendee's view (as `GET /api/view/{token}`) likewise.

Commands that change a room (pairing, a page shown, materials added, a meeting ended) bump the
room's counter in `RoomChanges` after they commit: the room's sockets send within a moment.
What changes without a command here (a code rotating, a job ending a meeting, another replica
acting) is read again every `REREAD_S`, so nothing waits for a reload.
"""

import asyncio
import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel

from server.api.deps import ws_runtime
from server.api.live import origin_allowed, wait_for_close
from server.api.room_changes import RoomChanges
from server.api.room_sessions import viewer_out
from server.api.rooms import screen_out
from server.composition.runtime import Runtime
from server.domain.refusals import Refusal

router = APIRouter(tags=["meeting rooms"])
Rt = Annotated[Runtime, Depends(ws_runtime)]
# What changes without a command here is read again this often.
REREAD_S = 10.0


@router.websocket("/ws/rooms/{room_id}/screen")
async def screen_feed(websocket: WebSocket, room_id: str, rt: Rt, key: str = "") -> None:
    """The room screen's state, sent again whenever it changes (the secret key's room only)."""
    base = _http_base(websocket)
    await _follow(websocket, rt, room_id, lambda: screen_out(rt, room_id, key, base))


@router.websocket("/ws/view/{token}")
async def viewer_feed(websocket: WebSocket, token: str, rt: Rt) -> None:
    """An attendee's view of the session, sent again whenever the host changes it."""
    try:
        first = await asyncio.to_thread(viewer_out, rt, token)
    except Refusal:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="link not valid")
        return
    await _follow(websocket, rt, first.room, lambda: viewer_out(rt, token))


async def _follow(
    websocket: WebSocket, rt: Runtime, room: str, read: Callable[[], BaseModel]
) -> None:
    if not origin_allowed(websocket, rt.settings.allowed_origins):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="origin not allowed")
        return
    changes: RoomChanges = websocket.app.state.room_changes
    await websocket.accept()
    writer = asyncio.current_task()
    assert writer is not None
    reader = asyncio.create_task(wait_for_close(websocket, writer))
    sent = ""
    try:
        while True:
            seen = changes.version(room)
            frame = await asyncio.to_thread(_frame, read)
            if frame != sent:
                await websocket.send_text(frame)
                sent = frame
            await changes.wait(room, seen, REREAD_S)
    except (WebSocketDisconnect, asyncio.CancelledError, RuntimeError):
        return
    finally:
        reader.cancel()


def _frame(read: Callable[[], BaseModel]) -> str:
    """The state as JSON, or a refusal's answer (e.g. a link that stopped being valid)."""
    try:
        return read().model_dump_json()
    except Refusal as refusal:
        return json.dumps({"code": refusal.code.value})


def _http_base(websocket: WebSocket) -> str:
    """The page's own origin (http or https), for the attendees' link in the QR code."""
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return f"{scheme}://{websocket.url.netloc}"
