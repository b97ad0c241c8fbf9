"""How a retained message replayed by the broker is judged: each row of the table in
docs/delivery.md ("A restart does not make a dead device look alive")."""

from datetime import UTC, datetime, timedelta

import pytest

from server.services.ports import DeviceRecord
from server.services.retained_replay import IGNORED, Replay, judge

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TTL_S = 600.0


def device(status: str, seen_ago_s: float | None) -> DeviceRecord:
    seen = None if seen_ago_s is None else NOW - timedelta(seconds=seen_ago_s)
    return DeviceRecord(id="gw-f1-a", kind="desk", status=status, last_seen=seen)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("known", "newer", "said_at", "expected"),
    [
        # Older than the TTL by its own time: nothing about now, even if never seen before.
        (None, True, ago(700), IGNORED),
        # Newer than what was applied: contact when the device said it, not at the replay.
        (device("online", 800), True, ago(120), Replay(True, ago(120))),
        (device("offline", 800), True, ago(120), Replay(True, ago(120))),
        # A device clock behind ours: applied, but last contact does not move back.
        (device("online", 30), True, ago(120), Replay(True)),
        # The heartbeat already applied, replayed: its device alive, its TTL keeps running ...
        (device("online", 30), False, ago(30), Replay(True)),
        # ... silent past its TTL, or known offline: it stays so.
        (device("online", 700), False, ago(500), IGNORED),
        (device("offline", 30), False, ago(30), IGNORED),
        # Off-the-shelf devices carry no time: all there is for one never heard of ...
        (None, None, None, Replay(True, NOW)),
        (device("unknown", None), None, None, Replay(True, NOW)),
        # ... and never news for one the server knows.
        (device("offline", None), None, None, IGNORED),
        (device("online", 30), None, None, Replay(True)),
        (device("online", 700), None, None, IGNORED),
    ],
)
def test_a_replay_is_contact_only_when_newer_than_what_the_server_knows(
    known: DeviceRecord | None, newer: bool | None, said_at: datetime | None, expected: Replay
) -> None:
    assert judge(known, NOW, TTL_S, newer=newer, said_at=said_at) == expected
