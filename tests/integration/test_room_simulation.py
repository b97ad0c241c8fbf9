"""The simulated rooms: monitors over a real broker, hosts booking and pairing over HTTP."""

from pathlib import Path
from typing import Any

import httpx

from edge_agent.room_simulation import RoomSimulation
from edge_agent.runtime import ConnectionSettings
from server.adapters.embedded_broker import MosquittoBroker
from server.adapters.system_clock import SystemClock
from tests.room_support import ROOM, client_as, room_server, room_site
from tests.support import ServerThread, wait_until


def rooms_now(server: ServerThread) -> dict[str, dict[str, Any]]:
    with client_as(server, "demo-facilities") as facilities:
        return {r["id"]: r for r in facilities.get("/api/rooms").json()}


def test_simulated_hosts_book_pair_and_share_and_monitors_report(
    database_url: str, broker: MosquittoBroker, tmp_path: Path
) -> None:
    # The simulated hosts act on the server's own clock, so both use the real one.
    with room_server(database_url, SystemClock(), broker_url=broker.url) as server:
        wait_until(
            lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
            what="server subscribed",
        )
        cycles = [0.0]
        simulation = RoomSimulation(
            room_site(), server_url=server.url, seed=3, cycle_s=1.0, monotonic=lambda: cycles[0]
        )
        simulation.open(
            tmp_path, ConnectionSettings(broker_url=broker.url), epoch_floor=1, heartbeat_s=5
        )
        try:
            assert simulation.wait_ready(30) and not simulation.stats.errors
            stats = simulation.stats
            assert stats.rooms == 2 and stats.bookings >= 2
            with client_as(server, "demo-facilities") as facilities:
                sessions = facilities.get("/api/sessions").json()
                assert len(sessions) == stats.sessions
                for session in sessions:
                    assert session["materials"][0]["kind"] == "agenda"
                    assert session["pages_shared"] == 1 and session["booking_id"] is not None
                booked = sum(
                    len(facilities.get(f"/api/rooms/{room}/bookings").json())
                    for room in rooms_now(server)
                )
            assert booked == stats.bookings
            wait_until(
                lambda: (rooms_now(server)[ROOM]["status"] or {}).get("display_connected"),
                what="the monitor's display reported over the broker",
            )
            started = stats.sessions
            for _ in range(60):  # cycles pass: meetings end, walk-in meetings start
                cycles[0] += 1.5
                simulation.tick()
                if stats.ended and stats.sessions > started:
                    break
            assert stats.ended and stats.sessions > started
        finally:
            simulation.stop()
