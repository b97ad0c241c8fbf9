"""`freeseat connect`: on the host's laptop, find the room display, type its code, pair.

The room displays advertise `_freeseat-room._tcp`, which tells the laptop which rooms are near;
the password goes only to the server the user named (edge_agent.trusted_servers), never to an
address an advert or a display gives.
"""

from __future__ import annotations

import getpass
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from edge_agent.room_discovery import RoomDisplay, browse_rooms
from edge_agent.trusted_servers import TrustedServer, TrustedServers, UntrustedServer

CSRF_HEADER = "X-CSRF-Token"


class ConnectError(Exception):
    """Something the host can fix; the message says what, `code` is the server's refusal code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Connected:
    room: str
    session_id: int
    title: str
    viewer_url: str
    started: bool


class ServerClient:
    """A tiny cookie-keeping JSON client for the freeseat API (stdlib only)."""

    def __init__(
        self, server: TrustedServer, timeout: float = 15.0, token: str | None = None
    ) -> None:
        self.base_url = server.url
        self._timeout = timeout
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPCookieProcessor(CookieJar()),
            # Redirects are not followed: the session and its CSRF token stay with this server.
            _NoRedirects(),
        ]
        context = server.tls_context()
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)
        self._csrf = ""
        # A personal token (FREESEAT_TOKEN) from the web page: directory and SSO users have no
        # password freeseat could check.
        self._token = token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self._csrf:
            request.add_header(CSRF_HEADER, self._csrf)
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            code = None
            try:
                answer = json.loads(exc.read())
                detail, code = answer.get("detail", exc.reason), answer.get("code")
            except (ValueError, AttributeError):
                detail = exc.reason
            raise ConnectError(str(detail), code) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ConnectError(f"cannot reach the server at {self.base_url}: {exc}") from None
        return json.loads(payload) if payload else None

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def sign_in(self, staff_id: str | None, password: str | None) -> dict[str, Any]:
        """Sign in with the password, or check whose personal token this client carries."""
        if self._token:
            try:
                me: dict[str, Any] = self.call("GET", "/api/tokens/me")
            except ConnectError as exc:
                raise ConnectError(
                    f"the personal token was refused ({exc}); issue a new one on the web page "
                    "(your name, then Personal tokens) and set FREESEAT_TOKEN"
                ) from None
            if staff_id and me["staff_id"] != staff_id:
                raise ConnectError(
                    f"FREESEAT_TOKEN belongs to {me['staff_id']}, not {staff_id}; "
                    "leave out --staff-id or use your own token"
                )
            return {"signed_in": True, "person": me}
        if not staff_id:
            raise ConnectError("give --staff-id (and FREESEAT_PASSWORD), or set FREESEAT_TOKEN")
        self._csrf = self.call("GET", "/api/session")["csrf_token"]
        body = {"staff_id": staff_id} | ({"password": password} if password else {})
        session: dict[str, Any] = self.call("POST", "/api/session", body)
        self._csrf = session["csrf_token"]
        return session


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def trusted_server(
    trusted: TrustedServers, named: str | None, ca_file: str | None = None
) -> TrustedServer:
    """The server to sign in to (see TrustedServers.choose); raises ConnectError."""
    try:
        return trusted.choose(named, ca_file)
    except UntrustedServer as exc:
        raise ConnectError(str(exc)) from None


def choose(
    displays: Sequence[RoomDisplay],
    room: str | None,
    prompt: Callable[[str], str],
    out: Callable[[str], None],
) -> RoomDisplay | None:
    """The display the host means: the one named, the only one, or the one they pick."""
    if room is not None:
        named = [d for d in displays if d.room == room]
        return named[0] if named else None
    if not displays:
        return None
    if len(displays) == 1:
        return displays[0]
    while True:
        answer = prompt(f"Which room? (1-{len(displays)}): ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(displays):
            return displays[int(answer) - 1]
        out(f"type a number from 1 to {len(displays)}")


def connect(
    *,
    staff_id: str | None,
    server: str | None = None,
    room: str | None = None,
    code: str | None = None,
    password: str | None = None,
    token: str | None = None,
    attach: Sequence[Path] = (),
    wait_s: float = 3.0,
    interfaces: Sequence[str] | None = None,
    prompt: Callable[[str], str] = input,
    secret_prompt: Callable[[str], str] = getpass.getpass,
    out: Callable[[str], None] = print,
    trusted: TrustedServers | None = None,
    ca_file: str | None = None,
) -> Connected:
    """Find the room, sign in to the named (or remembered) server, pair with the code on the
    room's screen, and attach materials."""
    for path in attach:
        if path.suffix.lower() != ".pdf" or not path.is_file():
            raise ConnectError(f"{path}: attach PDF files that exist (name ending in .pdf)")
    trusted = trusted or TrustedServers.default()
    target = trusted_server(trusted, server, ca_file)
    out("looking for room displays / 会議室ディスプレイを検索中 …")
    displays = browse_rooms(wait_s, interfaces)
    out(f"found {len(displays)} room display(s) / 会議室ディスプレイ {len(displays)} 台:")
    for number, display in enumerate(displays, start=1):
        out(f"  {number}. {display.room}  {display.name}")
    chosen = choose(displays, room, prompt, out)
    if chosen is not None:
        out(f"room: {chosen.room}  {chosen.name}")
        room = chosen.room
    client = _signed_in(ServerClient(target, token=token), staff_id, password, secret_prompt)
    trusted.remember(target)
    if room is None:
        # Nothing advertised here (another subnet, or the demo): the server lists its rooms.
        room = _choose_room(client, prompt, out)
    return _pair(client, target.url, room, code, attach, prompt, out)


