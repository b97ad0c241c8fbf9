"""The chaos suite's short variants: each fault against real processes, judged by the ledger.

Every scenario starts its own Mosquitto (persistence on, the shipped autosave), `freeseat
serve` processes, desk agents with their outboxes reading GPIO value files the harness flips,
and holds the event log, the map and `rebuild-state` against what the agents committed.
"""

from collections.abc import Iterator

import pytest

from chaos.run import ChaosRun
from chaos.scenarios import SCENARIOS


@pytest.fixture(scope="module")
def chaos_run() -> Iterator[ChaosRun]:
    with ChaosRun(quick=True) as run:
        yield run


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_no_event_is_lost_or_applied_twice_and_every_desk_ends_right(
    chaos_run: ChaosRun, name: str
) -> None:
    verdict = chaos_run.run(name)
    assert verdict.events > 0, "the agents committed events for the oracle to check"
    assert verdict.passed, f"{verdict.fault}: " + "; ".join(verdict.failures())
