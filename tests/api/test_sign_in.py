"""Sign-in end to end over HTTP: demo picking, local argon2 accounts, roles, CSRF, throttling."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from server.api.app import create_app
from server.cli import app as cli
from server.settings import Settings
from tests.fakes import FakeClock
from tests.signin import sign_in
from tests.support import ServerThread, small_site

runner = CliRunner()


def _server(database_url: str, clock: FakeClock, demo: bool) -> ServerThread:
    settings = Settings(database_url=database_url, enable_mqtt=False, demo_mode=demo)
    return ServerThread(create_app(settings, clock=clock, site=small_site()))


@pytest.fixture
def demo_server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    with _server(database_url, clock, demo=True) as server:
        yield server


def test_demo_visitor_picks_a_person_from_the_shipped_staff_and_signs_out(
    demo_server: ServerThread,
) -> None:
    with httpx.Client(base_url=demo_server.url) as client:
        picker = client.get("/api/people", params={"query": "abe shota"}).json()
        assert {p["name"] for p in picker} == {"Abe Shota"}
        abe = next(p for p in picker if p["staff_id"] == "s00005")
        assert abe["needs"] == ["accessible"] and abe["department"] == "hr"
        operators = client.get("/api/people", params={"query": "demo-"}).json()
        assert {p["role"] for p in operators} == {"facilities", "admin"}

        session = sign_in(client, "s00005")
        assert session["person"]["name_ja"] == "阿部 翔太"  # type: ignore[index]
        me = client.get("/api/session").json()
        assert me["signed_in"] and me["person"]["staff_id"] == "s00005"
        assert me["demo_mode"] is True

        forged = client.delete("/api/session", headers={"X-CSRF-Token": "guess"})
        assert forged.status_code == 403 and forged.json()["code"] == "csrf_invalid"
        assert forged.json()["header"] == "X-CSRF-Token"
        assert client.get("/api/session").json()["signed_in"]

        assert client.delete("/api/session").status_code == 204
        assert client.get("/api/session").json()["signed_in"] is False


def test_sign_in_without_the_csrf_token_is_refused_with_what_to_do(
    demo_server: ServerThread,
) -> None:
    with httpx.Client(base_url=demo_server.url) as client:
        refused = client.post("/api/session", json={"staff_id": "s00005"})
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_invalid"
        assert "reload the page" in refused.json()["detail"]
        unknown = sign_in_status(client, "nobody-here")
        assert unknown.status_code == 401 and "pick one" in unknown.json()["detail"]


def sign_in_status(
    client: httpx.Client, staff_id: str, password: str | None = None
) -> httpx.Response:
    token = client.get("/api/session").json()["csrf_token"]
    body = {"staff_id": staff_id} | ({"password": password} if password else {})
    return client.post("/api/session", json=body, headers={"X-CSRF-Token": token})


def test_local_accounts_use_imported_staff_argon2_passwords_and_roles(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "staff_id,name,department,needs\n"
        "t001,Tanaka Ken,tax,dual-monitor\n"
        "w001,Watanabe Mai,welfare,accessible;standing\n",
        encoding="utf-8",
    )
    site_file = tmp_path / "site.yaml"
    import yaml

    site_file.write_text(yaml.safe_dump(small_site().model_dump(mode="json")), encoding="utf-8")
    imported = runner.invoke(
        cli, ["staff", "import", str(staff), "--url", database_url, "--site", str(site_file)]
    )
    assert imported.exit_code == 0, imported.output
    assert "imported 2 people" in imported.output
    for args in (
        ["staff", "password", "t001", "--password", "correct horse", "--url", database_url],
        ["staff", "password", "w001", "--password", "battery staple", "--url", database_url],
        ["staff", "role", "w001", "facilities", "--url", database_url],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output

    with (
        _server(database_url, clock, demo=False) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.get("/api/session").json()["providers"] == ["local"]
        no_password = sign_in_status(client, "t001")
        assert no_password.status_code == 401 and "password" in no_password.json()["detail"]
        wrong = sign_in_status(client, "t001", "wrong horse")
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "bad_credentials"
        assert wrong.json()["detail"] == "Unknown staff ID or wrong password."

        sign_in(client, "t001", "correct horse")
        assert client.get("/api/session").json()["person"]["needs"] == ["dual-monitor"]
        staff_view = client.get("/api/people")
        assert staff_view.status_code == 403 and "facilities" in staff_view.json()["detail"]

        sign_in(client, "w001", "battery staple")
        people = client.get("/api/people").json()
        assert [p["staff_id"] for p in people] == ["t001", "w001"]
        assert people[1]["needs"] == ["accessible", "standing"]


def test_a_staff_file_with_a_mistake_names_the_line_and_the_fix(tmp_path: Path) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text("staff_id,name\nt001,Tanaka Ken\n", encoding="utf-8")
    result = runner.invoke(cli, ["staff", "import", str(staff), "--url", "sqlite://"])
    assert result.exit_code == 1
    assert f"{staff}:1: missing column(s) department" in result.output

    staff.write_text("staff_id,name,department,role\nt001,Tanaka Ken,tax,boss\n", encoding="utf-8")
    result = runner.invoke(cli, ["staff", "import", str(staff), "--url", "sqlite://"])
    assert result.exit_code == 1
    assert f"{staff}:2: role 'boss' must be one of staff, facilities, admin" in result.output
