"""`freeseat provision`: device configs and broker credentials from one site file."""

from pathlib import Path
from typing import Annotated

import typer


def provision_command(
    site: Annotated[Path, typer.Option(help="The site YAML file.")],
    out: Annotated[Path, typer.Option(help="Directory to write into (created if missing).")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Give every identity a new password.")
    ] = False,
    broker_host: Annotated[
        str, typer.Option(help="Host name ESPHome nodes connect to.")
    ] = "freeseat.local",
    tls_port: Annotated[int, typer.Option(help="The broker's TLS listener port.")] = 8883,
    ca_file: Annotated[
        Path | None,
        typer.Option(help="CA certificate (PEM) of the broker: devices then connect over TLS."),
    ] = None,
    agent_broker: Annotated[
        str | None,
        typer.Option(help="Broker URL for agents (default: agents discover it by zeroconf)."),
    ] = None,
    server_url: Annotated[
        str | None,
        typer.Option(help="The server's base URL for room agents (default: discovered)."),
    ] = None,
    reinstate: Annotated[
        list[str] | None, typer.Option(help="Let a revoked device back in (repeatable).")
    ] = None,
    home_assistant: Annotated[
        bool,
        typer.Option(
            "--home-assistant",
            help="Add broker identities for Home Assistant (reads desks) and the server's bridge.",
        ),
    ] = False,
    server_replicas: Annotated[
        int,
        typer.Option(min=1, help="Server replicas: each gets its own broker login (server-N.env)."),
    ] = 1,
) -> None:
    """Generate ESPHome YAML, agent YAML, Mosquitto password, ACL and TLS files for a site."""
    from firmware_config.loader import SiteError
    from firmware_config.provision import ProvisionError, ProvisionOptions, provision

    options = ProvisionOptions(
        broker_host=broker_host,
        tls_port=tls_port,
        ca_file=ca_file,
        agent_broker=agent_broker,
        server_url=server_url,
        rotate=rotate,
        reinstate=tuple(reinstate or ()),
        home_assistant=home_assistant,
        server_replicas=server_replicas,
    )
    try:
        report = provision(site, out, options)
    except (SiteError, ProvisionError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(str(report))
