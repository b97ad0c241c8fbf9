"""`freeseat site check`: validate a site file."""

from pathlib import Path
from typing import Annotated

import typer

site_app = typer.Typer(help="Site files.", no_args_is_help=True)


@site_app.command("check")
def site_check(file: Annotated[Path, typer.Argument(help="The site YAML file.")]) -> None:
    """Validate a site file; errors name the file, line, place in it and what was expected."""
    from firmware_config.check import check_site
    from firmware_config.loader import SiteError

    try:
        typer.echo(check_site(file))
    except SiteError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
