"""The outbox keeps a row the broker took until the server's watermark names it; rows the server
has not recorded go again after a reconnect or a timeout; a wiped outbox continues above the
server's epoch. paho is replaced by a recording publisher and time by an injected clock."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paho.mqtt.reasoncodes import ReasonCode

from contracts import AppliedRange, DeviceBooted, decode, encode
from edge_agent.runtime import Outbox
from edge_agent.runtime.delivery import ONLINE, OutboxDelivery
from edge_agent.runtime.publisher import _with_epoch
from server.adapters.watermarks import Watermarks
from server.services.recorded import RecordedSeqs, ranges
from server.services.site_index import SiteIndex
from tests.fakes import FakeClock
from tests.support import small_site

SUCCESS = ReasonCode(4, "Success")  # PacketTypes.PUBACK == 4
TOPIC = "freeseat/v1/hall/desk/gw-1/event"


@dataclass
class Info:
    mid: int


@dataclass
class RecordingClient:
    """Stands in for paho: remembers what was published and hands out mids."""

    sent: list[tuple[int, bytes]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes, qos: int = 0, **_: Any) -> Info:
        self.sent.append((len(self.sent) + 1, payload))
        return Info(len(self.sent))

    def seqs(self) -> list[int]:
        return [json.loads(payload)["seq"] for _, payload in self.sent]


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def booted(epoch: int, seq: int) -> bytes:
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    return encode(DeviceBooted(device="gw-1", epoch=epoch, seq=seq, at=at, version="1"))


def online(
    tmp_path: Path, rows: int, resend_after_s: float = 30.0
) -> tuple[Outbox, OutboxDelivery, RecordingClient, Monotonic]:
    outbox = Outbox(tmp_path / "box.sqlite")
    for _ in range(rows):
        outbox.append(TOPIC, booted)
    client = RecordingClient()
    clock = Monotonic()
    delivery = OutboxDelivery(
        outbox,
        client,  # type: ignore[arg-type]
        device="gw-1",
        window=100,
        on_online=lambda: None,
        resend_after_s=resend_after_s,
        monotonic=clock,
    )
    delivery.track(999, ONLINE)
    delivery.on_publish(None, None, 999, SUCCESS, None)  # type: ignore[arg-type]
    return outbox, delivery, client, clock


def puback_all(delivery: OutboxDelivery, client: RecordingClient) -> None:
    for mid, _ in client.sent:
        delivery.on_publish(None, None, mid, SUCCESS, None)  # type: ignore[arg-type]


def test_a_row_the_broker_took_stays_until_the_server_names_it(tmp_path: Path) -> None:
    outbox, delivery, client, _ = online(tmp_path, 5)
    puback_all(delivery, client)
    assert len(outbox) == 5, "a PUBACK alone deletes nothing"
    assert delivery.acked == 5

    deleted = delivery.applied_ranges([AppliedRange(epoch=outbox.epoch, first=1, last=3)])
    assert deleted == 3
    assert [row.seq for row in outbox.pending()] == [4, 5]


def test_a_gap_the_broker_lost_is_not_covered_by_later_rows(tmp_path: Path) -> None:
    outbox, delivery, _, _ = online(tmp_path, 6)
    epoch = outbox.epoch
    # The server recorded 1-2 and 5-6; 3-4 were dropped by the broker.
    delivery.applied_ranges(
        [AppliedRange(epoch=epoch, first=1, last=2), AppliedRange(epoch=epoch, first=5, last=6)]
    )
    assert [row.seq for row in outbox.pending()] == [3, 4]
    # A watermark for another epoch (an earlier life's) deletes nothing of this one.
    assert delivery.applied_ranges([AppliedRange(epoch=epoch + 1, first=1, last=9)]) == 0


def test_a_row_the_server_skipped_goes_again_after_the_timeout_and_the_wait_doubles(
    tmp_path: Path,
) -> None:
    outbox, delivery, client, clock = online(tmp_path, 4, resend_after_s=30.0)
    puback_all(delivery, client)
    assert client.seqs() == [1, 2, 3, 4]
    clock.now += 1
    # The server recorded 2-4: the broker lost 1 (a full queue, a crash).
    delivery.applied_ranges([AppliedRange(epoch=outbox.epoch, first=2, last=4)])

    clock.now += 28
    assert not delivery.resend_if_due()
    clock.now += 2
    assert delivery.resend_if_due()
    assert client.seqs()[4:] == [1], "only what is left, in order"

    # Still not recorded: the next resend waits twice as long.
    clock.now += 1
    delivery.applied_ranges([])  # a watermark about other rows: the server is alive
    clock.now += 31
    assert not delivery.resend_if_due()
    clock.now += 30
    assert delivery.resend_if_due()
    assert delivery.resends == 2


def test_a_silent_server_gets_no_resends_for_four_times_the_timeout(tmp_path: Path) -> None:
    # The server is down and its backlog waits in the broker: resending would only grow it.
    outbox, delivery, client, clock = online(tmp_path, 3, resend_after_s=30.0)
    puback_all(delivery, client)
    clock.now += 119
    assert not delivery.resend_if_due()
    clock.now += 2
    assert delivery.resend_if_due()
    assert client.seqs() == [1, 2, 3, 1, 2, 3], "the whole outbox again, in order"
    # Progress at the front resets the wait.
    clock.now += 1
    delivery.applied_ranges([AppliedRange(epoch=outbox.epoch, first=1, last=2)])
    assert not delivery.resend_if_due()
    clock.now += 30
    assert delivery.resend_if_due()
    assert client.seqs()[6:] == [3]


def test_a_recorded_outbox_is_never_sent_again(tmp_path: Path) -> None:
    outbox, delivery, _, clock = online(tmp_path, 2)
    delivery.applied_ranges([AppliedRange(epoch=outbox.epoch, first=1, last=2)])
    clock.now += 3600
    assert not delivery.resend_if_due()
    assert len(outbox) == 0


def test_a_new_connection_sends_every_unrecorded_row_again(tmp_path: Path) -> None:
    outbox, delivery, client, _ = online(tmp_path, 3)
    puback_all(delivery, client)
    delivery.applied_ranges([AppliedRange(epoch=outbox.epoch, first=1, last=1)])
    delivery.gate.clear()  # disconnected
    delivery.track(1000, ONLINE)
    delivery.on_publish(None, None, 1000, SUCCESS, None)  # type: ignore[arg-type]
    assert client.seqs() == [1, 2, 3, 2, 3]


def test_the_outbox_stays_bounded_while_the_server_is_silent(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite", max_rows=3) as box:
        for _ in range(5):
            box.append(TOPIC, booted)
        assert [row.seq for row in box.pending()] == [3, 4, 5]
        assert box.dropped == 2


def test_a_wiped_outbox_continues_above_the_servers_epoch_with_new_event_ids(
    tmp_path: Path,
) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        assert box.epoch == 1
        box.append(TOPIC, booted)
        box.append(TOPIC, booted)
        assert box.continue_above(7, _with_epoch)
        assert box.epoch == 8
        rows = box.pending()
        assert [(r.epoch, r.seq) for r in rows] == [(8, 1), (8, 2)]
        event = decode(TOPIC, rows[0].payload).message
        assert (event.epoch, event.seq) == (8, 1)
        assert box.append(TOPIC, booted).epoch == 8
        assert not box.continue_above(3, _with_epoch), "a lower server epoch changes nothing"
    with Outbox(tmp_path / "box.sqlite") as box:
        assert box.epoch == 9, "the next start counts on from the adopted epoch"


def test_the_server_names_what_a_commit_recorded_as_merged_ranges() -> None:
    recorded = RecordedSeqs()
    for seq in (3, 1, 2, 7, 2):
        recorded.add("gw-1", 4, seq, newest=4)
    recorded.add("gw-1", 5, 1, newest=4)
    assert ranges(recorded.seqs["gw-1"][4]) == [(1, 3), (7, 7)]
    assert recorded.newest == {"gw-1": 5}


def test_each_committed_device_gets_one_retained_watermark_on_its_cmd_topic() -> None:
    site = small_site()
    published: list[tuple[str, bytes]] = []
    watermarks = Watermarks(
        lambda topic, payload: published.append((topic, payload)),
        SiteIndex.from_site(site),
        FakeClock(),
    )
    recorded = RecordedSeqs()
    for seq in (1, 2, 3, 5):
        recorded.add("gw-f1-a", 2, seq, newest=2)
    recorded.add("gw-f1-a", 1, 9, newest=2)  # an earlier epoch's row, sent again
    recorded.add("not-in-the-site", 1, 1, newest=1)
    watermarks.send(recorded)

    assert [topic for topic, _ in published] == [f"freeseat/v1/{site.site.id}/desk/gw-f1-a/cmd"]
    message = decode(*published[0]).message
    assert message.epoch == 2
    assert [(r.epoch, r.first, r.last) for r in message.applied] == [
        (1, 9, 9),
        (2, 1, 3),
        (2, 5, 5),
    ]
