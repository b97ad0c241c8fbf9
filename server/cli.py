"""The `freeseat` command line."""

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="freeseat: free-address desks and paperless meeting rooms.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
site_app = typer.Typer(help="Site files.", no_args_is_help=True)
contracts_app = typer.Typer(help="The MQTT wire contract.", no_args_is_help=True)
agent_app = typer.Typer(
    help="Edge agents that run beside sensors, APs and room monitors.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(site_app, name="site")
app.add_typer(contracts_app, name="contracts")
broker_app = typer.Typer(help="The MQTT broker's configuration.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")
app.add_typer(broker_app, name="broker")

from server.staff_cli import staff_app  # noqa: E402  (its own module: the people capability)

app.add_typer(staff_app, name="staff")

from server.seating_cli import qr_command  # noqa: E402  (its own module: seating)

app.command("qr")(qr_command)

from server.provision_cli import provision_command  # noqa: E402  (the provisioning capability)

app.command("provision")(provision_command)


@app.command()
def demo(
    broker: Annotated[
        str | None,
        typer.Option(help="Use this broker (mqtt://host:port) instead of an embedded one."),
    ] = None,
    port: Annotated[int, typer.Option(help="HTTP port of the dashboard and API.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: run until Ctrl-C).")
    ] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 120.0,
    database: Annotated[
        str | None, typer.Option(help="Database URL (default: a fresh SQLite file).")
    ] = None,
    embedded_broker: Annotated[
        str,
        typer.Option(help="Embedded broker when --broker is not given: auto, mosquitto or amqtt."),
    ] = "auto",
) -> None:
    """Run everything on this machine: broker, server on SQLite, simulated city hall, dashboard."""
    from server.demo import run_demo

    code = asyncio.run(
        run_demo(
            broker=broker,
            host=host,
            port=port,
            duration=duration,
            speed=speed,
            database=database,
            embedded=embedded_broker,
        )
    )
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
) -> None:
    """Run the server; configure it with FREESEAT_* environment variables."""
    import uvicorn

    from server.api.app import UVICORN_OPTIONS, create_app
    from server.settings import Settings

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(create_app(Settings()), host=host, port=port, log_level="info", **UVICORN_OPTIONS)


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
    from server.api.runtime import load_configured_site
    from server.maintenance import rebuild_state
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


@agent_app.command("desk")
def agent_desk(
    config: Annotated[Path, typer.Option(help="The agent's YAML configuration.")],
) -> None:
    """Run a desk agent (one sensor, or a floor gateway serving many desks) until SIGTERM."""
    from edge_agent.__main__ import main as agent_main

    raise typer.Exit(agent_main([str(config)]))


@agent_app.command("room")
def agent_room(
    config: Annotated[Path, typer.Option(help="The room agent's YAML configuration.")],
) -> None:
    """Run a room-monitor agent: zeroconf advert, display and cast events, heartbeats."""
    from edge_agent.room_main import main as room_main

    raise typer.Exit(room_main(config))


@agent_app.command("ap")
def agent_ap(
    config: Annotated[Path, typer.Option(help="The AP agent's YAML configuration.")],
) -> None:
    """Run an AP agent: association events in, station counts out; no MAC leaves it."""
    from edge_agent.ap_main import main as ap_main

    raise typer.Exit(ap_main(config))


@app.command()
def whereami(
    staff_id: Annotated[str, typer.Option("--staff-id", help="Your staff id, to sign in.")],
    server: Annotated[str, typer.Option(help="The freeseat server's URL.")] = (
        "http://127.0.0.1:8000"
    ),
    bssid: Annotated[
        str | None, typer.Option(help="Report this BSSID instead of reading the Wi-Fi's.")
    ] = None,
    share: Annotated[
        bool, typer.Option(help="Turn on 'share my location' for today first.")
    ] = True,
    every: Annotated[
        float | None, typer.Option(help="Report again every this many seconds.")
    ] = None,
) -> None:
    """Tell the server which AP this laptop is on, so colleagues can find you today."""
    import os

    from edge_agent.room_connect import ConnectError
    from edge_agent.whereami import run_whereami

    try:
        run_whereami(
            server=server,
            staff_id=staff_id,
            password=os.environ.get("FREESEAT_PASSWORD"),
            bssid=bssid,
            share=share,
            every_s=every,
            out=typer.echo,
        )
    except ConnectError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command()
def connect(
    staff_id: Annotated[str, typer.Option("--staff-id", help="Your staff id, to sign in.")],
    room: Annotated[str | None, typer.Option(help="Room id (default: the one found).")] = None,
    code: Annotated[str | None, typer.Option(help="The code on the screen (or asked).")] = None,
    server: Annotated[
        str | None, typer.Option(help="Server URL (default: from the room display).")
    ] = None,
    attach: Annotated[
        list[Path] | None, typer.Option(help="A PDF to share; repeat for several.")
    ] = None,
    wait: Annotated[float, typer.Option(help="Seconds to look for room displays.")] = 3.0,
    interface: Annotated[
        list[str] | None, typer.Option(help="Only browse on this address (repeatable).")
    ] = None,
) -> None:
    """Pair this laptop with a room display by the code on its screen; starts the session."""
    import os

    from edge_agent.room_connect import ConnectError
    from edge_agent.room_connect import connect as pair

    try:
        pair(
            staff_id=staff_id,
            server=server,
            room=room,
            code=code,
            password=os.environ.get("FREESEAT_PASSWORD"),
            attach=attach or [],
            wait_s=wait,
            interfaces=interface,
            out=typer.echo,
        )
    except ConnectError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command()
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
) -> None:
    """Measure freeseat against the raw limits of this machine, on loopback, in one run."""
    from benchmarks.run import main as bench_main

    argv = ["--out", str(out)] + (["--quick"] if quick else []) + (["--profile"] if profile else [])
    if only:
        argv += ["--only", *only]
    raise typer.Exit(bench_main(argv))


@app.command()
def simulate(
    broker: Annotated[str, typer.Option(help="Broker URL, e.g. mqtt://127.0.0.1:1883.")],
    site: Annotated[
        Path | None, typer.Option(help="Site file (default: the bundled demo site).")
    ] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 60.0,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many real seconds.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed, for a repeatable day.")] = 1,
) -> None:
    """Drive every desk of a site through a plausible working day."""
    from edge_agent.simulator import run_simulation
    from firmware_config.demo_site import demo_site_path
    from firmware_config.loader import SiteError, load_site

    try:
        loaded = load_site(site or demo_site_path())
    except SiteError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    report = run_simulation(loaded, broker, speed=speed, duration=duration, seed=seed)
    typer.echo(str(report))


def main() -> None:
    app()


__all__ = ["app", "main"]
