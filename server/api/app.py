"""`create_app`: the HTTP application over what the composition root builds (in the lifespan)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from firmware_config.site import Site
from server.api import (
    analytics,
    auth,
    board,
    devices,
    floors,
    health,
    insight,
    labels,
    live,
    metrics,
    oidc,
    pages,
    personal_tokens,
    remote_work,
    replicas,
    room_calendars,
    room_push,
    rooms,
    seating,
    security,
    wifi,
    wifi_location,
)
from server.api.access import authorize, check_table
from server.api.body_limit import BodyLimit
from server.api.refusals import answer, answer_invalid
from server.api.room_changes import RoomChanges
from server.composition.background import background
from server.composition.directory_jobs import run_directory_jobs_forever
from server.composition.runtime import Runtime
from server.composition.serving import WEBSOCKET_OPTIONS
from server.domain.meetings import PdfRules
from server.domain.refusals import Refusal
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
UVICORN_OPTIONS: dict[str, Any] = {
    "ws_per_message_deflate": False,
    # The app honours proxy headers itself, from FREESEAT_FORWARDED_ALLOW_IPS only.
    "proxy_headers": False,
    # Pings that bound how far behind a live-feed client may be, and its close with 1013.
    **WEBSOCKET_OPTIONS,
}
MATERIALS_PATH = r"/api/sessions/[^/]+/materials"


def create_app(
    settings: Settings, *, clock: Clock | None = None, site: Site | None = None
) -> FastAPI:
    """The freeseat server; `clock` and `site` are injectable for tests."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await asyncio.to_thread(Runtime.open, settings, clock, site)
        app.state.runtime = runtime
        jobs = [
            wifi.run_jobs_forever(runtime),
            rooms.run_jobs_forever(runtime),
            run_directory_jobs_forever(runtime),
            security.run_jobs_forever(runtime),
        ]
        if settings.metrics_listen:
            jobs.append(metrics.serve_loopback(runtime, settings.metrics_listen))
        try:
            async with background(runtime, jobs):
                yield
        finally:
            runtime.close()

    app = FastAPI(
        title="freeseat",
        description="Free-address desks and paperless meeting rooms: live state, history, API.",
        version="0.1.0",
        lifespan=lifespan,
        # The one authorization table decides every route before it runs.
        dependencies=[Depends(authorize)],
    )
    # Behind a reverse proxy the client's address and scheme (https: Secure cookies) come from
    # X-Forwarded-For / -Proto, believed only from the proxies the settings name.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        # A PDF's own limit is checked by its route, which says so in the material's words.
        larger={MATERIALS_PATH: PdfRules().max_bytes + 64 * 1024},
    )
    # Every refusal from a route or a dependency is answered by the one mapping to HTTP.
    app.add_exception_handler(Refusal, _answer_refusal)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _answer_invalid)  # type: ignore[arg-type]
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
    app.include_router(personal_tokens.router)
    app.include_router(oidc.router)
    app.include_router(room_calendars.router)
    app.include_router(labels.router)
    app.include_router(room_push.router)
    app.state.room_changes = RoomChanges()
    app.include_router(security.router)
    app.include_router(insight.router)
    app.include_router(remote_work.router)
    static = dashboard_dir()
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")

        @app.get("/", include_in_schema=False)
        async def index() -> FileResponse:
            return FileResponse(static / "index.html")

        app.include_router(pages.page_router(static))

    check_table(app)
    return app


async def _answer_refusal(request: Request, refusal: Refusal) -> Response:
    return answer(request, refusal)


async def _answer_invalid(request: Request, error: RequestValidationError) -> Response:
    return answer_invalid(request, error)
