"""`create_app`: the composition root. Adapters are opened in the lifespan, never at import."""

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from firmware_config.site import Site
from server.adapters.system_clock import SystemClock
from server.api import (
    analytics,
    auth,
    board,
    devices,
    floors,
    health,
    live,
    metrics,
    pages,
    replicas,
    rooms,
    seating,
    wifi,
    wifi_location,
)
from server.api.runtime import Runtime
from server.services.ports import Clock
from server.settings import Settings

log = logging.getLogger(__name__)


def dashboard_dir() -> Path:
    """Where the dashboard's static files are (shipped as package data)."""
    return Path(str(resources.files("server").joinpath("..", "dashboard"))).resolve()


# Passed to uvicorn wherever freeseat is served. Live-feed frames are small, and each floor's
# delta is serialised once and sent as the same bytes to every client: per-message deflate
# would compress it again for every client (about twice the fan-out CPU) and keep some
# 100–200 KiB of zlib state per open connection.
UVICORN_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False}
GIL_SWITCH_INTERVAL_S = 0.0005


def create_app(
    settings: Settings, *, clock: Clock | None = None, site: Site | None = None
) -> FastAPI:
    """The freeseat server; `clock` and `site` are injectable for tests."""
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await asyncio.to_thread(Runtime.open, settings, clock, site)
        app.state.runtime = runtime
        # Everything alive now (modules, the site, mappers, the hub's floors) lives as long as
        # the server: take it out of the collector's reach. A full collection otherwise walks
        # it all and stalls the loop, MQTT and every websocket for 140-240 ms on the bench site.
        gc.collect()
        gc.freeze()
        # SQLite writes are serialised, and the writer gives up the GIL at every statement; at
        # the default 5 ms switch interval it then waits up to that long to get it back from
        # the loop and the request threads. In the morning rush a seating transaction held the
        # write lock 6.1 ms at the median and the next one waited 25 ms for it; at 0.5 ms,
        # 4.2 ms and 3.6 ms.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        loops: list[asyncio.Task[None]] = []
        try:
            async with asyncio.TaskGroup() as group:
                loops.append(group.create_task(runtime.hub.run()))
                loops.append(group.create_task(_sweep_forever(runtime)))
                if runtime.scale_out is not None:
                    loops += [group.create_task(t) for t in runtime.scale_out.tasks()]
                loops.append(group.create_task(wifi.run_jobs_forever(runtime)))
                loops.append(group.create_task(rooms.run_jobs_forever(runtime)))
                if settings.advertise:
                    loops.append(group.create_task(runtime.advertiser().run()))
                if settings.home_assistant:
                    loops.append(group.create_task(_home_assistant_on_the_ticker(runtime)))
                if settings.enable_mqtt:
                    pump = runtime.start_mqtt(asyncio.get_running_loop())
                    loops.append(group.create_task(pump.run()))
                try:
                    yield
                finally:
                    for task in loops:
                        task.cancel()
        finally:
            runtime.close()
            gc.unfreeze()
            sys.setswitchinterval(switch_interval)

    app = FastAPI(
        title="freeseat",
        description="Free-address desks and paperless meeting rooms: live state, history, API.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(floors.router)
    app.include_router(live.router)
    app.include_router(metrics.router)
    app.include_router(analytics.router)
    app.include_router(board.router)
    app.include_router(auth.router)
    app.include_router(seating.router)
    app.include_router(devices.router)
    app.include_router(replicas.router)
    app.include_router(wifi.router)
    app.include_router(rooms.router)
    app.include_router(wifi_location.router)
    static = dashboard_dir()
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")

        @app.get("/", include_in_schema=False)
        async def index() -> FileResponse:
            return FileResponse(static / "index.html")

        app.include_router(pages.page_router(static))

    return app


async def _home_assistant_on_the_ticker(runtime: Runtime, poll_s: float = 1.0) -> None:
    """Run the Home Assistant bridge where the timed jobs run: on one replica at a time.

    Bridges on several replicas would each say `online` and, stopping, `offline` on the one
    availability topic, so Home Assistant would mark every desk unavailable while another
    replica still mirrors them. The bridge's client id is the same on every replica, so even a
    stale holder's connection is taken over, not doubled, by its successor's.
    """
    bridge: asyncio.Task[None] | None = None
    try:
        while True:
            if bridge is None and runtime.runs_ticker:
                bridge = asyncio.create_task(runtime.home_assistant_bridge().run())
            elif bridge is not None and (bridge.done() or not runtime.runs_ticker):
                await _stop_bridge(bridge)
                bridge = None
            await asyncio.sleep(poll_s)
    finally:
        if bridge is not None:
            await _stop_bridge(bridge)


async def _stop_bridge(bridge: asyncio.Task[None]) -> None:
    bridge.cancel()
    await asyncio.wait([bridge])  # its clean stop says `offline`; its failure is logged here
    if not bridge.cancelled() and bridge.exception() is not None:
        log.error("Home Assistant bridge failed; restarting", exc_info=bridge.exception())


async def _sweep_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.sweep_interval_s)
        if not runtime.runs_ticker:
            continue  # another replica holds the ticker lease
        try:
            await runtime.run_sweep()
        except Exception:
            log.exception("liveness sweep failed; retrying next interval")
