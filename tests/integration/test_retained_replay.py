"""After a server restart the broker replays what it kept: that must not make a dead or revoked
device look alive, and an offline node's desks stay unknown whatever order its retained
messages come in (issue 15 point 7, issue 17 point 2).

Real parts: the session's Mosquitto (retained messages, the server's persistent session), the
server (uvicorn) restarted on the same database, its TTL sweep on an injected clock.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from contracts import Channel, DeviceState, DeviceStatus, build_topic, encode
from firmware_config.site import Device, EsphomeSource, Site, Zigbee2MqttSource
from server.adapters.database import make_engine
from server.adapters.device_admin import SqlRevocations
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.services.device_registry import Revocation
from server.settings import Settings
from tests.fakes import FakeClock
from tests.off_the_shelf_support import (
    Publisher,
    metric,
    quarantined,
    site_with,
    state_of,
    wait_state,
)
from tests.support import METRICS_TOKEN, ServerThread, small_site, wait_until

GW = "gw-f1-a"
GW_DESKS = [f"desk-f1-a-01-0{n}" for n in range(1, 5)]
TTL_S = 600  # the mmWave TTL of the gateway and the nodes
ESP_DESK, Z2M_DESK = "desk-f2-b-01-01", "desk-f2-b-01-02"
REPLAYS_IGNORED = 'freeseat_ingest_ignored_total{kind="retained_replay"}'


def replay_site() -> Site:
    return site_with(
        [
            Device(
                id="esp-f2-b-01",
                kind="desk",
                sensor="mmwave",
                esphome=EsphomeSource(prefix="esp-f2-b-01", binary_sensors={"presence": ESP_DESK}),
            ),
            Device(
                id="z2m-f2-b-02",
                kind="desk",
                sensor="mmwave",
                zigbee2mqtt=Zigbee2MqttSource(friendly_name="desk 02", desk=Z2M_DESK),
            ),
        ]
    )


@contextmanager
def server(
    broker: MosquittoBroker,
    database_url: str,
    clock: FakeClock,
    site: Site,
    session: str = "replay-server",
) -> Iterator[ServerThread]:
    """A server resuming the persistent MQTT session `session` (what it missed is queued)."""
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        mqtt_client_id=session,
        metrics_token=METRICS_TOKEN,
        sweep_interval_s=0.05,
    )
    with ServerThread(create_app(settings, clock=clock, site=site)) as running:
        wait_until(lambda: metric(running, "freeseat_broker_connected") == 1, what="subscribed")
        yield running


def gateway_reports(publisher: Publisher, clock: FakeClock, present: bool) -> None:
    """The gateway's birth and heartbeat, retained as the agent publishes them."""
    now = clock.now()
    status = DeviceStatus(device=GW, epoch=1, status="online", at=now)
    state = DeviceState(
        device=GW, epoch=1, seq=1, at=now, interval_s=30, desks=dict.fromkeys(GW_DESKS, present)
    )
    for channel, body in ((Channel.STATUS, status), (Channel.STATE, state)):
        topic = build_topic("testhall", "desk", GW, channel)
        publisher.send(topic, encode(body).decode(), retain=True)


def gateway_seen_free(
    broker: MosquittoBroker, database_url: str, clock: FakeClock, publisher: Publisher
) -> None:
    """A first run of the server: the gateway reports its desks free, then the server stops."""
    with server(broker, database_url, clock, small_site()) as first:
        gateway_reports(publisher, clock, present=False)
        wait_state(first, GW_DESKS[0], "free")


@pytest.fixture
def publisher(broker: MosquittoBroker) -> Iterator[Publisher]:
    sender = Publisher(broker)
    yield sender
    sender.close()


def test_a_dead_devices_retained_birth_and_heartbeat_do_not_restart_its_ttl(
    broker: MosquittoBroker, database_url: str, clock: FakeClock, publisher: Publisher
) -> None:
    site = small_site()
    gateway_seen_free(broker, database_url, clock, publisher)
    # The gateway dies without a will reaching anyone; the server is down past its TTL.
    clock.advance(TTL_S + 60)
    with server(broker, database_url, clock, site) as second:
        # Replayed on the server's new subscription, both are judged old news ...
        wait_until(lambda: metric(second, REPLAYS_IGNORED) == 2, what="the replays judged")
        # ... and the sweep shows the silence instead of free desks for another 10 minutes.
        for desk in GW_DESKS:
            assert wait_state(second, desk, "unknown") == "sensor_silent"


