"""2,000 people claim desks at once through three replicas on PostgreSQL: nobody double-assigned."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
from sqlalchemy import create_engine, text

from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.api.auth import CSRF_HEADER, SESSION_COOKIE
from server.composition.runtime import Runtime
from server.settings import Settings
from tests.fakes import FakeClock
from tests.seating_support import DeskSensors, seed_people, staff
from tests.support import ServerThread, small_site, wait_until

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
# 09:30 in Tokyo, the site's time zone: the working day has begun.
MORNING = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
PEOPLE = staff(1000, "tax", "t") + staff(1000, "welfare", "w")
SITE = small_site(desks_per_zone=50)  # 200 desks: ten claimants for every desk
DESKS = sorted(desk.id for _, desk in SITE.desks())
SIGNED_IN_BY_HAND = 60
CONNECTIONS = 100


async def sign_in(client: httpx.AsyncClient, staff_id: str) -> dict[str, str]:
    """Sign in through the API, as a browser does; returns the headers a later claim needs."""
    token = (await client.get("/api/session")).json()["csrf_token"]
    response = await client.post(
        "/api/session", json={"staff_id": staff_id}, headers={CSRF_HEADER: token}
    )
    assert response.status_code == 200, response.text
    cookie = response.cookies[SESSION_COOKIE]
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", CSRF_HEADER: response.json()["csrf_token"]}


def minted(rt: Runtime, staff_id: str) -> dict[str, str]:
    """A session as sign-in starts it (signed cookie, recorded so every replica honours it),
    without 4,000 more requests."""
    now = rt.clock.now()
    cookie, session = rt.accounts.signer.issue(staff_id, "demo", now)
    rt.accounts.sessions.start(
        session.nonce, staff_id, "demo", now, timedelta(seconds=rt.settings.session_max_age_s), None
    )
    return {
        "Cookie": f"{SESSION_COOKIE}={cookie}",
        CSRF_HEADER: rt.accounts.signer.csrf_token(session.nonce),
    }


async def rush(servers: list[ServerThread]) -> list[tuple[str, str, int, str]]:
    """Every claim at once, each at a different replica from the one that signed its person in."""
    clients = [
        httpx.AsyncClient(
            base_url=s.url, timeout=60, limits=httpx.Limits(max_connections=CONNECTIONS)
        )
        for s in servers
    ]
    try:
        sessions = []
        for n, person in enumerate(PEOPLE):
            home = n % len(servers)
            if n < SIGNED_IN_BY_HAND:
                sessions.append(await sign_in(clients[home], person.staff_id))
            else:
                sessions.append(minted(servers[home].app.state.runtime, person.staff_id))

        async def claim(n: int) -> tuple[str, str, int, str]:
            desk = DESKS[n % len(DESKS)]
            client = clients[(n + 1) % len(servers)]
            response = await client.post("/api/seats", json={"desk": desk}, headers=sessions[n])
            return PEOPLE[n].staff_id, desk, response.status_code, response.json().get("detail", "")

        return await asyncio.gather(*(claim(n) for n in range(len(PEOPLE))))
    finally:
        for client in clients:
            await client.aclose()


def active_holds(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT desk, staff_id FROM seat_holds WHERE active"))
            return [(desk, staff_id) for desk, staff_id in rows]
    finally:
        engine.dispose()


@postgres_only
# Minutes, not seconds, on a shared two-core machine: 2,000 HTTP claims through three servers.
@pytest.mark.timeout(300)
def test_two_thousand_concurrent_claims_on_three_replicas_assign_no_desk_twice(
    broker: MosquittoBroker, database_url: str
) -> None:
    seed_people(database_url, PEOPLE)
    clock = FakeClock(MORNING)

    def replica(name: str) -> ServerThread:
        settings = Settings(
            database_url=database_url,
            broker_url=broker.url,
            mqtt_client_id=f"claims-{name}",
            scale_out=True,
            demo_mode=True,
            session_secret="one secret shared by every replica",
            sweep_interval_s=3600,
            leader_retry_s=0.2,
            # Three replicas and the other tests share the machine's PostgreSQL connections.
            database_pool_size=4,
            database_max_overflow=6,
        )
        return ServerThread(create_app(settings, clock=clock, site=SITE))

    with replica("a") as a, replica("b") as b, replica("c") as c:
        servers = [a, b, c]
        for server in servers:
            wait_until(partial(broker_connected, server.url))
        # The sensors see every desk empty: the replicas ingest it and every map shows them free.
        sensors = DeskSensors(broker.url, SITE)
        try:
            sensors.report(dict.fromkeys(DESKS, False), MORNING)
        finally:
            sensors.close()

        def free_everywhere() -> bool:
            for server in servers:
                floors = httpx.get(f"{server.url}/api/floors").json()
                if sum(f["counts"].get("free", 0) for f in floors) != len(DESKS):
                    return False
            return True

        wait_until(free_everywhere, 60, "every desk free on every replica")

        results = asyncio.run(rush(servers))

        statuses = Counter(status for _, _, status, _ in results)
        assert statuses == {201: len(DESKS), 409: len(PEOPLE) - len(DESKS)}, statuses
        winners = {desk: staff_id for staff_id, desk, status, _ in results if status == 201}
        assert len(winners) == len(DESKS), "every desk went to exactly one claimant"
        refusals = {detail for _, _, status, detail in results if status == 409}
        # Clear answers only: the desk is held, or another claim of it is committing right now.
        assert all(
            "already held" in detail or "being claimed by someone else" in detail
            for detail in refusals
        ), refusals
        holds = active_holds(database_url)
        assert len(holds) == len(DESKS) and dict(holds) == winners

        def held_everywhere() -> bool:
            for server in servers:
                floors = httpx.get(f"{server.url}/api/floors").json()
                if sum(f["counts"].get("held", 0) for f in floors) != len(DESKS):
                    return False
            return True

        wait_until(held_everywhere, 30, "every replica's map showing every claim")


def broker_connected(url: str) -> bool:
    connected: bool = httpx.get(f"{url}/api/health").json()["broker_connected"]
    return connected
