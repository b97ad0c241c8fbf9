"""The live-feed hub: snapshot then consecutive deltas, coalesced, slow clients cut off."""

import json
import time
from datetime import UTC, datetime
from typing import Any

from server.adapters.live_feed import LiveFeedHub, Subscriber
from server.domain.occupancy import DeskReason, DeskState, DeskStatus

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def status(desk: str, state: DeskState, floor: str = "f1") -> DeskStatus:
    return DeskStatus(desk=desk, floor=floor, state=state, since=AT, reason=DeskReason.NO_REPORT)


def frames(client: Subscriber) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in client.take()]


def test_snapshot_then_consecutive_coalesced_deltas() -> None:
    hub = LiveFeedHub()
    hub.load([status("d1", DeskState.UNKNOWN), status("d2", DeskState.FREE)])
    client = hub.subscribe("f1")
    hub.publish([status("d1", DeskState.OCCUPIED)])
    hub.publish([status("d1", DeskState.FREE), status("d2", DeskState.OCCUPIED)])
    hub.tick()
    hub.publish([status("d2", DeskState.FREE)])
    hub.tick()
    hub.tick()  # nothing pending: no empty delta, no version bump
    snapshot, first, second = frames(client)
    assert snapshot["type"] == "snapshot" and snapshot["version"] == 0
    assert snapshot["desks"] == {
        "d1": {"state": "unknown", "since": AT.isoformat(), "reason": "no_report"},
        "d2": {"state": "free", "since": AT.isoformat(), "reason": "no_report"},
    }
    assert (first["version"], second["version"]) == (1, 2)
    # Two changes of d1 within one tick arrive as one, with the latest state.
    assert {k: v["state"] for k, v in first["desks"].items()} == {"d1": "free", "d2": "occupied"}
    assert {k: v["state"] for k, v in second["desks"].items()} == {"d2": "free"}


def test_late_subscriber_snapshot_includes_everything_committed() -> None:
    hub = LiveFeedHub()
    hub.publish([status("d1", DeskState.OCCUPIED)])
    hub.tick()
    late = hub.subscribe("f1")
    hub.publish([status("d1", DeskState.FREE)])
    (snapshot,) = frames(late)
    assert snapshot["version"] == 1 and snapshot["desks"]["d1"]["state"] == "occupied"
    hub.tick()
    (delta,) = frames(late)
    assert delta["version"] == 2 and delta["desks"]["d1"]["state"] == "free"


def test_floors_are_separate_channels() -> None:
    hub = LiveFeedHub()
    f1, f2 = hub.subscribe("f1"), hub.subscribe("f2")
    hub.publish([status("d9", DeskState.OCCUPIED, floor="f2")])
    hub.tick()
    assert [f["type"] for f in frames(f1)] == ["snapshot"]
    assert [f["type"] for f in frames(f2)] == ["snapshot", "delta"]


def test_a_client_that_falls_behind_is_dropped_not_awaited() -> None:
    hub = LiveFeedHub(client_queue=3)
    slow, fast = hub.subscribe("f1"), hub.subscribe("f1")
    for n in range(5):
        hub.publish([status("d1", DeskState.OCCUPIED if n % 2 else DeskState.FREE)])
        hub.tick()
        frames(fast)  # the fast client keeps draining
    assert slow.dropped and not fast.dropped
    assert hub.dropped_clients == 1
    hub.publish([status("d1", DeskState.UNKNOWN)])
    hub.tick()
    assert frames(fast)[0]["version"] == 6  # the others carry on with consecutive versions


def test_a_client_cut_off_twice_counts_once_and_its_oldest_unsent_frame_is_dated() -> None:
    hub = LiveFeedHub(client_queue=3)
    client = hub.subscribe("f1")
    frames(client)
    hub.publish([status("d1", DeskState.OCCUPIED)])
    hub.tick()
    made = time.monotonic()
    hub.publish([status("d1", DeskState.FREE)])
    hub.tick()
    assert len(client.take()) == 2
    # The writer's deadline runs from the oldest frame it holds, not from when it took it.
    assert client.taken_at <= made
    # Cut off by its writer (a send that took too long), then by the protocol (late pongs):
    # one client that fell behind, counted once.
    assert hub.drop(client) and not hub.drop(client)
    assert hub.dropped_clients == 1 and hub.client_count() == 0


def test_clients_joining_between_changes_share_one_snapshot_that_follows_each_tick() -> None:
    hub = LiveFeedHub()
    hub.load([status("d1", DeskState.FREE)])
    first, second = hub.subscribe("f1"), hub.subscribe("f1")
    # The same frame object: a big floor's snapshot is serialised once, not per client.
    assert first.take()[0] is second.take()[0]

    hub.publish([status("d1", DeskState.OCCUPIED)])
    hub.subscribe("f1")  # joins between the change and the tick that sends it
    hub.tick()
    late = hub.subscribe("f1")
    hub.publish([status("d1", DeskState.FREE)])
    hub.tick()
    snapshot, delta = frames(late)
    # A snapshot taken after a tick carries that tick's version, so the next delta follows it.
    assert snapshot["version"] == 1 and snapshot["desks"]["d1"]["state"] == "occupied"
    assert delta["version"] == 2 and delta["desks"]["d1"]["state"] == "free"


def test_each_floor_sends_at_once_after_a_quiet_tick_then_at_most_once_per_tick() -> None:
    hub = LiveFeedHub(tick_s=0.1)
    f1, f2 = hub.subscribe("f1"), hub.subscribe("f2")
    frames(f1), frames(f2)
    hub.publish([status("d1", DeskState.OCCUPIED)])
    # A quiet floor's first change is not held for a tick.
    assert hub.flush(now=10.0) is None
    assert [f["version"] for f in frames(f1)] == [1]

    hub.publish([status("d1", DeskState.FREE)])
    hub.publish([status("d2", DeskState.OCCUPIED)])
    hub.publish([status("d9", DeskState.OCCUPIED, floor="f2")])
    # f1 sent 30 ms ago: it waits for its slot at 10.1; f2 has been quiet and goes now.
    assert hub.flush(now=10.03) == 10.1
    assert frames(f1) == []
    assert [f["version"] for f in frames(f2)] == [1]
    assert hub.flush(now=10.099) == 10.1
    assert hub.flush(now=10.1) is None
    (delta,) = frames(f1)
    # Everything that arrived while f1 waited comes as one delta, in the next version.
    assert delta["version"] == 2
    assert {k: v["state"] for k, v in delta["desks"].items()} == {"d1": "free", "d2": "occupied"}
    assert hub.flush(now=10.5) is None  # nothing pending: no empty delta
    assert frames(f1) == [] and frames(f2) == []
