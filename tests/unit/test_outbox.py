"""The outbox keeps every event until acknowledged, in order, across restarts, within a bound."""

import sqlite3
import threading
from pathlib import Path

import pytest

from edge_agent.runtime import Outbox, OutboxError


def payload(epoch: int, seq: int) -> bytes:
    return f"{epoch}:{seq}".encode()


def test_epoch_increments_on_every_open(tmp_path: Path) -> None:
    epochs = []
    for _ in range(3):
        with Outbox(tmp_path / "box.sqlite") as box:
            epochs.append(box.epoch)
    assert epochs == [1, 2, 3]


def test_epoch_floor_lifts_a_fresh_outbox_above_earlier_runs(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite", epoch_floor=1_700_000_000) as box:
        assert box.epoch == 1_700_000_000
    with Outbox(tmp_path / "box.sqlite") as box:
        assert box.epoch == 1_700_000_001


def test_seq_is_monotonic_within_an_epoch_and_restarts_with_the_next(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        seqs = [box.append("t", payload).seq for _ in range(5)]
        assert seqs == [1, 2, 3, 4, 5]
        assert box.last_seq == 5
    with Outbox(tmp_path / "box.sqlite") as box:
        assert box.last_seq == 0
        row = box.append("t", payload)
        assert (row.epoch, row.seq) == (2, 1)


def test_payload_is_built_from_the_allocated_epoch_and_seq(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        box.append("t", payload)
        row = box.append("t", payload)
        assert row.payload == b"1:2"
        assert box.pending()[-1].payload == b"1:2"


def test_unacknowledged_rows_survive_reopen_and_replay_in_order(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        rows = [box.append(f"topic/{i}", payload) for i in range(6)]
        box.delete(rows[1].id)
        box.delete(rows[4].id)
    with Outbox(tmp_path / "box.sqlite") as box:
        replay = box.pending()
        assert [(r.topic, r.epoch, r.seq) for r in replay] == [
            ("topic/0", 1, 1),
            ("topic/2", 1, 3),
            ("topic/3", 1, 4),
            ("topic/5", 1, 6),
        ]
        # New events of the new epoch queue behind what is left of the old one.
        box.append("topic/new", payload)
        assert [(r.epoch, r.seq) for r in box.pending()][-2:] == [(1, 6), (2, 1)]
        assert len(box) == 5


def test_pending_pages_after_an_id(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        rows = [box.append("t", payload) for _ in range(10)]
        page = box.pending(after_id=rows[3].id, limit=3)
        assert [r.seq for r in page] == [5, 6, 7]


def test_ids_are_never_reused_after_the_outbox_empties(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        first = box.append("t", payload)
        box.delete(first.id)
        assert box.append("t", payload).id > first.id


def test_full_outbox_drops_oldest_and_counts_persistently(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite", max_rows=3) as box:
        for _ in range(5):
            box.append("t", payload)
        assert [r.seq for r in box.pending()] == [3, 4, 5]
        assert box.dropped == 2
        assert box.stats().pending == 3
    with Outbox(tmp_path / "box.sqlite", max_rows=3) as box:
        assert box.dropped == 2
        box.append("t", payload)
        assert box.dropped == 3
        assert [(r.epoch, r.seq) for r in box.pending()] == [(1, 4), (1, 5), (2, 1)]


def test_deleting_twice_is_harmless(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        row = box.append("t", payload)
        assert box.delete(row.id) is True
        assert box.delete(row.id) is False
        assert len(box) == 0


def test_a_second_agent_on_the_same_file_is_refused(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite"), pytest.raises(OutboxError, match="in use"):
        Outbox(tmp_path / "box.sqlite")


def test_a_corrupt_file_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "box.sqlite"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(OutboxError, match=str(path)):
        Outbox(path)


def test_rows_are_committed_before_append_returns(tmp_path: Path) -> None:
    path = tmp_path / "box.sqlite"
    box = Outbox(path)
    box.append("t", payload)
    box.close()
    # Read with plain sqlite3, as a crash-recovery tool would.
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT topic, seq FROM outbox").fetchall() == [("t", 1)]


def test_concurrent_appends_and_deletes_keep_count_and_order(tmp_path: Path) -> None:
    with Outbox(tmp_path / "box.sqlite") as box:
        appended: list[int] = []
        lock = threading.Lock()

        def producer() -> None:
            for _ in range(200):
                row = box.append("t", payload)
                with lock:
                    appended.append(row.id)

        def acker() -> None:
            for _ in range(200):
                with lock:
                    victim = appended[0] if appended else None
                if victim is not None:
                    box.delete(victim)

        threads = [threading.Thread(target=producer) for _ in range(3)]
        threads.append(threading.Thread(target=acker))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        remaining = box.pending(limit=10_000)
        assert len(remaining) == len(box)
        assert [r.seq for r in remaining] == sorted(r.seq for r in remaining)
        assert box.last_seq == 600
