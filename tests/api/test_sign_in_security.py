"""Sign-in under attack and sessions that end when they must, over HTTP on a real database.

Clients are told apart by the address a trusted proxy reports (X-Forwarded-For from loopback,
as nginx in front would send it) and by the browser's device mark.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from typer.testing import CliRunner

from server.adapters.database import make_engine, upgrade
from server.adapters.people_repository import SqlPeopleStore
from server.api.app import create_app
from server.cli import app as cli
from server.composition.commands import accounts_admin
from server.composition.runtime import Runtime
from server.domain.people import Person, Role
from server.domain.sign_in_throttle import ThrottlePolicy
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import ServerThread, small_site

runner = CliRunner()
SECRET = "the same on every replica"


def real_accounts(database_url: str, passwords: dict[str, str], role: Role = Role.STAFF) -> None:
    """Imported staff (not demo people) with local passwords."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        people = [Person(s, f"Person {s}", "tax", role) for s in passwords]
        SqlPeopleStore(engine).upsert(people, demo=False)
    finally:
        engine.dispose()
    admin = accounts_admin(database_url)
    for staff_id, password in passwords.items():
        admin.set_password(staff_id, password, "test")


def server(database_url: str, clock: FakeClock, **settings: object) -> ServerThread:
    chosen = Settings(
        database_url=database_url,
        enable_mqtt=False,
        session_secret=SECRET,
        **settings,  # type: ignore[arg-type]
    )
    return ServerThread(create_app(chosen, clock=clock, site=small_site()))


def runtime_of(running: ServerThread) -> Runtime:
    rt: Runtime = running.app.state.runtime
    return rt


@contextmanager
def browser(running: ServerThread, address: str) -> Iterator[httpx.Client]:
    """A browser whose requests reach the server through the proxy, from `address`."""
    with httpx.Client(
        base_url=running.url, headers={"X-Forwarded-For": address}, timeout=30
    ) as client:
        yield client


def attempt(client: httpx.Client, staff_id: str, password: str) -> httpx.Response:
    token = client.get("/api/session").json()["csrf_token"]
    response = client.post(
        "/api/session",
        json={"staff_id": staff_id, "password": password},
        headers={"X-CSRF-Token": token},
    )
    if response.status_code == 200:
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return response


def test_delays_grow_for_the_guesser_and_never_for_the_owner(
    database_url: str, clock: FakeClock
) -> None:
    real_accounts(database_url, {"t001": "correct horse"})
    real_accounts(database_url, {"fac1": "facilities pass"}, Role.FACILITIES)
    with server(database_url, clock) as running:
        with browser(running, "10.0.0.66") as owners_laptop:
            assert attempt(owners_laptop, "t001", "correct horse").status_code == 200
            assert owners_laptop.delete("/api/session").status_code == 204
            with browser(running, "10.0.0.66") as guesser:  # same address, another browser
                codes = [attempt(guesser, "t001", f"guess {n}").status_code for n in range(5)]
                assert codes == [401] * 5
                waits = []
                for _ in range(3):
                    held = attempt(guesser, "t001", "guess again")
                    assert held.status_code == 429 and held.json()["code"] == "sign_in_throttled"
                    waits.append(int(held.headers["Retry-After"]))
                    clock.advance(seconds=waits[-1])
                    assert attempt(guesser, "t001", "and again").status_code == 401
                assert waits == [1, 2, 4]  # growing, not a lockout
                assert "wait 8 seconds" in attempt(guesser, "t001", "x").json()["detail"]
            # The owner's browser knows them: the guesses next to it do not hold it up.
            assert attempt(owners_laptop, "t001", "correct horse").status_code == 200
        with browser(running, "10.0.0.5") as elsewhere:
            assert attempt(elsewhere, "t001", "correct horse").status_code == 200

        with browser(running, "10.0.0.9") as facilities:
            assert attempt(facilities, "fac1", "facilities pass").status_code == 200
            audit = facilities.get("/api/security/audit", params={"staff_id": "t001"}).json()
        failed = [e for e in audit if e["event"] == "sign_in_failed"]
        assert len(failed) == 8 and {e["address"] for e in failed} == {"10.0.0.66"}
        assert failed[0]["detail"] == "bad_credentials"
        succeeded = [e["address"] for e in audit if e["event"] == "sign_in_succeeded"]
        assert succeeded == ["10.0.0.5", "10.0.0.66", "10.0.0.66"]  # newest first
        assert any(e["event"] == "signed_out" for e in audit)
        with browser(running, "10.0.0.5") as staff:
            attempt(staff, "t001", "correct horse")
            assert staff.get("/api/security/audit").status_code == 403


