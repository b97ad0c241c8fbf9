"""Directory sign-in against a real OpenLDAP: the person's own bind, roles from groups,
departments from attributes, locked accounts, TLS, and a directory that does not answer."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from server.api.app import create_app
from server.cli import app as cli
from server.directory_settings import LdapSettings
from server.settings import Settings
from tests.directory.servers import PEOPLE, Slapd
from tests.directory.support import ldap_settings, try_sign_in
from tests.fakes import FakeClock
from tests.support import ServerThread, small_site

runner = CliRunner()
PASSWORD = {p.uid: p.password for p in PEOPLE}


def running(database_url: str, ldap: LdapSettings) -> ServerThread:
    settings = Settings(database_url=database_url, enable_mqtt=False, ldap=ldap)
    return ServerThread(create_app(settings, clock=FakeClock(), site=small_site()))


@pytest.fixture
def server(database_url: str, slapd: Slapd) -> Iterator[ServerThread]:
    with running(database_url, ldap_settings(slapd)) as started:
        yield started


def test_staff_sign_in_with_their_directory_password_and_get_its_role_and_department(
    server: ServerThread,
) -> None:
    with httpx.Client(base_url=server.url) as client:
        signed = try_sign_in(client, "tanaka", PASSWORD["tanaka"])
        assert signed.status_code == 200, signed.text
        me = client.get("/api/session").json()["person"]
        assert (me["name"], me["name_ja"], me["department"], me["role"]) == (
            "Tanaka Yui",
            "田中 結衣",
            "tax",
            "staff",
        )
        assert client.delete("/api/session").status_code == 204
    for uid, role in (("sato", "facilities"), ("suzuki", "admin")):
        with httpx.Client(base_url=server.url) as client:
            assert try_sign_in(client, uid, PASSWORD[uid]).json()["person"]["role"] == role
            # The directory's groups decide what they may see: facilities pages open.
            assert client.get("/api/people", params={"query": "tanaka"}).status_code == 200


def test_a_wrong_password_an_unknown_id_and_an_empty_password_are_refused(
    server: ServerThread,
) -> None:
    with httpx.Client(base_url=server.url) as client:
        wrong = try_sign_in(client, "tanaka", "not-her-password")
        unknown = try_sign_in(client, "nobody", "whatever-1")
        # An empty password would be an LDAP "unauthenticated bind", which succeeds.
        empty = try_sign_in(client, "tanaka", "")
        injected = try_sign_in(client, "*)(uid=*", "tanaka-pass-1")
        assert client.get("/api/session").json()["signed_in"] is False
    assert wrong.status_code == unknown.status_code == injected.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "bad_credentials"
    assert empty.status_code == 401 and empty.json()["code"] == "password_required"


def test_a_locked_directory_account_cannot_sign_in_and_is_told_why(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url, headers={"Accept-Language": "ja"}) as client:
        refused = try_sign_in(client, "leaver", PASSWORD["leaver"])
    assert refused.status_code == 403 and refused.json()["code"] == "account_disabled"
    assert "情報システム担当" in refused.json()["detail"]


def test_ldaps_with_the_citys_ca_works_and_an_unknown_ca_is_a_clear_error(
    tmp_path: Path, slapd: Slapd, city_it: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'freeseat.db'}"
    with (
        running(url, ldap_settings(slapd, tls="ldaps")) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert try_sign_in(client, "tanaka", PASSWORD["tanaka"]).status_code == 200
    # A CA that did not sign the directory's certificate: freeseat refuses to send passwords.
    other_ca = city_it / "other-ca.crt"
    if not other_ca.exists():
        from tests.directory.servers import TestCa

        other_ca.write_bytes(TestCa.make(city_it / "other-ca").ca_cert.read_bytes())
    with (
        running(url, ldap_settings(slapd, tls="starttls", ca=other_ca)) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        refused = try_sign_in(client, "tanaka", PASSWORD["tanaka"])
    assert refused.status_code == 503 and refused.json()["code"] == "directory_unreachable"


def test_while_the_directory_is_down_local_admin_accounts_still_sign_in(
    database_url: str, slapd: Slapd, tmp_path: Path
) -> None:
    staff = tmp_path / "admins.csv"
    staff.write_text("staff_id,name,department,role\nit-admin,IT Admin,,admin\n")
    assert runner.invoke(cli, ["staff", "import", str(staff), "--url", database_url]).exit_code == 0
    done = runner.invoke(
        cli, ["staff", "password", "it-admin", "--url", database_url, "--password", "local-pass-1"]
    )
    assert done.exit_code == 0, done.output
    down = ldap_settings(slapd).model_copy(update={"url": "ldap://127.0.0.1:9", "timeout_s": 2})
    with running(database_url, down) as server:
        with httpx.Client(base_url=server.url) as client:
            refused = try_sign_in(client, "tanaka", PASSWORD["tanaka"])
            assert refused.status_code == 503
            assert refused.json()["code"] == "directory_unreachable"
            assert "try again in a few minutes" in refused.json()["detail"]
        with httpx.Client(base_url=server.url) as client:
            admin = try_sign_in(client, "it-admin", "local-pass-1")
            assert admin.status_code == 200 and admin.json()["person"]["role"] == "admin"
