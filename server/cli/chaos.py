"""`freeseat chaos`: the chaos suite (real faults against real processes, an outside ledger)."""

from typing import Annotated

import typer


def chaos(
    quick: Annotated[
        bool, typer.Option("--quick", help="Short streams and fewer desks (what CI runs).")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(help="Run only this scenario (repeatable): server_kill, broker_backlog, ..."),
    ] = None,
    database: Annotated[
        str,
        typer.Option(help="sqlite or postgresql for scenarios that do not need one of them."),
    ] = "sqlite",
) -> None:
    """Break the server, broker, agents and database mid-stream and check nothing was lost."""
    from chaos.run import main as chaos_main
    from chaos.scenarios import SCENARIOS
    from server.adapters.database import require_driver

    chosen = [SCENARIOS[name] for name in only or SCENARIOS if name in SCENARIOS]
    if any((s.database or database) == "postgresql" for s in chosen):
        # Say what to install before any process starts, not in a traceback minutes later.
        require_driver("postgresql://chaos")

    argv = (["--quick"] if quick else []) + ["--database", database]
    for name in only or []:
        argv += ["--only", name]
    raise typer.Exit(chaos_main(argv))
