"""`freeseat contracts schema`: the JSON Schema of the wire contract."""

import sys
from pathlib import Path
from typing import Annotated

import typer

contracts_app = typer.Typer(help="The MQTT wire contract.", no_args_is_help=True)


@contracts_app.command("schema")
def contracts_schema(
    out: Annotated[
        Path | None, typer.Option(help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Print the JSON Schema of every MQTT payload."""
    from contracts.schema import render_schema

    text = render_schema()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")
