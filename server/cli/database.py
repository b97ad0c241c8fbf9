"""`freeseat db ...`: create, migrate and check the database."""

from pathlib import Path
from typing import Annotated

import typer

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    url: Annotated[
        str | None, typer.Option(help="Database URL (default: FREESEAT_DATABASE_URL).")
    ] = None,
) -> None:
    """Create or migrate the database schema to the latest revision."""
    from server.adapters.database import upgrade
    from server.settings import Settings

    target = url or Settings().database_url
    upgrade(target)
    typer.echo(f"database at {target} is at the latest revision")


@db_app.command("rebuild-state")
def db_rebuild_state(
    url: Annotated[
        str | None, typer.Option(help="Database URL (default: FREESEAT_DATABASE_URL).")
    ] = None,
    site: Annotated[
        Path | None, typer.Option(help="Site file (default: FREESEAT_SITE_FILE or the demo).")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Replace live desk states that differ.")
    ] = False,
) -> None:
    """Recompute every desk's state from the event log and compare it with the live state."""
    from server.composition.commands import rebuild_state
    from server.composition.parts import load_configured_site
    from server.settings import Settings

    settings = Settings()
    if site is not None:
        settings = settings.model_copy(update={"site_file": site})
    result = rebuild_state(
        url or settings.database_url, load_configured_site(settings), write=write
    )
    report = result.report
    typer.echo(
        f"replayed {report.records} log records over {report.desks} desks: "
        f"{len(report.differences)} differ from the live state"
    )
    for live, rebuilt in report.differences[:20]:
        was = f"{live.state.value} ({live.reason})" if live else "missing"
        typer.echo(
            f"  {rebuilt.desk}: live {was}, log says {rebuilt.state.value} ({rebuilt.reason})"
        )
    if result.written:
        typer.echo(f"wrote {result.written} desk states")
    elif report.differences and not write:
        typer.echo("run again with --write to replace them")
    raise typer.Exit(1 if report.differences and not write else 0)