def test_a_reboot_the_server_missed_counts_from_when_the_device_said_it(
    broker: MosquittoBroker, database_url: str, clock: FakeClock, publisher: Publisher
) -> None:
    site = small_site()
    gateway_seen_free(broker, database_url, clock, publisher)
    # While the server is down the gateway reboots (epoch 2) and then dies.
    clock.advance(minutes=8)
    now = clock.now()
    reboot = DeviceState(
        device=GW, epoch=2, seq=1, at=now, interval_s=30, desks=dict.fromkeys(GW_DESKS, True)
    )
    topic = build_topic("testhall", "desk", GW, Channel.STATE)
    publisher.send(topic, encode(reboot).decode(), retain=True)
    clock.advance(minutes=5)
    # A new session (its old one expired, or a new host): only the retained heartbeat tells.
    with server(broker, database_url, clock, site, session="replay-server-2") as second:
        # Newer than what the server knew: applied, as of when the gateway said it ...
        wait_state(second, GW_DESKS[0], "occupied")
        clock.advance(TTL_S - 5 * 60 + 1)
        # ... so its TTL ends 10 minutes after the reboot, not after the replay.
        assert wait_state(second, GW_DESKS[0], "unknown") == "sensor_silent"


def test_a_revoked_device_stays_offline_whatever_the_broker_kept(
    broker: MosquittoBroker, database_url: str, clock: FakeClock, publisher: Publisher
) -> None:
    site = small_site()
    with server(broker, database_url, clock, site) as first:
        gateway_reports(publisher, clock, present=False)
        wait_state(first, GW_DESKS[0], "free")
        # Revoked (the registry's record; the broker's credential files are another test's).
        engine = make_engine(database_url)
        SqlRevocations(engine).add(Revocation(GW, clock.now(), "demo-admin"))
        engine.dispose()
        for desk in GW_DESKS:
            assert wait_state(first, desk, "unknown") == "sensor_offline"
    # After a restart within the TTL, its retained birth and heartbeat are replayed.
    clock.advance(minutes=1)
    with server(broker, database_url, clock, site) as second:
        wait_until(
            lambda: metric(second, 'freeseat_quarantined_total{kind="revoked"}') == 2,
            what="the revoked device's replays quarantined",
        )
        assert {state_of(second, desk) for desk in GW_DESKS} == {("unknown", "sensor_offline")}
        # Even fresh words from it change nothing.
        gateway_reports(publisher, clock, present=True)
        wait_until(
            lambda: metric(second, 'freeseat_quarantined_total{kind="revoked"}') == 4,
            what="its live messages quarantined",
        )
        assert state_of(second, GW_DESKS[0]) == ("unknown", "sensor_offline")
    reasons = {reason for _, reason in quarantined(database_url)}
    assert reasons == {f"device {GW!r} was revoked: nothing it sends is applied"}


ESP_WILL = ("esp-f2-b-01/status", "offline")
ESP_ON = ("esp-f2-b-01/binary_sensor/presence/state", "ON")
BRIDGE_DOWN = ("zigbee2mqtt/bridge/state", '{"state":"offline"}')
Z2M_ON = ("zigbee2mqtt/desk 02", '{"presence":true,"linkquality":90}')
Z2M_WILL = ("zigbee2mqtt/desk 02/availability", '{"state":"offline"}')


@pytest.mark.parametrize("will_first", [True, False], ids=["will-first", "presence-first"])
def test_an_offline_nodes_desks_are_unknown_whatever_order_the_broker_replays(
    broker: MosquittoBroker,
    database_url: str,
    clock: FakeClock,
    publisher: Publisher,
    will_first: bool,
) -> None:
    # Retained before the server subscribes: what a restarted server finds at the broker.
    # Mosquitto replays an ESPHome node's topics (one `prefix/#` subscription) in the order
    # they were first published; the Zigbee2MQTT topics come per subscription, in its order.
    for will, presence in ((ESP_WILL, ESP_ON), (BRIDGE_DOWN, Z2M_ON)):
        for topic, payload in (will, presence) if will_first else (presence, will):
            publisher.send(topic, payload, retain=True)
    publisher.send(*Z2M_WILL, retain=True)

    def replayed_and_unknown() -> bool:
        judged = (metric(running, "freeseat_ingest_applied_total") or 0) + (
            metric(running, REPLAYS_IGNORED) or 0
        )
        shown = {state_of(running, desk)[0] for desk in (ESP_DESK, Z2M_DESK)}
        return judged == 2 and shown == {"unknown"}

    with server(broker, database_url, clock, replay_site()) as running:
        # Both presences judged, and neither desk shows what a dead node said last.
        wait_until(replayed_and_unknown, what="the replay judged and both desks unknown")
        # Which order came: a presence after its node's will was left out, never shown.
        reason = "no_report" if will_first else "sensor_offline"
        assert state_of(running, ESP_DESK) == ("unknown", reason)


def test_a_node_first_heard_through_its_retained_birth_and_presence_is_shown(
    broker: MosquittoBroker, database_url: str, clock: FakeClock, publisher: Publisher
) -> None:
    publisher.send("esp-f2-b-01/status", "online", retain=True)
    publisher.send(*ESP_ON, retain=True)
    with server(broker, database_url, clock, replay_site()) as running:
        # Nothing newer is known of it: its retained word is all there is, and its TTL runs.
        wait_state(running, ESP_DESK, "occupied")
        clock.advance(TTL_S + 1)
        assert wait_state(running, ESP_DESK, "unknown") == "sensor_silent"
