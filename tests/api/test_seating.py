"""Seating end to end in one process: real database (SQLite and PostgreSQL), real broker for the
desk sensors, the app's own lifespan; the timed releases are run directly after advancing time."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select

from server.adapters.embedded_broker import MosquittoBroker
from server.adapters.tables import DeskTransitionRow
from tests.fakes import FakeClock
from tests.seating_support import (
    A1,
    A2,
    A3,
    A4,
    B1,
    B2,
    F1_DESKS,
    MORNING,
    DeskSensors,
    Running,
    app_for,
    free_desks,
    in_process,
    seating_site,
    seed_people,
    sign_in_async,
    staff,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MORNING)


def transitions(database_url: str, desk: str) -> list[tuple[str, str, str, str | None]]:
    """The desk's history: before, after, the reason's kind, and whom it was about."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    DeskTransitionRow.before,
                    DeskTransitionRow.after,
                    DeskTransitionRow.reason,
                    DeskTransitionRow.person,
                )
                .where(DeskTransitionRow.desk == desk)
                .order_by(DeskTransitionRow.id)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


@pytest.fixture
async def sensors_and_app(
    broker: MosquittoBroker, database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[Running, DeskSensors]]:
    site = seating_site(consolidate_zones=False)
    sensors = DeskSensors(broker.url, site)
    try:
        async with in_process(app_for(database_url, clock, site, broker.url)) as running:
            await free_desks(running.rt, sensors, F1_DESKS, clock.now())
            yield running, sensors
    finally:
        sensors.close()


async def test_claim_holds_the_desk_on_the_map_and_nobody_else_gets_it(
    sensors_and_app: tuple[Running, DeskSensors], database_url: str
) -> None:
    running, _ = sensors_and_app
    rt, tanaka = running.rt, running.client
    await sign_in_async(tanaka, "t0001")
    claimed = await tanaka.post("/api/seats", json={"desk": A1}, headers={"Idempotency-Key": "k1"})
    assert claimed.status_code == 201, claimed.text
    seat = claimed.json()
    assert (seat["desk"], seat["state"], seat["floor"], seat["zone"]) == (A1, "held", "f1", "f1-a")
    assert seat["check_in_by"] == "2026-11-30T01:00:00Z"  # the site's 30 minutes of grace
    assert rt.hub.states("f1")[A1]["state"] == "held"
    listed = (await tanaka.get("/api/desks", params={"floor": "f1", "state": "held"})).json()
    assert [(d["id"], d["mine"]) for d in listed] == [(A1, True)]

    retry = await tanaka.post("/api/seats", json={"desk": A1}, headers={"Idempotency-Key": "k1"})
    assert retry.status_code == 201 and retry.json() == seat
    misuse = await tanaka.post("/api/seats", json={"desk": A2}, headers={"Idempotency-Key": "k1"})
    assert misuse.status_code == 422 and "different request" in misuse.json()["detail"]
    second = await tanaka.post("/api/seats", json={"desk": A2})
    assert second.status_code == 409
    assert (second.json()["code"], second.json()["desk"]) == ("seat_already_held", A1)
    # The words name the desk as people read it; the facts keep its id.
    assert second.json()["detail"].startswith("You already hold desk 1F A-01-01 today")
    assert second.json()["labels"] == {"desk": "1F A-01-01"}

    async with running.new_client() as suzuki:
        await sign_in_async(suzuki, "t0002")
        taken = await suzuki.post("/api/seats", json={"desk": A1})
        assert taken.status_code == 409
        assert (taken.json()["code"], taken.json()["desk"]) == ("desk_held", A1)
        assert taken.json()["detail"] == "Desk 1F A-01-01 is already held; pick another desk."
        assert (await suzuki.get("/api/me/seat")).json() == {
            "seat": None,
            "holds_until": "2026-11-30T20:00:00+09:00",
            "claims_open": True,
        }

    released = await tanaka.delete("/api/me/seat")
    assert released.status_code == 200 and released.json()["released"] == A1
    assert rt.hub.states("f1")[A1]["state"] == "free"
    assert transitions(database_url, A1)[-2:] == [
        ("free", "held", "held", "t0001"),
        ("held", "free", "released_by_hand", "t0001"),
    ]


