"""The ingest handler on a real SQLite database: exactly-once, order-safe, nothing lost."""

import json
import threading
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select, text

from contracts import DeskPresenceChanged, DeviceState, DeviceStatus, build_topic, encode
from server.adapters.database import make_engine, upgrade
from server.adapters.repository import SqlStore
from server.adapters.tables import (
    Base,
    DeskRow,
    DeskTransitionRow,
    DeviceRow,
    EventRow,
    QuarantineRow,
)
from server.domain.occupancy import DeskState
from server.services.ingest import Ingest
from server.services.ingest_batch import BatchOutcome, Inbound
from server.services.liveness import LivenessSweep
from server.services.site_index import SiteIndex
from tests.fakes import FakeClock
from tests.support import small_site, wait_until

SITE = small_site()
INDEX = SiteIndex.from_site(SITE)
GW = "gw-f1-a"
DESK = "desk-f1-a-01-01"
EVENT_TOPIC = build_topic("testhall", "desk", GW, "event")


class Harness:
    def __init__(self, store: SqlStore, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.ingest = Ingest(INDEX, store)
        self.sweep = LivenessSweep(INDEX, store, clock)

    def send(self, topic: str, payload: bytes) -> None:
        self.ingest.apply_batch([Inbound(topic, payload, self.clock.now())])

    def presence(self, seq: int, present: bool, epoch: int = 1, desk: str = DESK) -> bytes:
        return encode(
            DeskPresenceChanged(
                device=GW,
                epoch=epoch,
                seq=seq,
                at=self.clock.now(),
                desk=desk,
                present=present,
                sensor="mmwave",
            )
        )

    def state(self, desk: str = DESK) -> DeskState:
        with self.store.transaction() as tx:
            status = tx.desk(desk)
            assert status is not None
            return status.state

    def count(self, table: type[Base]) -> int:
        with self.store.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def harness(database_url: str, clock: FakeClock) -> Iterator[Harness]:
    url = database_url
    upgrade(url)
    engine = make_engine(url)
    store = SqlStore(engine)
    store.seed_desks(INDEX.desk_floor, clock.now())
    yield Harness(store, clock)
    engine.dispose()


def test_desks_start_unknown_not_free(harness: Harness) -> None:
    assert harness.state() is DeskState.UNKNOWN


def test_presence_then_absence(harness: Harness) -> None:
    harness.send(EVENT_TOPIC, harness.presence(1, True))
    assert harness.state() is DeskState.OCCUPIED
    harness.send(EVENT_TOPIC, harness.presence(2, False))
    assert harness.state() is DeskState.FREE
    with harness.store.engine.connect() as conn:
        reasons = [
            r.reason for r in conn.execute(select(DeskTransitionRow).order_by(DeskTransitionRow.id))
        ]
    assert reasons == ["walk_in", "nobody_present"]


def test_duplicate_is_stored_and_applied_once(harness: Harness) -> None:
    payload = harness.presence(1, True)
    harness.send(EVENT_TOPIC, payload)
    harness.send(EVENT_TOPIC, payload)
    outcome = harness.ingest.apply_batch([Inbound(EVENT_TOPIC, payload, harness.clock.now())] * 3)
    assert outcome.duplicates == 3 and outcome.applied == 0
    assert harness.count(EventRow) == 1
    assert harness.count(DeskTransitionRow) == 1


def test_older_event_is_logged_but_not_applied(harness: Harness) -> None:
    harness.send(EVENT_TOPIC, harness.presence(5, False))
    harness.send(EVENT_TOPIC, harness.presence(4, True))  # arrives late: must not flip the desk
    assert harness.state() is DeskState.FREE
    assert harness.count(EventRow) == 2
    harness.send(EVENT_TOPIC, harness.presence(0, True, epoch=2))  # a reboot starts a new epoch
    assert harness.state() is DeskState.OCCUPIED


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (EVENT_TOPIC, b"{broken", "payload is not JSON"),
        (build_topic("testhall", "desk", "gw-zz", "event"), None, "unknown device 'gw-zz'"),
        (build_topic("otherhall", "desk", GW, "event"), None, "not this server's site"),
        (
            build_topic("testhall", "room", GW, "event"),
            None,
            "is a desk device but published as room",
        ),
    ],
)
def test_bad_messages_are_quarantined_with_reason_and_the_next_flows(
    harness: Harness, topic: str, payload: bytes | None, reason: str
) -> None:
    bad = payload
    if bad is None:
        body = json.loads(harness.presence(1, True))
        body["device"] = topic.split("/")[4]
        bad = json.dumps(body).encode()
    outcome = harness.ingest.apply_batch(
        [
            Inbound(topic, bad, harness.clock.now()),
            Inbound(EVENT_TOPIC, harness.presence(1, True), harness.clock.now()),
        ]
    )
    assert outcome.quarantined == 1 and outcome.applied == 1
    assert harness.state() is DeskState.OCCUPIED
    with harness.store.engine.connect() as conn:
        row = conn.execute(select(QuarantineRow)).one()
    assert reason in row.reason
    assert row.payload == bad and row.topic == topic


def test_device_may_not_report_a_desk_it_does_not_serve(harness: Harness) -> None:
    harness.send(EVENT_TOPIC, harness.presence(1, True, desk="desk-f1-b-01-01"))
    assert harness.state("desk-f1-b-01-01") is DeskState.UNKNOWN
    assert harness.count(QuarantineRow) == 1


