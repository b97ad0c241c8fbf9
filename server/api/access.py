"""Who may call each route: the one authorization table, and the dependency that enforces it.

Every route of the app has a row in `ROUTES` (method and path template -> `Access`);
`create_app` refuses to build an app with a route the table does not list, and `authorize`,
a dependency of the whole app, answers 401 (`sign_in_required`) or 403 (`role_required`) before
a route runs. Routes still take `current_person` to learn who calls them; they no longer decide
who may. Data a route narrows to the caller (my seat, my sessions) is the route's business.
"""

import secrets
from collections.abc import Iterator, Mapping
from enum import StrEnum

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.requests import HTTPConnection
from starlette.routing import Mount, Route, WebSocketRoute

from server.api.auth import optional_person
from server.composition.runtime import Runtime
from server.domain.people import Role
from server.domain.refusals import Refusal, RefusalCode


class Access(StrEnum):
    """Who may call a route."""

    ANYONE = "anyone"  # no sign-in: floor map, lobby board, pages, signing in itself
    SECRET_LINK = "secret_link"  # no sign-in; the route checks the key or token in its URL
    STAFF = "staff"  # anyone signed in
    FACILITIES = "facilities"  # facilities staff and admins
    ADMIN = "admin"
    PICKER = "picker"  # facilities and admins; anyone while demo mode is on (the demo picker)
    METRICS = "metrics"  # the bearer token FREESEAT_METRICS_TOKEN


WS = "WS"  # the method of a websocket route in the table

A = Access
ROUTES: Mapping[tuple[str, str], Access] = {
    # the API's own description
    ("GET", "/openapi.json"): A.ANYONE,
    ("GET", "/docs"): A.ANYONE,
    ("GET", "/docs/oauth2-redirect"): A.ANYONE,
    ("GET", "/redoc"): A.ANYONE,
    # health and operations
    ("GET", "/api/health"): A.ANYONE,
    ("GET", "/api/replica"): A.ANYONE,
    ("GET", "/metrics"): A.METRICS,
    # the floor map and the lobby board: states and reason kinds, never a person
    ("GET", "/api/floors"): A.ANYONE,
    ("GET", "/api/floors/{floor_id}"): A.ANYONE,
    (WS, "/ws/live"): A.ANYONE,
    ("GET", "/api/labels"): A.ANYONE,
    ("GET", "/api/desks"): A.ANYONE,
    ("GET", "/api/desks/{desk_id}"): A.ANYONE,
    ("GET", "/api/board/rooms"): A.ANYONE,
    ("GET", "/api/busyness"): A.ANYONE,
    ("GET", "/api/floors/{floor_id}/busyness"): A.ANYONE,
    ("GET", "/api/floors/{floor_id}/busyness/history"): A.ANYONE,
    # signing in
    ("GET", "/api/session"): A.ANYONE,
    ("POST", "/api/session"): A.ANYONE,
    ("DELETE", "/api/session"): A.ANYONE,
    ("GET", "/api/people"): A.PICKER,
    ("GET", "/api/oidc"): A.ANYONE,
    ("GET", "/api/oidc/login"): A.ANYONE,
    ("GET", "/api/oidc/callback"): A.ANYONE,
    ("GET", "/api/oidc/logout"): A.ANYONE,
    ("POST", "/api/tokens"): A.STAFF,
    ("GET", "/api/tokens"): A.STAFF,
    ("GET", "/api/tokens/me"): A.STAFF,
    ("DELETE", "/api/tokens/{token_id}"): A.STAFF,
    # seats
    ("POST", "/api/seats/suggest"): A.STAFF,
    ("POST", "/api/seats/auto"): A.STAFF,
    ("POST", "/api/seats"): A.STAFF,
    ("GET", "/api/me/seat"): A.STAFF,
    ("POST", "/api/me/seat/check-in"): A.STAFF,
    ("DELETE", "/api/me/seat"): A.STAFF,
    ("GET", "/api/me/remote"): A.STAFF,
    ("PUT", "/api/me/remote"): A.STAFF,
    ("DELETE", "/api/me/remote"): A.STAFF,
    ("GET", "/api/desks/{desk_id}/holder"): A.STAFF,
    ("GET", "/api/seats/rotation"): A.FACILITIES,
    # facilities figures and devices
    ("GET", "/api/analytics/occupancy"): A.FACILITIES,
    ("GET", "/api/analytics/no-shows"): A.FACILITIES,
    ("GET", "/api/analytics/sensors"): A.FACILITIES,
    ("GET", "/api/analytics/now"): A.FACILITIES,
    ("GET", "/api/analytics/paperless"): A.FACILITIES,
    # facilities insight (server.api.insight)
    ("GET", "/api/analytics/paperless/trend"): A.FACILITIES,
    ("GET", "/api/analytics/paperless.csv"): A.FACILITIES,
    ("GET", "/api/analytics/planning"): A.FACILITIES,
    ("GET", "/api/analytics/planning.csv"): A.FACILITIES,
    ("GET", "/api/analytics/dark-zones"): A.FACILITIES,
    ("GET", "/api/analytics/zones"): A.FACILITIES,
    ("GET", "/api/analytics/departments"): A.FACILITIES,
    ("GET", "/api/analytics/office"): A.FACILITIES,
    ("GET", "/api/analytics/away-too-long"): A.FACILITIES,
    ("GET", "/api/devices"): A.FACILITIES,
    ("GET", "/api/security/audit"): A.FACILITIES,
    ("POST", "/api/devices/{device_id}/revoke"): A.ADMIN,
    # meeting rooms
    ("GET", "/api/rooms"): A.STAFF,
    ("GET", "/api/rooms/{room_id}"): A.STAFF,
    ("GET", "/api/rooms/{room_id}/bookings"): A.STAFF,
    ("POST", "/api/rooms/{room_id}/bookings"): A.STAFF,
    ("DELETE", "/api/bookings/{booking_id}"): A.STAFF,
    ("PATCH", "/api/bookings/{booking_id}"): A.STAFF,
    ("GET", "/api/calendar/conflicts"): A.STAFF,
    ("POST", "/api/rooms/{room_id}/calendar/sync"): A.FACILITIES,
    ("GET", "/api/bookings/ghosts"): A.FACILITIES,
    ("GET", "/api/rooms/{room_id}/links"): A.FACILITIES,
    ("GET", "/api/rooms/{room_id}/calendar.ics"): A.SECRET_LINK,
    ("GET", "/api/rooms/{room_id}/screen-state"): A.SECRET_LINK,
    ("GET", "/rooms/{room_id}/screen"): A.SECRET_LINK,
    ("POST", "/api/pairing"): A.STAFF,
    ("GET", "/api/sessions"): A.STAFF,
    ("GET", "/api/sessions/{session_id}"): A.STAFF,
    ("POST", "/api/sessions/{session_id}/end"): A.STAFF,
    ("POST", "/api/sessions/{session_id}/materials"): A.STAFF,
    ("POST", "/api/sessions/{session_id}/show"): A.STAFF,
    ("GET", "/api/view/{token}"): A.SECRET_LINK,
    ("GET", "/api/view/{token}/materials/{material_id}"): A.SECRET_LINK,
    ("GET", "/api/view/{token}/materials/{material_id}/pages/{page}"): A.SECRET_LINK,
    ("GET", "/api/rooms/{room_id}/screen/materials/{material_id}/pages/{page}"): A.SECRET_LINK,
    (WS, "/ws/rooms/{room_id}/screen"): A.SECRET_LINK,
    (WS, "/ws/view/{token}"): A.SECRET_LINK,
    # opt-in location
    ("GET", "/api/presence/share"): A.STAFF,
    ("POST", "/api/presence/share"): A.STAFF,
    ("DELETE", "/api/presence/share"): A.STAFF,
    ("POST", "/api/presence/whereami"): A.STAFF,
    ("GET", "/api/presence/colleagues/{staff_id}"): A.STAFF,
    ("GET", "/api/presence/lookups"): A.STAFF,
    # pages: the HTML says nothing; their data comes from the routes above
    ("GET", "/"): A.ANYONE,
    ("GET", "/static"): A.ANYONE,
    ("GET", "/facilities"): A.ANYONE,
    ("GET", "/facilities/report"): A.ANYONE,
    ("GET", "/board"): A.ANYONE,
    ("GET", "/host"): A.ANYONE,
    ("GET", "/tokens"): A.ANYONE,
    ("GET", "/checkin/{desk_id}"): A.ANYONE,
    ("GET", "/rooms/view/{token}"): A.ANYONE,
}

