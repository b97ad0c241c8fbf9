"""What ingest does not take at its word: a reused event id, a device's clock far off."""

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from server.adapters.database import make_engine, upgrade
from server.adapters.repository import SqlStore
from server.adapters.tables import EventRow, QuarantineRow
from server.domain.occupancy import DeskState
from server.services.ingest_batch import Inbound
from tests.fakes import FakeClock
from tests.integration.test_ingest import DESK, EVENT_TOPIC, INDEX, Harness


class Guarded(Harness):
    def inbound(self, payload: bytes) -> Inbound:
        return Inbound(EVENT_TOPIC, payload, self.clock.now())

    def presence_at(self, seq: int, present: bool, at: datetime) -> bytes:
        event = json.loads(self.presence(seq, present))
        return json.dumps({**event, "at": at.isoformat()}).encode()


@pytest.fixture
def guarded(database_url: str, clock: FakeClock) -> Iterator[Guarded]:
    upgrade(database_url)
    engine = make_engine(database_url)
    store = SqlStore(engine)
    store.seed_desks(INDEX.desk_floor, clock.now())
    yield Guarded(store, clock)
    engine.dispose()


def test_a_reused_event_id_with_other_content_is_quarantined_as_a_conflict(
    guarded: Guarded,
) -> None:
    h = guarded
    first = h.presence(5, True)
    h.send(EVENT_TOPIC, first)
    # Redelivered as sent, and as another agent version may write it (other key order and
    # spacing): the same event, a duplicate.
    reordered = json.dumps(dict(reversed(json.loads(first).items())), indent=1).encode()
    redelivered = h.ingest.apply_batch([h.inbound(first), h.inbound(reordered)])
    assert (redelivered.duplicates, redelivered.quarantined) == (2, 0)
    # The same id saying the desk is empty: not the same event.
    h.clock.advance(60)
    conflicting = h.ingest.apply_batch([h.inbound(h.presence(5, False))])
    assert conflicting.duplicates == 0
    assert conflicting.quarantine_kinds == {"conflict": 1}
    assert h.state() is DeskState.OCCUPIED, "the conflicting reading is not applied"
    with h.store.engine.connect() as conn:
        reason = conn.execute(select(QuarantineRow.reason)).scalar_one()
        logged = conn.execute(select(EventRow.payload)).scalars().all()
    assert reason == "event gw-f1-a:1:5 was logged before with different content"
    assert logged == [first.decode()], "the log keeps the first"


def test_a_device_clock_far_off_does_not_date_the_desk(guarded: Guarded) -> None:
    h = guarded
    now = h.clock.now()
    tomorrow = h.presence_at(1, True, now + timedelta(days=1))
    h.send(EVENT_TOPIC, tomorrow)
    with h.store.transaction() as tx:
        desk = tx.desk(DESK)
        device = tx.device("gw-f1-a")
    assert desk is not None and desk.state is DeskState.OCCUPIED
    assert desk.since == now, "the receive time, not the device's tomorrow"
    assert device is not None and device.clock_skewed == 1
    assert device.clock_skew_s == pytest.approx(86400)
    # Within the allowed skew the device's own time stands (it saw the change first).
    h.clock.advance(600)
    h.send(EVENT_TOPIC, h.presence_at(2, False, h.clock.now() - timedelta(seconds=30)))
    with h.store.transaction() as tx:
        desk = tx.desk(DESK)
        device = tx.device("gw-f1-a")
    assert desk is not None and desk.since == h.clock.now() - timedelta(seconds=30)
    assert device is not None and device.clock_skewed == 1