def test_offline_device_makes_its_desks_unknown_but_a_late_will_does_not(harness: Harness) -> None:
    status_topic = build_topic("testhall", "desk", GW, "status")
    harness.send(EVENT_TOPIC, harness.presence(1, False, epoch=3))
    assert harness.state() is DeskState.FREE
    late_will = DeviceStatus(device=GW, epoch=2, status="offline", at=harness.clock.now())
    harness.send(status_topic, encode(late_will))
    assert harness.state() is DeskState.FREE
    harness.send(
        status_topic,
        encode(DeviceStatus(device=GW, epoch=3, status="offline", at=harness.clock.now())),
    )
    assert harness.state() is DeskState.UNKNOWN
    assert harness.state("desk-f1-a-01-02") is DeskState.UNKNOWN


def test_silent_sensor_becomes_unknown_after_ttl_and_heartbeat_restores(harness: Harness) -> None:
    harness.send(EVENT_TOPIC, harness.presence(1, False))
    ttl = INDEX.devices[GW].ttl_s
    harness.clock.advance(ttl - 1)
    assert not harness.sweep.run().changes
    assert harness.state() is DeskState.FREE
    harness.clock.advance(2)
    changed = harness.sweep.run().changes
    assert harness.state() is DeskState.UNKNOWN
    assert DESK in changed and "silent" in changed[DESK].reason
    beat = DeviceState(
        device=GW, epoch=1, seq=1, at=harness.clock.now(), interval_s=60, desks={DESK: True}
    )
    harness.send(build_topic("testhall", "desk", GW, "state"), encode(beat))
    assert harness.state() is DeskState.OCCUPIED


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_sweep_waiting_on_a_desk_neither_deadlocks_nor_stalls_ingest(harness: Harness) -> None:
    """Only PostgreSQL locks rows (SQLite has one writer at a time, so there is no cycle)."""
    first, second = DESKS[0], DESKS[1]
    harness.send(EVENT_TOPIC, harness.presence(1, False, desk=second))
    harness.clock.advance(INDEX.devices[GW].ttl_s + 1)  # the gateway now looks silent
    finished: dict[str, object] = {}

    def run(name: str, work: Callable[[], object]) -> threading.Thread:
        def target() -> None:
            try:
                finished[name] = work()
            except Exception as exc:  # the assertion below shows it
                finished[name] = exc

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread

    engine = harness.store.engine
    with engine.connect() as holder:  # someone (a seat claim, say) holds the first desk
        holder.execute(select(DeskRow).where(DeskRow.id == first).with_for_update())
        sweep = run("sweep", harness.sweep.run)
        wait_until(lambda: _waiting_on_locks(engine) == 1, 10, "the sweep to wait for the desk")
        # Meanwhile the gateway speaks for its second desk: a batch takes that desk, then the
        # gateway's row. A sweep that had locked devices first would hold it up until the
        # holder let go, and then deadlock with it over the second desk.
        batch = run(
            "batch", lambda: harness.send(EVENT_TOPIC, harness.presence(2, True, desk=second))
        )
        batch.join(10)
        assert "batch" in finished and finished["batch"] is None, finished.get("batch")
        holder.rollback()
    sweep.join(10)
    outcome = finished.get("sweep")
    assert isinstance(outcome, BatchOutcome), outcome
    # The gateway reported while the sweep waited: under the lock it is no longer silent.
    assert outcome.changes == {}
    assert harness.state(second) is DeskState.OCCUPIED


def _waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as conn:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return int(conn.execute(query).scalar_one())


def _restart(harness: Harness) -> Harness:
    """The database as new again: every desk seeded, never reported."""
    with harness.store.engine.begin() as conn:
        for table in (DeskTransitionRow, EventRow, QuarantineRow, DeviceRow, DeskRow):
            conn.execute(delete(table))
    harness.store.seed_desks(INDEX.desk_floor, harness.clock.now())
    return harness


DESKS = sorted(INDEX.devices[GW].desks)
STREAM = st.lists(st.tuples(st.sampled_from(DESKS), st.booleans()), min_size=1, max_size=25)


# One database per test, emptied for each example (`_restart`), so it runs on both backends.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=STREAM, data=st.data())
def test_any_permutation_with_duplicates_gives_the_ordered_result(
    harness: Harness, stream: list[tuple[str, bool]], data: st.DataObject
) -> None:
    ordered = _restart(harness)
    events = [
        ordered.presence(seq, present, desk=desk) for seq, (desk, present) in enumerate(stream)
    ]
    for payload in events:
        ordered.send(EVENT_TOPIC, payload)

    shuffled = data.draw(
        st.permutations(events + data.draw(st.lists(st.sampled_from(events), max_size=10)))
    )
    batch_size = data.draw(st.integers(min_value=1, max_value=8))
    expected = {d: ordered.state(d) for d in DESKS}
    other = _restart(harness)
    for start in range(0, len(shuffled), batch_size):
        other.ingest.apply_batch(
            [
                Inbound(EVENT_TOPIC, p, other.clock.now())
                for p in shuffled[start : start + batch_size]
            ]
        )
    assert {d: other.state(d) for d in DESKS} == expected
    assert other.count(EventRow) == len(events)
