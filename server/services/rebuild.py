"""Desk state is a fold of the event log: replay the log into an empty store and compare."""

from dataclasses import dataclass, field
from datetime import datetime

from server.domain.occupancy import DeskStatus
from server.services.ingest import Ingest
from server.services.ports import EventLog, Store
from server.services.site_index import SiteIndex

PAGE = 2000


@dataclass
class RebuildReport:
    """How the replayed state compares with the live projection."""

    records: int = 0
    desks: int = 0
    differences: list[tuple[DeskStatus | None, DeskStatus]] = field(default_factory=list)


def replay_log(index: SiteIndex, log: EventLog, target: Store) -> int:
    """Replay every log record into `target` (seeded, otherwise empty); returns the count."""
    ingest = Ingest(index, target)
    after, count = 0, 0
    while page := log.log_page(after, PAGE):
        ingest.replay([record for _, record in page])
        after = page[-1][0]
        count += len(page)
    return count


def compare(
    live: list[DeskStatus], rebuilt: list[DeskStatus], seeded_at: datetime
) -> RebuildReport:
    """Desks whose rebuilt state, reason or time differ from the live ones."""
    by_id = {s.desk: s for s in live}
    report = RebuildReport(desks=len(rebuilt))
    for status in rebuilt:
        current = by_id.get(status.desk)
        never_reported = status.since == seeded_at and current is not None
        same = current is not None and (
            current.state,
            current.reason,
            current.present,
            current.reading,
        ) == (status.state, status.reason, status.present, status.reading)
        if not same or (
            not never_reported and current is not None and current.since != status.since
        ):
            report.differences.append((current, status))
    return report
