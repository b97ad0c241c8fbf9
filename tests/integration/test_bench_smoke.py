"""`freeseat bench --quick`, shrunk further: every scenario runs end to end and reports figures.

Speed is not judged here (that is what the bench's own table is for); what is checked is that
each scenario measured something real: events applied exactly once, clients served with no
version gaps, a server RSS, and both report files written.
"""

import json
from pathlib import Path

import pytest

from benchmarks.run import SCENARIOS, run_bench


# About 45 s alone on two idle cores, mostly process starts; a loaded machine took over 120 s.
@pytest.mark.timeout(600)
def test_quick_bench_measures_every_scenario(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FREESEAT_BENCH_DATABASE_URL", postgres_url)
    # Three replicas run the same code as two, with one more server to start: left to the bench.
    smoked = [name for name in SCENARIOS if name not in ("ingest_pg_3", "ingest_sites")]
    report = run_bench(quick=True, out_dir=tmp_path, only=smoked, scale=0.1)

    failed = {name: r.error for name, r in report.scenarios.items() if r.error}
    assert failed == {}, f"scenarios failed: {failed}"
    assert set(smoked) <= set(report.scenarios)
    for name in smoked:
        headline = report.scenarios[name].headline
        assert headline is not None and headline.value is not None, f"{name} measured nothing"
        assert headline.value > 0, f"{name}: {headline}"

    replicas = report.scenarios["ingest_pg_2"].figure("per CPU-second, × one replica")
    assert replicas is not None and replicas.value is not None and replicas.value > 0

    raw = report.scenarios["raw_limit"].headline
    ingest = report.scenarios["ingest"]
    exactly_once = ingest.figure("applied exactly once")
    assert exactly_once is not None and exactly_once.passed, exactly_once
    ratio = ingest.figure("ratio to raw limit")
    assert raw is not None and ratio is not None and ratio.value is not None
    assert ratio.value > 0

    for live in ("freshness", "fanout"):
        delivered = report.scenarios[live].figure("events delivered to every client")
        assert delivered is not None and delivered.passed, (live, delivered)

    rush = report.scenarios["morning_rush"]
    double = rush.figure("double assignments")
    assert double is not None and double.passed, double
    seated = rush.figure("seated")
    assert (
        seated is not None
        and seated.value == rush.details["runs"][-1]["double_assignment_checks"]["active_holds"]
    ), "everyone told they have a desk holds one in the database"

    written = json.loads((tmp_path / "bench.json").read_text())
    assert set(written["scenarios"]) == set(report.scenarios)
    table = (tmp_path / "bench.md").read_text()
    assert "| ingest | ratio to raw limit |" in table
    assert "cores" in table  # the machine the figures belong to
