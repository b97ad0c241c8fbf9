"""`freeseat site check`: validate a site file; and loading one for the other commands."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from firmware_config.site import Site

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


def load_or_exit(file: Path | None) -> "Site":
    """The site file (default: the bundled demo site); a mistake is said in one message, exit 1."""
    from firmware_config.demo_site import demo_site_path
    from firmware_config.loader import SiteError, load_site

    try:
        return load_site(file or demo_site_path())
    except SiteError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
