"""`freeseat chaos`: run the scenarios, print the table, write it into docs/delivery.md."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from benchmarks.processes import REPO_ROOT
from chaos.harness import Size, Stage, postgres_database
from chaos.oracle import Verdict
from chaos.processes import PrivatePostgres
from chaos.scenarios import SCENARIOS, small_disk

QUICK = Size(agents=2, desks_per_agent=5, flip_every_s=1.0, settle_s=90)
FULL = Size(agents=5, desks_per_agent=20, flip_every_s=2.0, settle_s=180)
DISK_MB = 64
TABLE_START = "<!-- chaos-table:start -->"
TABLE_END = "<!-- chaos-table:end -->"


class ChaosRun(contextlib.ExitStack):
    """Scenarios of one run: their scratch space and, when one needs it, a PostgreSQL cluster
    of the run's own (a scenario restarts it, so it cannot be a shared server)."""

    def __init__(self, *, quick: bool, database: str = "sqlite") -> None:
        super().__init__()
        self.quick = quick
        self.database = database
        self.workdir = Path(tempfile.mkdtemp(prefix="freeseat-chaos-"))
        self.callback(shutil.rmtree, self.workdir, True)
        self._postgres: PrivatePostgres | None = None

    @property
    def size(self) -> Size:
        return QUICK if self.quick else FULL

    def postgres(self) -> PrivatePostgres:
        if self._postgres is None:
            # Directly under /tmp: the cluster runs as the postgres user, who must reach it.
            cluster = PrivatePostgres(Path(tempfile.mkdtemp(prefix="freeseat-chaos-pg-")))
            self.callback(cluster.stop)
            cluster.start()
            self._postgres = cluster
        return self._postgres

    def run(self, name: str) -> Verdict:
        """One scenario from a clean stage to its verdict; a harness failure is a verdict too."""
        scenario = SCENARIOS[name]
        folder = self.workdir / name
        database = scenario.database or self.database
        try:
            with self._database(name, folder, database) as (url, postgres):
                stage = Stage(name, self.size, folder, url, postgres=postgres)
                try:
                    return scenario.run(stage, self.quick)
                finally:
                    stage.close()
        except Exception as exc:
            verdict = Verdict(scenario.fault)
            verdict.notes.append(f"the scenario could not finish: {exc!r}")
            traceback.print_exc()
            return verdict

    @contextlib.contextmanager
    def _database(
        self, name: str, folder: Path, database: str
    ) -> Iterator[tuple[str, PrivatePostgres | None]]:
        if database == "postgresql":
            cluster = self.postgres()
            yield postgres_database(cluster.url, name), cluster
            return
        if name != "disk_full":
            folder.mkdir(parents=True, exist_ok=True)
            yield f"sqlite:///{folder / 'freeseat.db'}", None
            return
        disk = folder / "disk"
        with small_disk(disk, DISK_MB) as mounted:
            if mounted:
                (disk / ".tmpfs").touch()  # the scenario fills it; else it limits file sizes
            yield f"sqlite:///{disk / 'freeseat.db'}", None


def table(verdicts: list[Verdict]) -> str:
    """The issue's table: one row per fault."""
    lines = [
        "| fault | events | lost | applied twice | wrong desks | held |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for v in verdicts:
        wrong = f"{v.wrong_desks:,}"
        if v.live is not None:
            wrong += (
                f"; websocket: {v.live.dropped} dropped (1013), {v.live.never_sent} never sent"
                f" 1013, {v.live.diverged} off the final states"
            )
            if v.live.max_lag_s:
                wrong += f", slow clients read frames up to {v.live.max_lag_s:.0f} s late"
        held = "yes" if v.passed else "**no**: " + "; ".join(v.failures())
        lines.append(
            f"| {v.fault} | {v.events:,} | {v.lost:,} | {v.applied_twice:,} | {wrong} | {held} |"
        )
    return "\n".join(lines)


def write_docs(markdown: str, path: Path = REPO_ROOT / "docs" / "delivery.md") -> None:
    """Replace the chaos table in the delivery page (between its markers)."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    path.write_text(
        text[: start + len(TABLE_START)] + "\n" + markdown + "\n" + text[end:], encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="freeseat chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short streams, fewer desks (CI)")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), default=None)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so every process a stage started is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = args.only or list(SCENARIOS)
    verdicts = []
    with ChaosRun(quick=args.quick, database=args.database) as run:
        for name in names:
            started = time.monotonic()
            print(f"chaos: {name} ...", flush=True)
            verdict = run.run(name)
            state = "held" if verdict.passed else "FAILED: " + "; ".join(verdict.failures())
            print(f"chaos: {name}: {state} ({time.monotonic() - started:.0f} s)", flush=True)
            verdicts.append(verdict)
    markdown = table(verdicts)
    print(markdown)
    if not args.quick and args.only is None:
        write_docs(markdown)
    return 0 if all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
