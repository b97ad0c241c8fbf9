"""A batch of ingest: the messages as they came off the broker, and what their commit did."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from server.domain.occupancy import DeskStatus, DeskTransition
from server.services.ports import Transaction
from server.services.recorded import RecordedSeqs


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as it came off the broker."""

    topic: str
    payload: bytes
    received_at: datetime
    # Replayed by the broker from what it kept, not just published: see retained_replay.py.
    retained: bool = False


@dataclass
class BatchOutcome:
    """What a committed batch did; `changes` are the desks whose visible state moved."""

    applied: int = 0
    stale: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantine_kinds: Counter[str] = field(default_factory=Counter)
    changes: dict[str, DeskStatus] = field(default_factory=dict)
    # Messages of known devices that carry nothing to apply (a node's other entities, its log,
    # a cleared retained topic), by kind: counted, never quarantined.
    ignored: Counter[str] = field(default_factory=Counter)
    # Agents' events now in the log or quarantine, for their outboxes (the applied watermark).
    recorded: RecordedSeqs = field(default_factory=RecordedSeqs)

    def quarantine(self, tx: Transaction, message: Inbound, reason: str, kind: str) -> None:
        """Keep a rejected message with its reason; it is acked like any other."""
        tx.quarantine(message.topic, message.payload, reason, message.received_at)
        self.quarantined += 1
        self.quarantine_kinds[kind] += 1

    def merge(self, part: "BatchOutcome") -> None:
        self.applied += part.applied
        self.stale += part.stale
        self.duplicates += part.duplicates
        self.quarantined += part.quarantined
        self.quarantine_kinds.update(part.quarantine_kinds)
        self.changes.update(part.changes)
        self.ignored.update(part.ignored)
        self.recorded.merge(part.recorded)

    def add(self, transition: DeskTransition | None) -> None:
        if transition is not None and transition.visible:
            self.changes[transition.desk] = transition.after
