"""Every route x every role -> the status it answers; a route missing here or in the table fails.

The expectations are written out by hand, apart from server/api/access.py, so a wrong row in
the server's table shows up as a status that differs from what a person of that role must get.
Unsafe calls carry a body that fails validation: a caller let through gets 422, one turned
away 401/403, and nothing is changed.
"""

from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.api.access import ROUTES, WS, RouteNotListed, check_table, route_keys
from server.api.app import create_app
from server.settings import Settings
from tests.access_support import ROLES, client_as_role, full_site, seed_accounts
from tests.fakes import FakeClock
from tests.support import ServerThread

DESK = "desk-f1-a-01-01"
ROOM = "room-f1-1"
ANYONE = (200, 200, 200, 200)
SIGNED_IN = (401, 200, 200, 200)
FACILITIES = (401, 403, 200, 200)
REJECTED_BODY = (401, 422, 422, 422)

SIGNING_OUT = {("DELETE", "/api/session"), ("GET", "/api/oidc/logout")}

# (method, route) -> (the request made, statuses for anonymous, staff, facilities, admin)
EXPECTED: dict[tuple[str, str], tuple[str, tuple[int, int, int, int]]] = {
    ("GET", "/openapi.json"): ("/openapi.json", ANYONE),
    ("GET", "/docs"): ("/docs", ANYONE),
    ("GET", "/docs/oauth2-redirect"): ("/docs/oauth2-redirect", ANYONE),
    ("GET", "/redoc"): ("/redoc", ANYONE),
    ("GET", "/api/health"): ("/api/health", ANYONE),
    ("GET", "/api/replica"): ("/api/replica", ANYONE),
    # the token decides, not the role
    ("GET", "/metrics"): ("/metrics", (401, 401, 401, 401)),
    ("GET", "/api/floors"): ("/api/floors", ANYONE),
    ("GET", "/api/floors/{floor_id}"): ("/api/floors/f1", ANYONE),
    (WS, "/ws/live"): ("/ws/live?floor=f1", ANYONE),
    ("GET", "/api/labels"): ("/api/labels", ANYONE),
    ("GET", "/api/desks"): ("/api/desks", ANYONE),
    ("GET", "/api/desks/{desk_id}"): (f"/api/desks/{DESK}", ANYONE),
    ("GET", "/api/desks/{desk_id}/holder"): (f"/api/desks/{DESK}/holder", SIGNED_IN),
    ("GET", "/api/board/rooms"): ("/api/board/rooms?floor=f1", ANYONE),
    ("GET", "/api/busyness"): ("/api/busyness", ANYONE),
    ("GET", "/api/floors/{floor_id}/busyness"): ("/api/floors/f1/busyness", ANYONE),
    ("GET", "/api/floors/{floor_id}/busyness/history"): (
        "/api/floors/f1/busyness/history",
        ANYONE,
    ),
    ("GET", "/api/session"): ("/api/session", ANYONE),
    ("POST", "/api/session"): ("/api/session", (422, 422, 422, 422)),
    ("DELETE", "/api/session"): ("/api/session", (204, 204, 204, 204)),
    ("GET", "/api/people"): ("/api/people", FACILITIES),
    ("GET", "/api/oidc"): ("/api/oidc", ANYONE),
    # No OpenID provider is configured here: 503 says single sign-on is not set up.
    ("GET", "/api/oidc/login"): ("/api/oidc/login", (503, 503, 503, 503)),
    ("GET", "/api/oidc/callback"): ("/api/oidc/callback", (503, 503, 503, 503)),
    ("GET", "/api/oidc/logout"): ("/api/oidc/logout", (303, 303, 303, 303)),
    ("POST", "/api/tokens"): ("/api/tokens", (401, 201, 201, 201)),
    ("GET", "/api/tokens"): ("/api/tokens", SIGNED_IN),
    ("GET", "/api/tokens/me"): ("/api/tokens/me", SIGNED_IN),
    ("DELETE", "/api/tokens/{token_id}"): ("/api/tokens/999", (401, 404, 404, 404)),
    ("POST", "/api/seats/suggest"): ("/api/seats/suggest", REJECTED_BODY),
    ("POST", "/api/seats/auto"): ("/api/seats/auto", REJECTED_BODY),
    ("POST", "/api/seats"): ("/api/seats", REJECTED_BODY),
    ("GET", "/api/me/seat"): ("/api/me/seat", SIGNED_IN),
    ("POST", "/api/me/seat/check-in"): ("/api/me/seat/check-in", REJECTED_BODY),
    ("DELETE", "/api/me/seat"): ("/api/me/seat", (401, 404, 404, 404)),
    ("GET", "/api/me/remote"): ("/api/me/remote", SIGNED_IN),
    ("PUT", "/api/me/remote"): ("/api/me/remote", SIGNED_IN),
    ("DELETE", "/api/me/remote"): ("/api/me/remote", SIGNED_IN),
    ("GET", "/api/seats/rotation"): ("/api/seats/rotation", FACILITIES),
    ("GET", "/api/analytics/occupancy"): ("/api/analytics/occupancy", FACILITIES),
    ("GET", "/api/analytics/no-shows"): ("/api/analytics/no-shows", FACILITIES),
    ("GET", "/api/analytics/sensors"): ("/api/analytics/sensors", FACILITIES),
    ("GET", "/api/analytics/now"): ("/api/analytics/now", FACILITIES),
    ("GET", "/api/analytics/paperless"): ("/api/analytics/paperless?month=2026-11", FACILITIES),
    ("GET", "/api/analytics/paperless/trend"): ("/api/analytics/paperless/trend", FACILITIES),
    ("GET", "/api/analytics/paperless.csv"): (
        "/api/analytics/paperless.csv?from=2026-10&to=2026-11",
        FACILITIES,
    ),
    ("GET", "/api/analytics/planning"): ("/api/analytics/planning", FACILITIES),
    ("GET", "/api/analytics/planning.csv"): ("/api/analytics/planning.csv", FACILITIES),
    ("GET", "/api/analytics/dark-zones"): ("/api/analytics/dark-zones", FACILITIES),
    ("GET", "/api/analytics/zones"): ("/api/analytics/zones?month=2026-11", FACILITIES),
    ("GET", "/api/analytics/departments"): ("/api/analytics/departments", FACILITIES),
    ("GET", "/api/analytics/office"): ("/api/analytics/office", FACILITIES),
    ("GET", "/api/analytics/away-too-long"): ("/api/analytics/away-too-long", FACILITIES),
    ("GET", "/api/devices"): ("/api/devices", FACILITIES),
    ("GET", "/api/security/audit"): ("/api/security/audit", FACILITIES),
    ("POST", "/api/devices/{device_id}/revoke"): (
        "/api/devices/gw-nowhere/revoke",
        (401, 403, 403, 404),
    ),
    ("GET", "/api/rooms"): ("/api/rooms", SIGNED_IN),
    ("GET", "/api/rooms/{room_id}"): (f"/api/rooms/{ROOM}", SIGNED_IN),
    ("GET", "/api/rooms/{room_id}/bookings"): (f"/api/rooms/{ROOM}/bookings", SIGNED_IN),
    ("POST", "/api/rooms/{room_id}/bookings"): (f"/api/rooms/{ROOM}/bookings", REJECTED_BODY),
    ("DELETE", "/api/bookings/{booking_id}"): ("/api/bookings/999", (401, 404, 404, 404)),
    ("PATCH", "/api/bookings/{booking_id}"): ("/api/bookings/999", REJECTED_BODY),
    # No CalDAV server is configured here: 503 says room calendars are not set up.
    ("GET", "/api/calendar/conflicts"): ("/api/calendar/conflicts", (401, 503, 503, 503)),
    ("POST", "/api/rooms/{room_id}/calendar/sync"): (
        f"/api/rooms/{ROOM}/calendar/sync",
        (401, 403, 503, 503),
    ),
    ("GET", "/api/bookings/ghosts"): ("/api/bookings/ghosts", FACILITIES),
    ("GET", "/api/rooms/{room_id}/links"): (f"/api/rooms/{ROOM}/links", FACILITIES),
    # secret links: the key decides, whoever holds it
    ("GET", "/api/rooms/{room_id}/calendar.ics"): (
        f"/api/rooms/{ROOM}/calendar.ics?key=guess",
        (403, 403, 403, 403),
    ),
    ("GET", "/api/rooms/{room_id}/screen-state"): (
        f"/api/rooms/{ROOM}/screen-state?key=guess",
        (403, 403, 403, 403),
    ),
    ("GET", "/rooms/{room_id}/screen"): (f"/rooms/{ROOM}/screen?key=guess", (403, 403, 403, 403)),
    ("POST", "/api/pairing"): ("/api/pairing", REJECTED_BODY),
    ("GET", "/api/sessions"): ("/api/sessions", SIGNED_IN),
    ("GET", "/api/sessions/{session_id}"): ("/api/sessions/999", (401, 404, 404, 404)),
    ("POST", "/api/sessions/{session_id}/end"): ("/api/sessions/999/end", (401, 404, 404, 404)),
    ("POST", "/api/sessions/{session_id}/materials"): (
        "/api/sessions/999/materials?filename=agenda.pdf",
        (401, 415, 415, 415),
    ),
    ("POST", "/api/sessions/{session_id}/show"): ("/api/sessions/999/show", REJECTED_BODY),
    ("GET", "/api/view/{token}"): ("/api/view/guess", (404, 404, 404, 404)),
    ("GET", "/api/view/{token}/materials/{material_id}"): (
        "/api/view/guess/materials/1",
        (404, 404, 404, 404),
    ),
    ("GET", "/api/view/{token}/materials/{material_id}/pages/{page}"): (
        "/api/view/guess/materials/1/pages/1",
        (404, 404, 404, 404),
    ),
    ("GET", "/api/rooms/{room_id}/screen/materials/{material_id}/pages/{page}"): (
        f"/api/rooms/{ROOM}/screen/materials/1/pages/1?key=guess",
        (403, 403, 403, 403),
    ),
    (WS, "/ws/rooms/{room_id}/screen"): (f"/ws/rooms/{ROOM}/screen?key=guess", (403,) * 4),
    (WS, "/ws/view/{token}"): ("/ws/view/guess", (403, 403, 403, 403)),
    ("GET", "/api/presence/share"): ("/api/presence/share", SIGNED_IN),
    ("POST", "/api/presence/share"): ("/api/presence/share", SIGNED_IN),
    ("DELETE", "/api/presence/share"): ("/api/presence/share", SIGNED_IN),
    ("POST", "/api/presence/whereami"): ("/api/presence/whereami", REJECTED_BODY),
    ("GET", "/api/presence/colleagues/{staff_id}"): (
        "/api/presence/colleagues/t-staff",
        SIGNED_IN,
    ),
    ("GET", "/api/presence/lookups"): ("/api/presence/lookups", SIGNED_IN),
    ("GET", "/"): ("/", ANYONE),
    ("GET", "/static"): ("/static/style.css", ANYONE),
    ("GET", "/facilities"): ("/facilities", ANYONE),
    ("GET", "/facilities/report"): ("/facilities/report", ANYONE),
    ("GET", "/board"): ("/board", ANYONE),
    ("GET", "/host"): ("/host", ANYONE),
    ("GET", "/tokens"): ("/tokens", ANYONE),
    ("GET", "/checkin/{desk_id}"): (f"/checkin/{DESK}", ANYONE),
    ("GET", "/rooms/view/{token}"): ("/rooms/view/guess", ANYONE),
}


