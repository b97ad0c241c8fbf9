"""Request-scoped access to the runtime."""

from fastapi import Request, WebSocket

from server.composition.runtime import Runtime


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def ws_runtime(websocket: WebSocket) -> Runtime:
    rt: Runtime = websocket.app.state.runtime
    return rt