def _signed_in(
    client: ServerClient,
    staff_id: str | None,
    password: str | None,
    secret_prompt: Callable[[str], str],
) -> ServerClient:
    """Signed in as `staff_id` (or by the client's personal token); a demo server (anyone may
    pick a person) asks no password."""
    demo = bool(client.call("GET", "/api/session").get("demo_mode"))
    if password is None and not demo and not client.has_token:
        password = secret_prompt(f"password for {staff_id} at {client.base_url}: ") or None
    client.sign_in(staff_id, password)
    return client


def _choose_room(
    client: ServerClient, prompt: Callable[[str], str], out: Callable[[str], None]
) -> str:
    """The room the host picks from the server's list, rooms with a screen on first."""
    rooms = client.call("GET", "/api/rooms")
    rooms.sort(key=lambda r: (not (r.get("status") or {}).get("display_connected"), r["id"]))
    out(f"no room display found on this network; the server has {len(rooms)} room(s):")
    for number, r in enumerate(rooms, start=1):
        busy = " (meeting running)" if r.get("session") else ""
        out(f"  {number}. {r['id']}  {r['name']} {r.get('name_ja', '')}{busy}")
    while True:
        answer = prompt(f"Which room? (1-{len(rooms)}): ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(rooms):
            return str(rooms[int(answer) - 1]["id"])
        out(f"type a number from 1 to {len(rooms)}")


def _pair(
    client: ServerClient,
    base: str,
    room_id: str,
    code: str | None,
    attach: Sequence[Path],
    prompt: Callable[[str], str],
    out: Callable[[str], None],
) -> Connected:
    if code is None:
        code = prompt("code on the room screen / 画面の接続コード: ")
    body: dict[str, Any] = {"code": code, "room": room_id}
    try:
        result = client.call("POST", "/api/pairing", body)
    except ConnectError as exc:
        if exc.code != "booked_by_another":
            raise
        # Someone else booked the room now: their meeting, or one of the host's own?
        out(str(exc))
        answer = prompt("Is this that meeting? [y] yes, that meeting / [n] no, my own: ")
        body["booking"] = "join" if answer.strip().lower().startswith("y") else "own"
        result = client.call("POST", "/api/pairing", body)
    session = result["session"]
    for path in attach:
        query = urllib.parse.urlencode({"filename": path.name, "kind": "material"})
        material = client.call(
            "POST",
            f"/api/sessions/{session['id']}/materials?{query}",
            raw=path.read_bytes(),
            content_type="application/pdf",
        )
        out(f"attached {material['filename']} ({material['pages']} pages)")
    viewer = base.rstrip("/") + session["viewer_path"]
    verb = "started" if result["started"] else "joined"
    title = session["title"] or f"meeting in {room_id}"
    out(f"session {verb}: {title} — attendees open {viewer}")
    return Connected(room_id, int(session["id"]), title, viewer, result["started"])
