"""`freeseat broker config`: the production Mosquitto configuration."""

import sys
from pathlib import Path
from typing import Annotated

import typer

broker_app = typer.Typer(help="The MQTT broker's configuration.", no_args_is_help=True)


@broker_app.command("config")
def broker_config(
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    password_file: Annotated[Path | None, typer.Option(help="Mosquitto password file.")] = None,
    acl_file: Annotated[Path | None, typer.Option(help="Mosquitto ACL file.")] = None,
    cafile: Annotated[
        Path | None, typer.Option(help="CA certificate for the TLS listener.")
    ] = None,
    certfile: Annotated[Path | None, typer.Option(help="Server certificate (enables TLS).")] = None,
    keyfile: Annotated[Path | None, typer.Option(help="Server key.")] = None,
) -> None:
    """Print a production mosquitto.conf: the queue, persistence and TCP settings freeseat needs."""
    from firmware_config.mosquitto import BrokerFiles, production_config

    text = production_config(BrokerFiles(password_file, acl_file, cafile, certfile, keyfile))
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")
