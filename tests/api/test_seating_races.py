"""The database guards seating under load, over real HTTP, on SQLite and on PostgreSQL:
200 people claiming one desk at once, and 500 suggest-and-claim requests for 50 free desks."""

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import create_engine, select

from server.adapters.embedded_broker import MosquittoBroker
from server.adapters.tables_seating import SeatHoldRow
from server.api.app import create_app
from server.settings import Settings
from tests.fakes import FakeClock
from tests.seating_support import DeskSensors, seed_people, sign_in_async, staff
from tests.support import ServerThread, small_site, wait_until

DESK = "desk-f1-a-01-01"
LABEL = "1F A-01-01"  # how the refusals' words name it


def active_holds(database_url: str) -> list[tuple[str, str]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(SeatHoldRow.desk, SeatHoldRow.staff_id).where(SeatHoldRow.active)
            )
            return [(desk, person) for desk, person in rows]
    finally:
        engine.dispose()


async def signed_in_clients(url: str, people: list[str]) -> list[httpx.AsyncClient]:
    gate = asyncio.Semaphore(50)
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends, so none is reused as
    # the server closes it.
    limits = httpx.Limits(keepalive_expiry=2)
    clients = [httpx.AsyncClient(base_url=url, timeout=120, limits=limits) for _ in people]

    async def one(client: httpx.AsyncClient, person: str) -> None:
        async with gate:
            await sign_in_async(client, person)

    await asyncio.gather(*(one(c, p) for c, p in zip(clients, people, strict=True)))
    return clients


@pytest.mark.timeout(600)
async def test_200_people_claiming_one_desk_at_once_get_one_seat_and_199_clear_refusals(
    database_url: str, clock: FakeClock
) -> None:
    people = staff(200, "tax", "r")
    seed_people(database_url, people)
    settings = Settings(database_url=database_url, enable_mqtt=False, demo_mode=True)
    with ServerThread(create_app(settings, clock=clock, site=small_site())) as server:
        clients = await signed_in_clients(server.url, [p.staff_id for p in people])
        try:
            answers = await asyncio.gather(
                *(c.post("/api/seats", json={"desk": DESK}) for c in clients)
            )
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 409: 199}, codes
    refusals = {(a.json()["code"], a.json()["detail"]) for a in answers if a.status_code == 409}
    assert refusals <= {
        ("desk_held", f"Desk {LABEL} is already held; pick another desk."),
        ("desk_just_taken", f"Desk {LABEL} was just taken by someone else; pick another desk."),
        (
            "desk_being_claimed",
            f"Desk {LABEL} is being claimed by someone else right now; pick another desk.",
        ),
    }, refusals
    winner = next(a.json() for a in answers if a.status_code == 201)
    assert winner["desk"] == DESK
    assert len(active_holds(database_url)) == 1


async def find_me_a_seat(client: httpx.AsyncClient) -> str | None:
    """One request: the server suggests and claims the best desk still free, or says none is."""
    answer = await client.post("/api/seats/auto", json={"floor": "f1"})
    if answer.status_code == 409:
        assert answer.json()["code"] == "no_free_desk", answer.text
        assert answer.json()["detail"].startswith("No free desk matches right now")
        return None
    assert answer.status_code == 201, answer.text
    reasons = answer.json()["suggestion"]["reasons"]
    assert any(r["code"] == "team_zone" for r in reasons) or answer.json()["seat"]["zone"] != "f1-a"
    return str(answer.json()["seat"]["desk"])


@pytest.mark.timeout(600)
async def test_500_suggest_and_claim_requests_for_50_free_desks_seat_50_people_once(
    broker: MosquittoBroker, database_url: str, clock: FakeClock
) -> None:
    site = small_site(desks_per_zone=25)
    floor_desks = [d.id for d in site.buildings[0].floors[0].desks]
    assert len(floor_desks) == 50
    people = staff(500, "tax", "q")
    seed_people(database_url, people)
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        mqtt_client_id="seating-race-server",
        demo_mode=True,
    )
    sensors = DeskSensors(broker.url, site)
    try:
        with ServerThread(create_app(settings, clock=clock, site=site)) as server:
            wait_until(
                lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
                what="server subscribed at the broker",
            )
            sensors.report(dict.fromkeys(floor_desks, False), clock.now())
            wait_until(
                lambda: (
                    len(
                        httpx.get(
                            f"{server.url}/api/desks", params={"floor": "f1", "state": "free"}
                        ).json()
                    )
                    == 50
                ),
                what="50 free desks on the map",
            )
            clients = await signed_in_clients(server.url, [p.staff_id for p in people])
            try:
                seats = await asyncio.gather(*(find_me_a_seat(c) for c in clients))
            finally:
                await asyncio.gather(*(c.aclose() for c in clients))
            async with httpx.AsyncClient(base_url=server.url) as viewer:
                held = await viewer.get("/api/desks", params={"floor": "f1", "state": "held"})
            assert len(held.json()) == 50, "every claimed desk shows as held on the map"
    finally:
        sensors.close()
    won = [s for s in seats if s is not None]
    assert len(won) == 50
    assert sorted(won) == sorted(floor_desks), "every desk once, none twice"
    holds = active_holds(database_url)
    assert len(holds) == 50 and len({desk for desk, _ in holds}) == 50
