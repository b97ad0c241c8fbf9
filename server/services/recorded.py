"""What a commit recorded per device, for the applied watermark the server sends back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RecordedSeqs:
    """Per device: the event seqs a commit recorded (applied, stale, duplicate or refused), by
    epoch, and the newest epoch the server knows for it.

    Only events of freeseat agents count: they keep each event in their outbox until the server
    names it here. Off-the-shelf devices have no outbox and are never told anything.
    """

    newest: dict[str, int] = field(default_factory=dict)
    seqs: dict[str, dict[int, list[int]]] = field(default_factory=dict)

    def add(self, device: str, epoch: int, seq: int, newest: int) -> None:
        self.seqs.setdefault(device, {}).setdefault(epoch, []).append(seq)
        self.newest[device] = max(self.newest.get(device, 0), newest, epoch)

    def merge(self, other: RecordedSeqs) -> None:
        for device, by_epoch in other.seqs.items():
            mine = self.seqs.setdefault(device, {})
            for epoch, seqs in by_epoch.items():
                mine.setdefault(epoch, []).extend(seqs)
        for device, newest in other.newest.items():
            self.newest[device] = max(self.newest.get(device, 0), newest)

    def clear(self) -> None:
        self.newest.clear()
        self.seqs.clear()

    def __bool__(self) -> bool:
        return bool(self.seqs)


def ranges(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted, merged runs of consecutive seqs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for seq in sorted(set(seqs)):
        if out and seq == out[-1][1] + 1:
            out[-1] = (out[-1][0], seq)
        else:
            out.append((seq, seq))
    return out
