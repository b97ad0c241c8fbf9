"""`freeseat whereami` and `freeseat connect` for a directory user: a personal token issued on
the web page stands in for the password freeseat never sees; revoking it signs the laptop out."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edge_agent.room_connect import ConnectError, connect
from edge_agent.whereami import report_location
from server.api.app import create_app
from server.settings import Settings
from tests.directory.servers import PEOPLE, Slapd
from tests.directory.support import ldap_settings, try_sign_in
from tests.fakes import FakeClock
from tests.support import ServerThread
from tests.wifi_support import BSSIDS, wifi_site

PASSWORD = {p.uid: p.password for p in PEOPLE}
ROOM = "room-f1-1"


@pytest.fixture
def server(tmp_path: Path, slapd: Slapd) -> Iterator[ServerThread]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'freeseat.db'}",
        enable_mqtt=False,
        ldap=ldap_settings(slapd),
    )
    with ServerThread(create_app(settings, clock=FakeClock(), site=wifi_site())) as running:
        yield running


def shown_code(server: ServerThread) -> str:
    """The code on the room screen, looked up as facilities (sato, by the directory's group)."""
    with httpx.Client(base_url=server.url) as facilities:
        assert try_sign_in(facilities, "sato", PASSWORD["sato"]).status_code == 200
        key = facilities.get(f"/api/rooms/{ROOM}/links").json()["screen_url"].split("key=")[1]
        state = facilities.get(f"/api/rooms/{ROOM}/screen-state", params={"key": key}).json()
    return str(state["code"]["code"])


def test_a_directory_user_runs_whereami_and_connect_with_a_token_from_the_web_page(
    server: ServerThread,
) -> None:
    with httpx.Client(base_url=server.url) as browser:
        assert try_sign_in(browser, "tanaka", PASSWORD["tanaka"]).status_code == 200
        issued = browser.post("/api/tokens", json={"label": "ThinkPad"})
        assert issued.status_code == 201, issued.text
        token = issued.json()["token"]
        assert [t["label"] for t in browser.get("/api/tokens").json()] == ["ThinkPad"]
        assert "token" not in browser.get("/api/tokens").json()[0]  # shown once, never again

    where = report_location(
        server=server.url, staff_id=None, password=None, bssid=BSSIDS["f1", 1][0], token=token
    )
    assert (where.floor, where.zone) == ("f1", "f1-a")

    said: list[str] = []
    connected = connect(
        staff_id=None,
        server=server.url,
        room=ROOM,
        code=shown_code(server),
        token=token,
        interfaces=["127.0.0.1"],
        wait_s=0.2,
        secret_prompt=lambda _: pytest.fail("a token needs no password"),
        out=said.append,
    )
    assert connected.started and connected.room == ROOM
    with httpx.Client(base_url=server.url) as browser:
        try_sign_in(browser, "tanaka", PASSWORD["tanaka"])
        mine = browser.get(f"/api/sessions/{connected.session_id}").json()
        assert (mine["host"], mine["host_name"]) == ("tanaka", "Tanaka Yui")
        # A token cannot mint tokens, and someone else's id next to it is caught.
        minted = httpx.post(
            f"{server.url}/api/tokens", headers={"Authorization": f"Bearer {token}"}, json={}
        )
        assert minted.status_code == 403 and minted.json()["code"] == "token_needs_browser"
        with pytest.raises(ConnectError, match="belongs to tanaka, not sato"):
            report_location(
                server=server.url, staff_id="sato", password=None, bssid="x", token=token
            )

        token_id = browser.get("/api/tokens").json()[0]["id"]
        assert browser.delete(f"/api/tokens/{token_id}").status_code == 204
    with pytest.raises(ConnectError, match="issue a new one on the web page"):
        report_location(
            server=server.url,
            staff_id=None,
            password=None,
            bssid=BSSIDS["f1", 1][0],
            token=token,
        )
