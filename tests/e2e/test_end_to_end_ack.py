"""End-to-end acknowledgement on real parts: an agent forgets an event only when the server has
recorded it, so a broker crash that loses what it held costs nothing, and an agent whose outbox
was wiped continues above the epoch the server last saw instead of being ignored.
"""

import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx

from edge_agent.runtime import Outbox
from edge_agent.sensors import QueuedSource
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.e2e.test_faults import (
    agent_config,
    agents_running,
    desk_states,
    query,
    start_agent_process,
)
from tests.support import ContractListener, ServerThread, small_site, wait_until


def broker_connected(server: ServerThread) -> bool:
    return bool(httpx.get(f"{server.url}/api/health").json()["broker_connected"])


def test_events_the_broker_took_survive_its_crash_before_the_server_applied_them(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    site = small_site()
    gateway = "gw-f1-a"
    desks = sorted(next(d for d in site.devices if d.id == gateway).desks)
    config = agent_config(tmp_path / "agent.yaml", site, gateway, broker.url)
    source = QueuedSource()
    settings = Settings(
        database_url=database_url, broker_url=broker.url, mqtt_client_id="e2e-ack-server"
    )
    pushed: dict[str, bool] = {}

    def sense_round() -> None:
        now = datetime.now(UTC)
        for desk in desks:
            pushed[desk] = not pushed.get(desk, False)
            source.push(desk, pushed[desk], now)

    def presence_events() -> list[tuple[object, ...]]:
        return query(
            database_url,
            "SELECT device, epoch, seq FROM event_log WHERE type = 'desk.presence_changed'",
        )

    # A short resend timeout: whichever of agent and server reaches the restarted broker first,
    # what the agent sent to a broker with no subscriber yet goes again within seconds.
    with agents_running({gateway: config}, {gateway: source}, broker.url, resend_after_s=2.0):
        with ServerThread(create_app(settings, site=site)) as server:
            wait_until(lambda: broker_connected(server), what="server subscribed at the broker")
            sense_round()
            wait_until(
                lambda: len(presence_events()) == len(desks),
                what="the first readings in the event log",
                timeout=30,
            )
        # The server is stopped; its persistent session queues at the broker what comes now.
        listener = ContractListener(
            broker.host, broker.port, f"freeseat/v1/{site.site.id}/desk/{gateway}/event"
        )
        try:
            for _ in range(3):
                sense_round()
            wait_until(
                lambda: len(listener.messages) >= 3 * len(desks),
                what="the broker taking (and so acknowledging) the readings",
            )
        finally:
            listener.close()
        # A crash before any autosave: the broker comes back with nothing it held in memory.
        broker.kill()
        for saved in broker.workdir.glob("*.db"):
            saved.unlink()
        broker.start()
        with ServerThread(create_app(settings, site=site)) as server:
            wait_until(
                lambda: len(presence_events()) >= 4 * len(desks),
                what="the readings the broker lost, sent again by the agent",
                timeout=60,
            )
            events = presence_events()
            states = desk_states(server.url, "f1")

    assert len(events) == 4 * len(desks), "every reading logged once: none lost, none twice"
    assert len(set(events)) == len(events)
    expected = {desk: "occupied" if present else "free" for desk, present in pushed.items()}
    assert {desk: states[desk][0] for desk in desks} == expected
    with Outbox(tmp_path / f"{gateway}.outbox.sqlite") as outbox:
        assert len(outbox) == 0, "the server's watermark emptied the outbox"


def test_an_agent_whose_outbox_was_wiped_continues_above_the_epoch_the_server_saw(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    site = small_site()
    gateway = "gw-f2-a"
    desks = sorted(next(d for d in site.devices if d.id == gateway).desks)
    config = agent_config(tmp_path / "agent.yaml", site, gateway, broker.url, heartbeat_s=1.0)
    settings = Settings(
        database_url=database_url, broker_url=broker.url, mqtt_client_id="e2e-wipe-server"
    )
    log = tmp_path / "agent.log"

    def boots() -> list[tuple[object, ...]]:
        return query(
            database_url,
            "SELECT epoch, applied FROM event_log WHERE device = :d AND type = 'device.booted'"
            " ORDER BY epoch",
            d=gateway,
        )

    def run_until_booted(epoch: int) -> None:
        agent = start_agent_process(config, log)
        try:
            wait_until(
                lambda: any(e == epoch for e, _ in boots()),
                what=f"the agent's boot in epoch {epoch} in the event log",
                timeout=30,
            )
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=15)

    with ServerThread(create_app(settings, site=site)) as server:
        wait_until(lambda: broker_connected(server), what="server subscribed at the broker")
        run_until_booted(1)
        run_until_booted(2)
        # A new SD card: the outbox and its boot counter are gone.
        for part in tmp_path.glob(f"{gateway}.outbox.sqlite*"):
            part.unlink()
        agent = start_agent_process(config, log)
        try:
            wait_until(
                lambda: (3, True) in [(e, bool(a)) for e, a in boots()],
                what="the wiped agent's boot applied in epoch 3, above what the server saw",
                timeout=30,
            )
            wait_until(
                lambda: all(desk_states(server.url, "f2")[d][0] != "unknown" for d in desks),
                what="the wiped agent's desks known from its heartbeat",
                timeout=30,
            )
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=15)
    assert [e for e, _ in boots()] == [1, 2, 3], "the wiped agent never reused an old epoch"
    assert all(applied for _, applied in boots())
    device = query(database_url, "SELECT epoch FROM devices WHERE id = :id", id=gateway)
    assert device == [(3,)]
