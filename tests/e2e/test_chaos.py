"""The chaos suite's short variants: each fault against real processes, judged by the ledger.

Every scenario starts its own Mosquitto (persistence on, the shipped autosave), `freeseat
serve` processes, desk agents with their outboxes reading GPIO value files the harness flips,
and holds the event log, the map and `rebuild-state` against what the agents committed.
"""

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos.ledger import Ledger
from chaos.oracle import Verdict, judge
from chaos.run import ChaosRun
from chaos.scenarios import SCENARIOS
from edge_agent.runtime import Outbox


def commit(outbox: Path, events: int) -> None:
    """An agent's run: open the outbox (a new epoch), commit `events` events, end."""
    with Outbox(outbox, durable=False) as box:
        for _ in range(events):
            box.append("t", lambda epoch, seq: f"{epoch}:{seq}".encode())


def test_the_oracle_sees_what_the_log_lacks_even_when_a_wiped_outbox_reuses_its_ids(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "gw.outbox.sqlite"
    ledger = Ledger()
    commit(outbox, 3)  # epoch 1, seqs 1..3
    ledger.record("gw", outbox)
    commit(outbox, 2)  # epoch 2, seqs 1..2
    ledger.record("gw", outbox)
    outbox.unlink()
    ledger.wiped("gw")
    commit(outbox, 2)  # a new card: epoch 1 again, seqs 1..2 name other events
    ledger.record("gw", outbox)
    # The server took epoch 1 once, and epoch 2 but for its last event.
    logged = Counter([("gw", 1, 1), ("gw", 1, 2), ("gw", 1, 3), ("gw", 2, 1)])

    verdict = judge(
        Verdict("test"),
        ledger,
        logged,
        desk_states={"desk-1": "occupied", "desk-2": "free"},
        expected={"desk-1": "occupied", "desk-2": "occupied"},
    )

    assert (verdict.events, verdict.lost, verdict.wrong_desks) == (7, 3, 1)
    assert not verdict.passed
    assert "lost: 3" in verdict.failures()


@pytest.fixture(scope="module")
def chaos_run() -> Iterator[ChaosRun]:
    with ChaosRun(quick=True) as run:
        yield run


# A scenario takes one to two and a half minutes on two busy cores (servers start, restart).
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_no_event_is_lost_or_applied_twice_and_every_desk_ends_right(
    chaos_run: ChaosRun, name: str
) -> None:
    verdict = chaos_run.run(name)
    assert verdict.events > 0, "the agents committed events for the oracle to check"
    assert verdict.passed, f"{verdict.fault}: " + "; ".join(verdict.failures())
