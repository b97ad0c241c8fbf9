"""The outside ledger: every event an agent committed to its outbox, from the outbox itself.

An outbox allocates (epoch, seq) in the same transaction that stores the row, and persists
the epoch and the next seq; so once an agent process has ended (stopped, killed, or about to
lose its outbox), every seq from 1 to the last of that epoch is an event it committed. The
harness reads the counters each time an agent ends, before it starts again or is wiped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chaos.processes import outbox_counters

EventKey = tuple[str, int, int]  # device, epoch, seq


@dataclass
class Ledger:
    """Per device and outbox file, the last seq of every epoch it used; rows it dropped.

    A wiped outbox starts a new generation: its epochs may repeat the old ones, and then the
    same event id names two different events, of which the server can hold only one.
    """

    lives: dict[str, dict[tuple[int, int], int]] = field(default_factory=dict)
    generation: dict[str, int] = field(default_factory=dict)
    # Rows the outbox dropped at its bound (its counter lives as long as the file).
    _dropped: dict[tuple[str, int], int] = field(default_factory=dict)

    def record(self, device: str, outbox: Path) -> None:
        """Read a stopped agent's outbox counters into the ledger."""
        counters = outbox_counters(outbox)
        if counters is None:
            return
        epoch, last_seq, dropped = counters
        generation = self.generation.get(device, 0)
        lives = self.lives.setdefault(device, {})
        lives[(generation, epoch)] = max(lives.get((generation, epoch), 0), last_seq)
        self._dropped[(device, generation)] = dropped

    @property
    def dropped(self) -> int:
        return sum(self._dropped.values())

    def wiped(self, device: str) -> None:
        """The device's outbox was deleted after its counters were recorded."""
        self.generation[device] = self.generation.get(device, 0) + 1

    def events(self) -> Counter[EventKey]:
        """How many committed events carry each (device, epoch, seq)."""
        return Counter(
            (device, epoch, seq)
            for device, lives in self.lives.items()
            for (_, epoch), last in lives.items()
            for seq in range(1, last + 1)
        )