def _app(database_url: str, clock: FakeClock, **settings: object) -> ServerThread:
    chosen = Settings(database_url=database_url, enable_mqtt=False, **settings)  # type: ignore[arg-type]
    return ServerThread(create_app(chosen, clock=clock, site=full_site()))


@pytest.fixture
def server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    seed_accounts(database_url)
    with _app(database_url, clock) as running:
        yield running


def test_every_route_is_in_the_table_and_in_these_expectations(server: ServerThread) -> None:
    served = set(route_keys(server.app))
    assert served == set(ROUTES), "server/api/access.py ROUTES must list exactly the app's routes"
    assert served == set(EXPECTED), "add the new route's expected statuses per role here"


def test_an_app_with_a_route_the_table_does_not_list_is_not_built(
    server: ServerThread,
) -> None:
    @server.app.get("/api/forgotten")
    def forgotten() -> str:
        return "nobody decided who may read this"

    with pytest.raises(RouteNotListed, match="GET /api/forgotten"):
        check_table(server.app)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_status_the_table_promises(server: ServerThread, role: str) -> None:
    column = ROLES.index(role)
    got: dict[tuple[str, str], int] = {}
    # Signing out comes last: it ends the session the other calls use.
    ordered = sorted(EXPECTED.items(), key=lambda item: item[0] in SIGNING_OUT)
    with client_as_role(server.url, role) as client:
        for (method, route), (url, _) in ordered:
            if method == WS:
                got[method, route] = _websocket_status(server, client, url)
            elif method in ("POST", "PUT", "PATCH"):
                got[method, route] = client.request(method, url, json={"limit": 0}).status_code
            else:
                got[method, route] = client.request(method, url).status_code
    wrong = {
        f"{method} {route}": f"got {got[method, route]}, expected {statuses[column]}"
        for (method, route), (_, statuses) in EXPECTED.items()
        if got[method, route] != statuses[column]
    }
    assert not wrong, f"as {role}: {wrong}"


