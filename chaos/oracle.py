"""The oracle: what the server holds, held against the ledger and the last readings fed."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from benchmarks.processes import REPO_ROOT
from chaos.ledger import EventKey, Ledger
from server.adapters.database import make_engine


@dataclass
class LiveCounts:
    """What the websocket clients of a scenario saw."""

    clients: int = 0
    dropped: int = 0  # closed by the server with 1013 (try again later), as documented
    never_sent: int = 0  # fell further behind than the server's queue, yet never got 1013
    diverged: int = 0  # reading clients (browsers) not showing the final states
    max_lag_s: float = 0.0  # the furthest any still-connected client fell behind


@dataclass
class Verdict:
    """One scenario's outcome: the counts of the issue's table and whether each held."""

    fault: str
    events: int = 0
    lost: int = 0
    applied_twice: int = 0
    unexpected: int = 0  # logged under an agent's name, yet no outbox committed it
    seq_gaps: int = 0
    wrong_desks: int = 0
    wrong_examples: list[str] = field(default_factory=list)
    quarantined: int = 0
    rebuild_differences: int | None = None
    dropped_by_outbox: int = 0
    live: LiveCounts | None = None
    notes: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """Each broken promise, in words; empty when the scenario held."""
        found = []
        if self.events == 0:
            found.append("the ledger is empty: the agents committed nothing")
        for name in ("lost", "applied_twice", "unexpected", "seq_gaps", "wrong_desks"):
            value = getattr(self, name)
            if value:
                found.append(f"{name.replace('_', ' ')}: {value}")
        if self.wrong_examples:
            found.append("e.g. " + "; ".join(self.wrong_examples[:5]))
        if self.quarantined:
            found.append(f"quarantined: {self.quarantined} message(s) of the agents")
        if self.rebuild_differences is None:
            found.append("rebuild-state did not run")
        elif self.rebuild_differences:
            found.append(f"rebuild-state: {self.rebuild_differences} desk(s) differ")
        if self.dropped_by_outbox:
            found.append(f"outbox drops: {self.dropped_by_outbox}")
        if self.live is not None:
            if self.live.never_sent:
                found.append(f"websocket clients never sent 1013: {self.live.never_sent}")
            if self.live.diverged:
                found.append(
                    f"websocket clients not showing the final states: {self.live.diverged}"
                )
        return found + self.notes

    @property
    def passed(self) -> bool:
        return not self.failures()


def logged_events(database_url: str, devices: set[str]) -> Counter[EventKey]:
    """How many times each (device, epoch, seq) of these devices is in the event log."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT event_id, device, epoch, seq FROM event_log")).all()
    finally:
        engine.dispose()
    # Only sequenced events carry `device:epoch:seq` as their id; the log also keeps what the
    # device said without a seq of its own (its status), under ids of another shape.
    return Counter(
        (str(d), int(e), int(s)) for i, d, e, s in rows if d in devices and i == f"{d}:{e}:{s}"
    )


def quarantined(database_url: str, devices: set[str]) -> int:
    """Messages on these devices' topics the server refused and kept aside."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            topics = conn.execute(text("SELECT topic FROM quarantine")).scalars().all()
    finally:
        engine.dispose()
    return sum(1 for topic in topics if any(f"/{device}/" in topic for device in devices))


def rebuild_differences(database_url: str, site_file: Path) -> int | None:
    """How many desks `freeseat db rebuild-state` finds differing from the live state."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "db",
            "rebuild-state",
            "--url",
            database_url,
            "--site",
            str(site_file),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = re.search(r": (\d+) differ from the live state", done.stdout)
    return int(found.group(1)) if found else None


def judge(
    verdict: Verdict,
    ledger: Ledger,
    logged: Counter[EventKey],
    desk_states: Mapping[str, str],
    expected: Mapping[str, str],
) -> Verdict:
    """Fill in the counts: ledger against the log, desks against the last readings."""
    committed = ledger.events()
    verdict.events = sum(committed.values())
    # Two committed events under one id (a wiped outbox reusing an epoch): one is lost.
    verdict.lost = sum(max(0, count - logged[key]) for key, count in committed.items())
    verdict.applied_twice = sum(count - 1 for count in logged.values() if count > 1)
    verdict.unexpected = sum(1 for key in logged if key not in committed)
    by_epoch: dict[tuple[str, int], set[int]] = {}
    for device, epoch, seq in logged:
        by_epoch.setdefault((device, epoch), set()).add(seq)
    # A gap: a seq missing below one the server has, i.e. the log skipped over an event.
    verdict.seq_gaps = sum(max(seqs) - len(seqs) for seqs in by_epoch.values())
    verdict.dropped_by_outbox = ledger.dropped
    wrong = [
        f"{desk} shows {desk_states.get(desk, 'nothing')}, last reading {want}"
        for desk, want in sorted(expected.items())
        if desk_states.get(desk) != want
    ]
    verdict.wrong_desks = len(wrong)
    verdict.wrong_examples = wrong[:5]
    return verdict
