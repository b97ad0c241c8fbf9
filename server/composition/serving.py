"""What uvicorn is given wherever freeseat is served: its websocket protocol and pings."""

from typing import Any

from server.adapters.live_socket import (
    CLOSE_TRY_AGAIN_LATER,
    EXTENSION,
    FELL_BEHIND,
    PING_INTERVAL_S,
    PONG_TIMEOUT_S,
    LiveSocketProtocol,
)

__all__ = ["CLOSE_TRY_AGAIN_LATER", "FALL_BEHIND_EXTENSION", "FELL_BEHIND", "WEBSOCKET_OPTIONS"]

FALL_BEHIND_EXTENSION = EXTENSION  # the scope extension whose `close` the live feed calls

WEBSOCKET_OPTIONS: dict[str, Any] = {
    "ws": LiveSocketProtocol,
    "ws_ping_interval": PING_INTERVAL_S,
    "ws_ping_timeout": PONG_TIMEOUT_S,
}
