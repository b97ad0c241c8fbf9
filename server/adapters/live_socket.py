"""uvicorn's websocket protocol, made to close a client that fell behind with 1013, at once.

Two things the ASGI interface cannot do, done where the socket is:
- **Know how far behind a client really is.** What we write sits in the asyncio buffer, two
  kernel buffers and the client library's queue before the client reads it: a client reading
  one frame every 2 s was 557 versions (~70 s) behind with nothing waiting on our side. A
  ping goes out behind that data, and the client answers it only once it has read everything
  before it; so uvicorn's keepalive ping, sent every `PING_INTERVAL_S`, measures the lag.
  A pong later than `PONG_TIMEOUT_S` means the client is that far behind: uvicorn closed it
  with 1011 after ~40 s and nobody counted it; here it is closed with 1013 ("try again later":
  resync), and the application is told, so it counts it.
- **Close a client whose socket is full.** ASGI's close waits, like a send, until the client
  reads enough to drain the buffer: for a client that never reads, forever. Here the close
  frame is queued behind what is buffered (a client that reads again gets every frame, then
  1013), and the connection is aborted if the client has not answered within `CLOSE_GRACE_S` (long
  enough for a slow link to read what was in flight, then 1013).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# With a ping every 2 s answered within 3 s, no connected client is more than ~5 s behind.
PING_INTERVAL_S = 2.0
PONG_TIMEOUT_S = 3.0
CLOSE_GRACE_S = 30.0
# WebSocket close code 1013 "try again later": a client that fell behind resyncs.
CLOSE_TRY_AGAIN_LATER = 1013
FELL_BEHIND = "client fell behind; resync"
# The ASGI scope extension through which the application closes a client that fell behind.
EXTENSION = "freeseat.fall_behind"


class LiveSocketProtocol(WebSocketsSansIOProtocol):
    """Closes a client with 1013 when it answers pings late, or when the application says so."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if not self.close_sent:  # the handshake was accepted: the application will run
            self.scope["extensions"] = {
                **(self.scope.get("extensions") or {}),
                EXTENSION: {"close": self.fall_behind},
            }

    def keepalive_timeout(self) -> None:
        """The pong is late: the client has not read what we sent before the ping."""
        self.pong_timer = None
        self.pending_ping_payload = None
        self.fall_behind()

    def fall_behind(self) -> None:
        """Close with 1013 now, whatever is buffered; the application gets a disconnect."""
        if self.close_sent or self.disconnected or self.transport.is_closing():
            return
        self.stop_keepalive()
        self.conn.send_close(CLOSE_TRY_AGAIN_LATER, FELL_BEHIND)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": CLOSE_TRY_AGAIN_LATER, "reason": FELL_BEHIND}
        )
        if self.read_paused:  # read on, to take the client's answer to the close
            self.read_paused = False
            self.transport.resume_reading()
        # The client's answer ends it cleanly (uvicorn cancels this timer then); a client that
        # never reads again would otherwise hold its buffers for as long as it stays connected.
        self.close_timer = self.loop.call_later(CLOSE_GRACE_S, self.transport.abort)
