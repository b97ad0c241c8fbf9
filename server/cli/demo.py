"""`freeseat demo`: broker, server and a simulated city hall in one process tree."""

import asyncio
import contextlib
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from firmware_config.site import Site
from server.adapters.embedded_broker import (
    AmqttBroker,
    MosquittoBroker,
    NoBrokerError,
    embedded_broker,
)
from server.api.app import create_app
from server.cli.serve import ServerDidNotStart, serve_app
from server.composition.accounts import RealAccountsInDemo, check_demo_database
from server.composition.parts import load_configured_site
from server.services.seating_site import SeatingSite
from server.settings import Settings

log = logging.getLogger(__name__)


async def run_demo(
    *,
    broker: str | None,
    host: str,
    port: int,
    duration: float | None,
    speed: float,
    database: str | None,
    embedded: str = "auto",
    with_real_accounts: bool = False,
) -> int:
    """Run until `duration` passes or Ctrl-C; returns the process exit code."""
    from edge_agent.simulator import DemoDay, Simulation

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    workdir = Path(tempfile.mkdtemp(prefix="freeseat-demo-"))
    database_url = database or f"sqlite:///{workdir / 'freeseat.db'}"
    try:
        # Before anything starts: demo mode signs visitors in without a password.
        check_demo_database(
            Settings(
                database_url=database_url,
                demo_mode=True,
                demo_with_real_accounts=with_real_accounts,
            )
        )
    except RealAccountsInDemo as exc:
        print(f"freeseat demo: {exc}. Pass --with-real-accounts if that is meant.", flush=True)
        return 2
    own_broker: MosquittoBroker | AmqttBroker | None = None
    if broker is None:
        try:
            own_broker = embedded_broker(prefer=embedded)
        except NoBrokerError as exc:
            print(exc, flush=True)
            return 2
        own_broker.start()
        broker = own_broker.url
        kind = "Mosquitto" if isinstance(own_broker, MosquittoBroker) else "amqtt (pure Python)"
        print(f"embedded MQTT broker ({kind}) at {broker}", flush=True)
    protocol: Literal["5", "3.1.1"] = "3.1.1" if isinstance(own_broker, AmqttBroker) else "5"
    settings = Settings(
        database_url=database_url,
        broker_url=broker,
        mqtt_protocol=protocol,
        mqtt_client_id=f"freeseat-demo-{port}",
        demo_mode=True,
        demo_with_real_accounts=with_real_accounts,
    )
    site = load_configured_site(settings)
    started = asyncio.Event()
    serving = asyncio.create_task(
        serve_app(
            create_app(settings, site=site),
            host=host,
            port=port,
            log_level="warning",
            started=started,
        )
    )
    simulation = None
    try:
        await asyncio.wait(
            [serving, asyncio.ensure_future(started.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        if not started.is_set():
            with contextlib.suppress(ServerDidNotStart):
                await serving
            print(f"the server could not start on {host}:{port}", flush=True)
            return 1
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        simulation = Simulation(
            site,
            broker,
            speed=speed,
            mqtt_protocol=protocol,
            server_url=f"http://{local}:{port}",
            demo_day=DemoDay(),
        )
        simulation.start()
        floors = site.floors()
        busiest = max(floors, key=lambda f: len(f.desks))
        print(
            f"freeseat demo: {site.site.name}, {len(floors)} floors, "
            f"{sum(len(f.desks) for f in floors)} desks, simulated at {speed:g}x",
            flush=True,
        )
        print(f"Dashboard: http://{host}:{port}/?floor={busiest.id}", flush=True)
        print(f"API docs:  http://{host}:{port}/docs", flush=True)
        print(f"Lobby board: http://{host}:{port}/board", flush=True)
        print(
            f"Connect a laptop to a room: freeseat connect --server http://{local}:{port} "
            "--staff-id s00005",
            flush=True,
        )
        print(_office_hours(site), flush=True)
        print(
            "Press Ctrl-C to stop." if duration is None else f"Stopping after {duration:g} s.",
            flush=True,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(serving), timeout=duration)
        return 0
    finally:
        serving.cancel()
        with contextlib.suppress(BaseException):
            await serving
        if simulation is not None:
            simulation.stop()
            print(f"simulation: {simulation.report()}", flush=True)
        if own_broker is not None:
            own_broker.stop()
        print("freeseat demo stopped", flush=True)


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
    with_real_accounts: Annotated[
        bool,
        typer.Option(
            "--with-real-accounts",
            help="Run on a --database that also holds real (imported) accounts; they keep "
            "needing their passwords, demo people sign in without one.",
        ),
    ] = False,
) -> None:
    """Run everything on this machine: broker, server on SQLite, simulated city hall, dashboard."""
    code = asyncio.run(
        run_demo(
            broker=broker,
            host=host,
            port=port,
            duration=duration,
            speed=speed,
            database=database,
            embedded=embedded_broker,
            with_real_accounts=with_real_accounts,
        )
    )
    raise typer.Exit(code)


def _office_hours(site: Site) -> str:
    """The site's local time and whether desks can be held now: after its end of day claims
    are refused until midnight there, which a visitor in another time zone would not expect."""
    now = datetime.now(UTC)
    ends, claims_open = SeatingSite.of(site).claims_window(now)
    local = now.astimezone(ends.tzinfo)
    line = f"Site time: {local:%H:%M} {site.site.timezone}; desks are held until {ends:%H:%M}"
    if not claims_open:
        line += " (the day there is over: seat claims open again at midnight, site time)"
    return line
