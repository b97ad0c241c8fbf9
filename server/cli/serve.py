"""`freeseat serve`, and how every freeseat server process is tuned and served."""

import asyncio
import contextlib
import ctypes
import gc
import logging
import sys
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from server.api.app import UVICORN_OPTIONS

# SQLite writes are serialised, and the writer gives up the GIL at every statement; at the
# default 5 ms switch interval it then waits up to that long to get it back from the loop and
# the request threads. In the morning rush a seating transaction held the write lock 6.1 ms at
# the median and the next one waited 25 ms for it; at 0.5 ms, 4.2 ms and 3.6 ms.
GIL_SWITCH_INTERVAL_S = 0.0005


def release_free_heap() -> None:
    """Hand the C heap that startup freed back to the system (glibc only; elsewhere a no-op).

    Loading a large site frees tens of MB of parse buffers that glibc otherwise keeps mapped
    for the server's lifetime.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


class ServerDidNotStart(RuntimeError):
    """The HTTP server stopped before it was ready (its log says why)."""


async def serve_app(
    app: FastAPI, *, host: str, port: int, log_level: str, started: asyncio.Event | None = None
) -> None:
    """Serve `app` until it is told to stop, with this process tuned for a long-lived server.

    `started` is set once the server accepts connections; it raises `ServerDidNotStart` when it
    stops before that.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level=log_level, **UVICORN_OPTIONS)
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                raise ServerDidNotStart(f"the server could not start on {host}:{port}")
            await asyncio.sleep(0.05)
        # Everything alive now (modules, the site, mappers, the hub's floors) lives as long as
        # the server: take it out of the collector's reach. A full collection otherwise walks
        # it all and stalls the loop, MQTT and every websocket for 140-240 ms on the bench site.
        gc.collect()
        gc.freeze()
        release_free_heap()
        if started is not None:
            started.set()
        await asyncio.shield(serving)
    finally:
        server.should_exit = True
        await asyncio.wait([serving])


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
) -> None:
    """Run the server; configure it with FREESEAT_* environment variables."""
    from server.api.app import create_app
    from server.composition.accounts import RealAccountsInDemo
    from server.composition.parts import preflight
    from server.settings import Settings

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings()
    try:
        preflight(settings)
    except RealAccountsInDemo as exc:
        typer.echo(f"freeseat serve: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        asyncio.run(serve_app(create_app(settings), host=host, port=port, log_level="info"))
    except ServerDidNotStart as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