def test_a_spray_of_made_up_ids_meets_the_site_cap_but_known_browsers_pass(
    database_url: str, clock: FakeClock
) -> None:
    real_accounts(database_url, {"t001": "correct horse"})
    with server(database_url, clock) as running:
        runtime_of(running).accounts.guard.policy = ThrottlePolicy(site_failures=3)
        with browser(running, "10.0.0.5") as owner:
            assert attempt(owner, "t001", "correct horse").status_code == 200
            owner.delete("/api/session")
            for n in range(3):
                with browser(running, f"192.0.2.{n}") as sprayer:
                    assert attempt(sprayer, f"made-up-{n}", "Winter2026!").status_code == 401
            with browser(running, "192.0.2.99") as sprayer:
                held = attempt(sprayer, "made-up-99", "Winter2026!")
                assert held.status_code == 429 and int(held.headers["Retry-After"]) == 60
                assert attempt(owner, "t001", "correct horse").status_code == 200
                clock.advance(seconds=61)
                assert attempt(sprayer, "made-up-99", "Winter2026!").status_code == 401


def test_sign_out_and_account_changes_end_sessions_on_every_replica(
    database_url: str, clock: FakeClock
) -> None:
    real_accounts(database_url, {"t001": "correct horse"})
    url = ["--url", database_url]
    with (
        server(database_url, clock, session_check_s=0) as one,
        server(database_url, clock, session_check_s=0) as two,
        httpx.Client(headers={"X-Forwarded-For": "10.0.0.5"}, timeout=30) as laptop,
    ):

        def signed_in_at_two() -> bool:
            return bool(laptop.get(f"{two.url}/api/session").json()["signed_in"])

        def sign_in_at_one(password: str) -> httpx.Response:
            token = laptop.get(f"{one.url}/api/session").json()["csrf_token"]
            body = {"staff_id": "t001", "password": password}
            answer = laptop.post(
                f"{one.url}/api/session", json=body, headers={"X-CSRF-Token": token}
            )
            if answer.status_code == 200:
                laptop.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
            return answer

        assert sign_in_at_one("correct horse").status_code == 200
        assert signed_in_at_two()  # one cookie, any replica
        assert laptop.delete(f"{one.url}/api/session").status_code == 204
        assert not signed_in_at_two()

        assert sign_in_at_one("correct horse").status_code == 200
        stolen = dict(laptop.cookies)  # a copy of the cookie, as a thief would keep it
        changed = runner.invoke(
            cli, ["staff", "password", "t001", "--password", "new horse!", *url]
        )
        assert changed.exit_code == 0 and "their sessions have ended" in changed.output
        with httpx.Client(cookies=stolen) as thief:
            refused = thief.post(
                f"{two.url}/api/seats",
                json={"desk": "desk-f1-a-01-01"},
                headers={"X-CSRF-Token": laptop.headers["X-CSRF-Token"]},
            )
            assert refused.status_code == 401 and refused.json()["code"] == "sign_in_required"

        assert sign_in_at_one("new horse!").status_code == 200
        promoted = runner.invoke(cli, ["staff", "role", "t001", "facilities", *url])
        assert promoted.exit_code == 0
        assert not signed_in_at_two()
        assert sign_in_at_one("new horse!").status_code == 200
        assert laptop.get(f"{two.url}/api/session").json()["person"]["role"] == "facilities"

        assert runner.invoke(cli, ["staff", "disable", "t001", *url]).exit_code == 0
        assert not signed_in_at_two()
        assert sign_in_at_one("new horse!").status_code == 401
        assert runner.invoke(cli, ["staff", "enable", "t001", *url]).exit_code == 0
        assert sign_in_at_one("new horse!").status_code == 200
        issued = laptop.post(f"{one.url}/api/tokens", json={"label": "laptop"})
        assert issued.status_code == 201, issued.text
        bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
        assert httpx.get(f"{two.url}/api/tokens/me", headers=bearer).status_code == 200
        ended = runner.invoke(cli, ["staff", "sign-out", "t001", *url])
        assert "ended 1 session(s) of t001" in ended.output
        assert httpx.get(f"{two.url}/api/tokens/me", headers=bearer).status_code == 401
        assert sign_in_at_one("new horse!").status_code == 200

        events = laptop.get(f"{two.url}/api/security/audit", params={"staff_id": "t001"}).json()
        # The command line writes at the machine's time, the servers at the test's: count them.
        assert Counter(e["event"] for e in events) == {
            "password_changed": 2,  # one before the test (actor "test")
            "sign_in_succeeded": 6,
            "signed_out": 1,
            "sessions_ended": 5,  # password, role, disabled, signed out everywhere (+ token)
            "role_changed": 1,
            "person_disabled": 1,
            "sign_in_failed": 1,
            "person_enabled": 1,
        }
        role = next(e for e in events if e["event"] == "role_changed")
        assert role["detail"] == "staff -> facilities" and role["actor"].startswith("cli")
        revoked = [e["detail"] for e in events if e["event"] == "sessions_ended"]
        assert "1 session(s): password changed" in revoked
        signed_out = next(e for e in events if e["event"] == "signed_out")
        assert (signed_out["actor"], signed_out["address"]) == ("t001", "10.0.0.5")