async def test_suggestions_put_needs_then_team_zone_first_and_say_why(
    sensors_and_app: tuple[Running, DeskSensors],
) -> None:
    client = sensors_and_app[0].client
    await sign_in_async(client, "w-acc")
    only = (await client.post("/api/seats/suggest", json={"floor": "f1"})).json()
    assert [s["desk"] for s in only["suggestions"]] == [B2], "accessible need is never traded"
    codes = [r["code"] for r in only["suggestions"][0]["reasons"]]
    assert codes == ["needs", "team_zone"]

    await sign_in_async(client, "t0001")
    ranked = (await client.post("/api/seats/suggest", json={"floor": "f1", "limit": 8})).json()
    desks = [s["desk"] for s in ranked["suggestions"]]
    assert set(desks[:4]) == {A1, A2, A3, A4}, "the tax zone comes first for tax staff"
    first = ranked["suggestions"][0]
    assert {
        "code": "team_zone",
        "text": "In your team's zone: Zone A, 1F",
        "facts": {"zone": "f1-a", "floor": "f1"},
    } in first["reasons"]
    assert first["label"] == "1F " + first["desk"].removeprefix("desk-f1-").upper()
    assert "3 working days in a row" in ranked["anti_fixation"]

    near = {"floor": "f1", "x": 19.0, "y": 2.0}
    close = (
        await client.post("/api/seats/suggest", json={"floor": "f1", "zone": "f1-a", "near": near})
    ).json()["suggestions"]
    assert close[0]["desk"] == A4, "nearest desk of the team zone first"
    assert any(r["code"] == "nearby" for r in close[0]["reasons"])

    standing = (await client.post("/api/seats/suggest", json={"equipment": ["standing"]})).json()[
        "suggestions"
    ]
    assert [s["desk"] for s in standing] == [A4]


async def test_sensor_checks_in_within_grace_no_show_is_released_and_day_end_frees_all(
    sensors_and_app: tuple[Running, DeskSensors],
    clock: FakeClock,
    database_url: str,
) -> None:
    running, sensors = sensors_and_app
    rt, tanaka = running.rt, running.client
    await sign_in_async(tanaka, "t0001")
    assert (await tanaka.post("/api/seats", json={"desk": A1})).status_code == 201
    async with running.new_client() as suzuki:
        await sign_in_async(suzuki, "t0002")
        assert (await suzuki.post("/api/seats", json={"desk": A2})).status_code == 201

        clock.advance(minutes=10)
        sensors.report({A1: True}, clock.now())
        for _ in range(500):
            if rt.hub.states("f1")[A1]["state"] == "occupied":
                break
            await asyncio.sleep(0.02)
        assert rt.hub.states("f1")[A1]["state"] == "occupied"
        sensed = (await tanaka.get("/api/me/seat")).json()["seat"]
        assert (sensed["state"], sensed["check_in_how"]) == ("checked_in", "desk sensor")

        clock.advance(minutes=21)  # 31 min after the claims: past the grace
        rt.hub.publish(await asyncio.to_thread(rt.seating.sweep))
        mine = (await tanaka.get("/api/me/seat")).json()["seat"]
        assert (mine["state"], mine["check_in_how"]) == ("checked_in", "desk sensor")
        assert (await suzuki.get("/api/me/seat")).json()["seat"] is None
        assert rt.hub.states("f1")[A2]["state"] == "free"
        assert transitions(database_url, A2)[-1] == ("held", "free", "no_show", "t0002")

    clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))  # 20:00 in Tokyo
    sensors.report({A1: False}, clock.now())
    for _ in range(500):
        if rt.hub.states("f1")[A1]["state"] == "away":
            break
        await asyncio.sleep(0.02)
    rt.hub.publish(await asyncio.to_thread(rt.seating.sweep))
    # The panel can say the day is over before anyone tries to claim.
    assert (await tanaka.get("/api/me/seat")).json() == {
        "seat": None,
        "holds_until": "2026-11-30T20:00:00+09:00",
        "claims_open": False,
    }
    assert rt.hub.states("f1")[A1]["state"] == "free"
    assert transitions(database_url, A1)[-1] == ("away", "free", "end_of_day", "t0001")
    # After the end of the day a claim would only be swept away seconds later: refused, with
    # what to do instead, by the API and by a QR scan alike; the next morning it works again.
    late = await tanaka.post("/api/seats", json={"desk": A1})
    assert late.status_code == 409
    assert late.json()["code"] == "claims_closed"
    assert late.json()["until"] == "2026-11-30T20:00:00+09:00"
    assert late.json()["detail"].startswith("Desks are held only until 20:00")
    scanned = await tanaka.post("/api/me/seat/check-in", json={"desk": A1, "how": "qr"})
    assert scanned.status_code == 409 and "claim one tomorrow" in scanned.json()["detail"]
    assert rt.hub.states("f1")[A1]["state"] == "free"
    clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))  # 09:30 the next day in Tokyo
    await sign_in_async(tanaka, "t0001")
    assert (await tanaka.post("/api/seats", json={"desk": A1})).status_code == 201