# The roles each signed-in access admits; admins pass every check.
ROLES: Mapping[Access, frozenset[Role]] = {
    A.STAFF: frozenset(Role),
    A.FACILITIES: frozenset({Role.FACILITIES, Role.ADMIN}),
    A.PICKER: frozenset({Role.FACILITIES, Role.ADMIN}),
    A.ADMIN: frozenset({Role.ADMIN}),
}


class RouteNotListed(RuntimeError):
    """The app has a route the authorization table does not decide."""


def route_keys(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route `app` answers; HEAD is served as GET."""
    for route in _routes(app):
        if isinstance(route, APIWebSocketRoute | WebSocketRoute):
            yield WS, route.path
        elif isinstance(route, Mount):
            yield "GET", route.path
        elif isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, route.path


def _routes(app: FastAPI) -> Iterator[object]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers: the list is flat already
        yield from app.routes
        return
    for context in iter_route_contexts(app.routes):
        yield context.route


def check_table(app: FastAPI) -> None:
    """Raise `RouteNotListed` naming every route of `app` missing from `ROUTES`."""
    missing = sorted(set(route_keys(app)) - ROUTES.keys())
    if missing:
        listed = ", ".join(f"{method} {path}" for method, path in missing)
        raise RouteNotListed(f"add these routes to server/api/access.py ROUTES: {listed}")


async def authorize(connection: HTTPConnection) -> None:
    """Let the call through only when `ROUTES` admits the caller (an app-wide dependency)."""
    route = connection.scope["route"]
    method = connection.scope.get("method", WS)
    access = ROUTES[("GET" if method == "HEAD" else method, route.path)]
    if access in (A.ANYONE, A.SECRET_LINK):
        return
    rt: Runtime = connection.app.state.runtime
    if access is A.METRICS:
        _check_metrics_token(connection, rt)
        return
    if access is A.PICKER and rt.accounts.demo_mode:
        return
    # Only HTTP routes need a person (no websocket route does): this is a Request.
    person = await optional_person(Request(connection.scope), rt)
    if person is None:
        raise Refusal(RefusalCode.SIGN_IN_REQUIRED)
    allowed = ROLES[access]
    if person.role not in allowed:
        names = tuple(sorted(r.value for r in allowed))
        raise Refusal(RefusalCode.ROLE_REQUIRED, roles=names, role=person.role.value)


def _check_metrics_token(connection: HTTPConnection, rt: Runtime) -> None:
    token = rt.settings.metrics_token
    scheme, _, sent = connection.headers.get("authorization", "").partition(" ")
    if token is None or scheme.lower() != "bearer":
        raise Refusal(RefusalCode.METRICS_TOKEN_REQUIRED)
    expected = token.get_secret_value().encode()
    if not secrets.compare_digest(sent.strip().encode(), expected):
        raise Refusal(RefusalCode.METRICS_TOKEN_REQUIRED)