def test_cookies_are_secure_behind_an_https_proxy_and_only_a_trusted_one(
    database_url: str, clock: FakeClock
) -> None:
    real_accounts(database_url, {"t001": "correct horse"})
    with server(database_url, clock) as running, httpx.Client(base_url=running.url) as client:
        plain = client.get("/api/session")
        assert "secure" not in plain.headers["set-cookie"].lower()
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.5"}
        over_https = client.get("/api/session", headers=proxied)
        assert "secure" in over_https.headers["set-cookie"].lower()
        token = over_https.json()["csrf_token"]
        # httpx keeps Secure cookies off plain http:// (the proxy's side): send it by hand.
        signed = client.post(
            "/api/session",
            json={"staff_id": "t001", "password": "correct horse"},
            headers={**proxied, "X-CSRF-Token": token, "Cookie": f"freeseat_csrf={token}"},
        )
        assert signed.status_code == 200
        cookies = signed.headers.get_list("set-cookie")
        assert len(cookies) == 3 and all("; secure" in c.lower() for c in cookies)
        assert all("httponly" in c.lower() for c in cookies if "freeseat_csrf" not in c)
    untrusted = ["10.9.9.9"]  # the proxy is elsewhere: loopback's headers are not believed
    with (
        server(database_url, clock, forwarded_allow_ips=untrusted) as running,
        httpx.Client(base_url=running.url) as client,
    ):
        spoofed = client.get("/api/session", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in spoofed.headers["set-cookie"].lower()


def test_demo_mode_refuses_a_database_with_real_accounts(
    database_url: str, clock: FakeClock
) -> None:
    real_accounts(database_url, {"t001": "correct horse"})
    served = runner.invoke(
        cli,
        ["serve", "--port", "1"],
        env={"FREESEAT_DEMO_MODE": "true", "FREESEAT_DATABASE_URL": database_url},
    )
    assert served.exit_code == 2
    assert "database holds 1 real account(s)" in served.output
    assert "Unset FREESEAT_DEMO_MODE" in served.output
    demo = runner.invoke(cli, ["demo", "--database", database_url, "--duration", "1"])
    assert demo.exit_code == 2 and "--with-real-accounts" in demo.output
    # Told that it is meant: demo people need no password, real accounts still do.
    with (
        server(database_url, clock, demo_mode=True, demo_with_real_accounts=True) as running,
        browser(running, "10.0.0.5") as visitor,
    ):
        assert attempt(visitor, "s00005", "").status_code == 200
        refused = visitor.post(
            "/api/session",
            json={"staff_id": "t001"},
            headers={"X-CSRF-Token": visitor.get("/api/session").json()["csrf_token"]},
        )
        assert refused.status_code == 401
        assert attempt(visitor, "t001", "correct horse").status_code == 200


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