async def test_a_walk_in_is_shown_as_taken_and_cannot_be_claimed(
    sensors_and_app: tuple[Running, DeskSensors], clock: FakeClock
) -> None:
    running, sensors = sensors_and_app
    rt, client = running.rt, running.client
    sensors.report({A3: True}, clock.now())
    for _ in range(500):
        if rt.hub.states("f1")[A3]["state"] == "occupied":
            break
        await asyncio.sleep(0.02)
    await sign_in_async(client, "t0003")
    desk = (await client.get("/api/desks", params={"floor": "f1", "zone": "f1-a"})).json()
    walk_in = next(d for d in desk if d["id"] == A3)
    assert (walk_in["state"], walk_in["walk_in"]) == ("occupied", True)
    refused = await client.post("/api/seats", json={"desk": A3})
    assert refused.status_code == 409
    assert "taken by someone sitting there" in refused.json()["detail"]
    suggested = (await client.post("/api/seats/suggest", json={"limit": 10})).json()
    assert A3 not in [s["desk"] for s in suggested["suggestions"]]


@pytest.fixture
async def plain_app(database_url: str, clock: FakeClock) -> AsyncIterator[Running]:
    app = app_for(database_url, clock, seating_site(max_same_desk_days=2))
    async with in_process(app) as running:
        yield running


async def test_qr_scan_claims_and_checks_in_and_anti_fixation_moves_people_on(
    plain_app: Running, clock: FakeClock
) -> None:
    rt, client = plain_app.rt, plain_app.client
    page = await client.get(f"/checkin/{A1}")
    assert page.status_code == 200 and "/static/js/checkin.js" in page.text
    assert "チェックイン" in page.text
    desk = (await client.get(f"/api/desks/{A1}")).json()
    assert (desk["id"], desk["floor"], desk["zone"]) == (A1, "f1", "f1-a")
    english = (await client.get("/static/i18n/en.json")).json()
    assert english["checkin.checkIn"] == "Check in at this desk"
    assert (await client.get("/checkin/desk-nowhere")).status_code == 404
    nowhere = await client.get("/api/desks/desk-nowhere")
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "desk_unknown")

    signed_out = await client.post("/api/me/seat/check-in", json={"desk": A1})
    assert signed_out.status_code == 401 and "sign in" in signed_out.json()["detail"]
    for _day in range(2):
        await sign_in_async(client, "t0001")  # sessions last 12 hours: a new day, a new sign-in
        scanned = await client.post("/api/me/seat/check-in", json={"desk": A1, "how": "qr"})
        assert scanned.status_code == 200, scanned.text
        assert (scanned.json()["state"], scanned.json()["check_in_how"]) == ("checked_in", "qr")
        clock.advance(days=1)
        await asyncio.to_thread(rt.seating.sweep)  # yesterday's hold ends
    await sign_in_async(client, "t0001")
    refused = await client.post("/api/seats", json={"desk": A1})
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["days"]) == ("anti_fixation", 2)
    assert refused.json()["detail"].startswith(
        "You sat at desk 1F A-01-01 on your last 2 working days"
    )
    suggested = (await client.post("/api/seats/suggest", json={"limit": 20})).json()
    # Desks without a sensor report are unknown, never suggested as free.
    assert suggested["suggestions"] == []
    assert f"you have sat at {A1} on your last 2 working day(s)" in suggested["anti_fixation"]
    assert (await client.post("/api/seats", json={"desk": A2})).status_code == 201