def _websocket_status(server: ServerThread, client: httpx.Client, url: str) -> int:
    """200 for a feed that sends its state, 403 for one refused (at the handshake or in its
    first frame), what the handshake answered otherwise."""
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    headers = {"Cookie": cookies} if cookies else {}
    try:
        with connect(server.ws_url + url, additional_headers=headers) as websocket:
            first = str(websocket.recv(timeout=10))
    except InvalidStatus as refused:
        return refused.response.status_code
    return 403 if '"code":"link_invalid"' in first.replace(" ", "") else 200


def test_metrics_need_the_bearer_token(database_url: str, clock: FakeClock) -> None:
    with _app(database_url, clock, metrics_token="s3cret-metrics") as server:
        anonymous = httpx.get(f"{server.url}/metrics")
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "metrics_token_required"
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        wrong = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        right = httpx.get(
            f"{server.url}/metrics", headers={"Authorization": "Bearer s3cret-metrics"}
        )
        assert right.status_code == 200 and "freeseat_desks" in right.text


def test_metrics_on_the_loopback_listener_need_no_token(
    database_url: str, clock: FakeClock
) -> None:
    from server.adapters.embedded_broker import free_port
    from tests.support import wait_until

    port = free_port()
    with _app(database_url, clock, metrics_listen=f"127.0.0.1:{port}") as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 401

        def scraped() -> str | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/metrics").text
            except httpx.TransportError:
                return None

        text = wait_until(scraped, 30, "the loopback metrics listener")
        assert "freeseat_ingest_applied_total" in text
        # Nothing else is served there.
        assert httpx.get(f"http://127.0.0.1:{port}/api/floors").status_code == 404


def test_metrics_may_not_listen_beyond_this_machine() -> None:
    with pytest.raises(ValueError, match="loopback"):
        Settings(metrics_listen="0.0.0.0:9464")
