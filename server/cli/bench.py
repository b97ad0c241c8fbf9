"""`freeseat bench`: the performance harness."""

from pathlib import Path
from typing import Annotated

import typer


def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="A small version of every scenario (under 2 min).")
    ] = False,
    out: Annotated[Path, typer.Option(help="Where bench.json and bench.md go.")] = Path(
        "bench-results"
    ),
    only: Annotated[
        list[str] | None,
        typer.Option(help="Run only this scenario (repeatable): raw_limit, ingest, ...)."),
    ] = None,
    profile: Annotated[
        bool, typer.Option("--profile", help="Sample the server with py-spy during ingest.")
    ] = False,
    rounds: Annotated[
        int | None,
        typer.Option(help="Runs of every scenario; figures are min / median / max (default 3)."),
    ] = None,
) -> None:
    """Measure freeseat against the raw limits of this machine, on loopback, in one run."""
    from benchmarks.run import main as bench_main

    argv = ["--out", str(out)] + (["--quick"] if quick else []) + (["--profile"] if profile else [])
    if rounds is not None:
        argv += ["--rounds", str(rounds)]
    if only:
        argv += ["--only", *only]
    raise typer.Exit(bench_main(argv))
