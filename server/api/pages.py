"""The dashboard's pages: each path returns one static HTML file; its modules do the rest."""

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

# Path → HTML file under the dashboard directory. The staff floor map stays at "/".
PAGES = {
    "/facilities": "facilities.html",
    "/board": "board.html",
    "/host": "host.html",
    "/tokens": "tokens.html",
}


def dashboard_page(name: str, status_code: int = 200) -> FileResponse:
    """One of the dashboard's HTML files, for routes that check something before serving it."""
    page = Path(str(resources.files("dashboard").joinpath(name)))
    # Pages that carry a secret in their URL (room screens) must not be kept by caches.
    return FileResponse(page, status_code=status_code, headers={"Cache-Control": "no-store"})


def page_router(static: Path) -> APIRouter:
    """Routes for every page whose HTML file exists in `static`."""
    router = APIRouter(include_in_schema=False)
    for path, name in PAGES.items():
        file = static / name
        if file.is_file():
            router.add_api_route(path, _serve(file), methods=["GET"], response_class=FileResponse)
    return router


def _serve(file: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def page() -> FileResponse:
        return FileResponse(file)

    return page
