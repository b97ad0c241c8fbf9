"""The durable outbox: events are written here before publishing, deleted once the server says
it has recorded them (its applied watermark), not when the broker merely took them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_ROWS = 100_000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    # AUTOINCREMENT so an id is never reused after the newest row is deleted: the publisher
    # remembers the highest id it handed to the client and must never see a smaller new one.
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " epoch INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " topic TEXT NOT NULL,"
    " payload BLOB NOT NULL)",
    # The server names recorded events by (epoch, seq): deleting them must not scan a backlog.
    "CREATE INDEX IF NOT EXISTS outbox_position ON outbox (epoch, seq)",
)


class OutboxError(RuntimeError):
    """The outbox file cannot be used; the message names the file and what to do."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One event waiting for the server to record it."""

    id: int
    epoch: int
    seq: int
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """What the outbox holds and what it had to drop."""

    epoch: int
    last_seq: int
    pending: int
    dropped: int


class Outbox:
    """A bounded SQLite outbox for one device; opening it starts a new epoch.

    The new epoch is one more than the stored one, or `epoch_floor` if that is higher (a
    simulator whose outboxes are fresh every run passes the wall clock).

    Thread-safe: one connection guarded by a lock, because paho's callbacks delete rows
    from paho's thread while the agent appends from its own.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        durable: bool = True,
        epoch_floor: int = 0,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        self.path = Path(path)
        self.max_rows = max_rows
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=0, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open outbox {self.path}: {exc}") from None
        try:
            # Exclusive locking: a second agent started with the same outbox would reuse
            # the epoch and interleave seqs, so it must fail loudly instead.
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL survives power loss on the gateway; NORMAL (simulator, tests) only a crash.
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            with self._transaction():
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._epoch = max(self._meta("epoch", 0) + 1, epoch_floor)
                self._set_meta("epoch", self._epoch)
                self._set_meta("next_seq", 1)
                self._dropped = self._meta("dropped", 0)
            self._pending: int = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        except sqlite3.OperationalError as exc:
            self._db.close()
            if "locked" in str(exc):
                raise OutboxError(
                    f"outbox {self.path} is in use by another agent process; "
                    "each device needs its own outbox file"
                ) from None
            raise OutboxError(f"cannot use outbox {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise OutboxError(
                f"outbox {self.path} is not a usable SQLite database ({exc}); "
                "move it aside to start with an empty outbox"
            ) from None
        self._next_seq = 1
        self._closed = False

    @property
    def epoch(self) -> int:
        """The boot counter of this run: one more than the previous open of the same file."""
        return self._epoch

    @property
    def last_seq(self) -> int:
        """The seq of the newest event of this epoch, 0 before the first."""
        with self._lock:
            return self._next_seq - 1

    @property
    def dropped(self) -> int:
        """Events dropped (oldest first) because the outbox was full, over the file's lifetime."""
        with self._lock:
            return self._dropped

    def __len__(self) -> int:
        with self._lock:
            return self._pending

    def stats(self) -> OutboxStats:
        """A consistent snapshot of epoch, last seq, pending rows and the drop count."""
        with self._lock:
            return OutboxStats(self._epoch, self._next_seq - 1, self._pending, self._dropped)

    def append(self, topic: str, make: Callable[[int, int], bytes]) -> OutboxRow:
        """Allocate the next seq, store `make(epoch, seq)` as its payload, and commit.

        The seq and the row are written in one transaction, so a crash never leaves a seq
        that was used without its event. At the bound the oldest rows are dropped and counted.
        """
        with self._lock:
            self._check_open()
            seq = self._next_seq
            payload = make(self._epoch, seq)
            with self._transaction():
                overflow = self._pending + 1 - self.max_rows
                if overflow > 0:
                    self._db.execute(
                        "DELETE FROM outbox WHERE id IN "
                        "(SELECT id FROM outbox ORDER BY id LIMIT ?)",
                        (overflow,),
                    )
                    self._set_meta("dropped", self._dropped + overflow)
                cursor = self._db.execute(
                    "INSERT INTO outbox (epoch, seq, topic, payload) VALUES (?, ?, ?, ?)",
                    (self._epoch, seq, topic, payload),
                )
                self._set_meta("next_seq", seq + 1)
            if overflow > 0:
                self._dropped += overflow
                self._pending -= overflow
            self._pending += 1
            self._next_seq = seq + 1
            row_id = cursor.lastrowid
            assert row_id is not None
            return OutboxRow(row_id, self._epoch, seq, topic, payload)

    def pending(self, *, after_id: int = 0, limit: int = 1000) -> list[OutboxRow]:
        """Rows with an id above `after_id`, oldest first: the replay order."""
        with self._lock:
            self._check_open()
            rows = self._db.execute(
                "SELECT id, epoch, seq, topic, payload FROM outbox WHERE id > ? "
                "ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        return [OutboxRow(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]

    def delete_applied(self, epoch: int, first: int, last: int) -> int:
        """Forget the rows of `epoch` with seq in first..last, which the server has recorded;
        returns how many there were (0: already gone, or a late copy of an old watermark)."""
        with self._lock:
            if self._closed:
                return 0  # the watermark is retained: the next start reads it again
            cursor = self._db.execute(
                "DELETE FROM outbox WHERE epoch = ? AND seq BETWEEN ? AND ?", (epoch, first, last)
            )
            self._pending -= cursor.rowcount
            return cursor.rowcount

    def first_id(self) -> int | None:
        """The id of the oldest row still waiting, None when empty."""
        with self._lock:
            self._check_open()
            row = self._db.execute("SELECT MIN(id) FROM outbox").fetchone()
        return None if row[0] is None else int(row[0])

    def continue_above(self, server_epoch: int, rewrite: Callable[[bytes, int], bytes]) -> bool:
        """Move this run above `server_epoch` when the server has seen an epoch as high as ours
        (the outbox file was wiped or restored): this epoch's rows take the new epoch, their
        payloads rewritten by `rewrite(payload, epoch)`, so their event ids are new and the
        server applies them instead of finding them stale or already logged. Seqs stay."""
        with self._lock:
            self._check_open()
            if server_epoch < self._epoch:
                return False
            old, new = self._epoch, server_epoch + 1
            with self._transaction():
                rows = self._db.execute(
                    "SELECT id, payload FROM outbox WHERE epoch = ?", (old,)
                ).fetchall()
                for row_id, payload in rows:
                    self._db.execute(
                        "UPDATE outbox SET epoch = ?, payload = ? WHERE id = ?",
                        (new, rewrite(bytes(payload), new), row_id),
                    )
                self._set_meta("epoch", new)
            self._epoch = new
            return True

    def delete(self, row_id: int) -> bool:
        """Forget a row the broker refused for good; False if it was already gone."""
        with self._lock:
            if self._closed:
                # A late PUBACK after close: the row is replayed on the next start instead.
                return False
            cursor = self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
            deleted = cursor.rowcount > 0
            if deleted:
                self._pending -= 1
            return deleted

    def close(self) -> None:
        """Release the file; rows not yet acknowledged stay for the next start."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise OutboxError(f"outbox {self.path} is closed")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _meta(self, key: str, default: int) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else int(row[0])

    def _set_meta(self, key: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