async def test_without_the_csrf_header_a_signed_in_claim_is_refused(
    plain_app: Running,
) -> None:
    client = plain_app.client
    await sign_in_async(client, "t0001")
    del client.headers["X-CSRF-Token"]
    refused = await client.post("/api/seats", json={"desk": A1})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_invalid"
    assert refused.json()["header"] == "X-CSRF-Token"
    assert (await client.get("/api/me/seat")).json()["seat"] is None


async def test_facilities_see_rotation_per_department_small_groups_suppressed(
    plain_app: Running, clock: FakeClock, database_url: str
) -> None:
    rt, client = plain_app.rt, plain_app.client
    more_tax = staff(5, "tax", "x")
    seed_people(database_url, more_tax)
    # Day 1: five tax people on desks; day 2: three return to the same desk, two move.
    desks = [f"desk-f2-a-01-0{n}" for n in range(1, 5)] + ["desk-f2-b-01-01"]
    moved = ["desk-f2-b-01-02", "desk-f2-b-01-03"]
    for day_desks in (desks, desks[:3] + moved):
        for person, desk in zip(more_tax, day_desks, strict=True):  # a new day, a new sign-in
            async with plain_app.new_client() as someone:
                await sign_in_async(someone, person.staff_id)
                r = await someone.post("/api/me/seat/check-in", json={"desk": desk})
                assert r.status_code == 200, r.text
        clock.advance(days=1)
        await asyncio.to_thread(rt.seating.sweep)
    async with plain_app.new_client() as welfare:
        await sign_in_async(welfare, "w0001")
        assert (await welfare.post("/api/me/seat/check-in", json={"desk": B1})).status_code == 200
        staff_view = await welfare.get("/api/seats/rotation")
        assert staff_view.status_code == 403

    await sign_in_async(client, "fac1")
    figures = {r["department"]: r for r in (await client.get("/api/seats/rotation")).json()}
    assert figures["tax"]["people"] == 5 and figures["tax"]["working_days"] == 10
    assert figures["tax"]["same_desk_as_before"] == 3
    assert figures["tax"]["rotation"] == pytest.approx(0.4)
    assert figures["tax"]["longest_streak"] == 2
    assert figures["welfare"]["rotation"] is None, "one person: no figure that singles them out"


async def test_suggestions_use_where_my_laptop_is_only_when_i_share_it(
    broker: MosquittoBroker, database_url: str, clock: FakeClock
) -> None:
    from firmware_config.site import AccessPoint

    site = seating_site()
    floors = list(site.buildings[0].floors)
    # An access point at the far (east) end of zone f1-a, beside A4.
    east = AccessPoint(id="ap-f1-east", x=9.5, y=2, bssids=["02:00:00:00:00:01"])
    floors[0] = floors[0].model_copy(update={"access_points": [east]})
    building = site.buildings[0].model_copy(update={"floors": floors})
    site = site.model_copy(update={"buildings": [building]})
    sensors = DeskSensors(broker.url, site)
    try:
        async with in_process(app_for(database_url, clock, site, broker.url)) as running:
            await free_desks(running.rt, sensors, F1_DESKS, clock.now())
            client = running.client
            await sign_in_async(client, "t0001")
            ask = {"floor": "f1", "zone": "f1-a", "limit": 4, "use_shared_location": True}
            not_shared = (await client.post("/api/seats/suggest", json=ask)).json()
            assert all(
                r["code"] != "nearby" for s in not_shared["suggestions"] for r in s["reasons"]
            ), "no distance without an opt-in"
            assert (await client.post("/api/presence/share")).status_code == 200
            reported = await client.post(
                "/api/presence/whereami", json={"bssid": "02:00:00:00:00:01"}
            )
            assert reported.status_code == 200, reported.text
            shared = (await client.post("/api/seats/suggest", json=ask)).json()["suggestions"]
            assert [s["desk"] for s in shared] == [A4, A3, A2, A1]
            assert shared[0]["reasons"][-1] == {
                "code": "nearby",
                "text": "4 m from where you are",
                "facts": {"metres": 4},
            }
    finally:
        sensors.close()
