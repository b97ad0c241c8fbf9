"""`freeseat demo`: broker, server and a simulated city hall in one process tree."""

import asyncio
import contextlib
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import uvicorn

from firmware_config.site import Site
from server.adapters.embedded_broker import AmqttBroker, MosquittoBroker, embedded_broker
from server.api.app import UVICORN_OPTIONS, create_app
from server.api.runtime import load_configured_site
from server.services.seating import SeatingSite
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
) -> int:
    """Run until `duration` passes or Ctrl-C; returns the process exit code."""
    from edge_agent.simulator import Simulation

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    workdir = Path(tempfile.mkdtemp(prefix="freeseat-demo-"))
    own_broker: MosquittoBroker | AmqttBroker | None = None
    if broker is None:
        own_broker = embedded_broker(prefer=embedded)
        own_broker.start()
        broker = own_broker.url
        kind = "Mosquitto" if isinstance(own_broker, MosquittoBroker) else "amqtt (pure Python)"
        print(f"embedded MQTT broker ({kind}) at {broker}", flush=True)
    protocol: Literal["5", "3.1.1"] = "3.1.1" if isinstance(own_broker, AmqttBroker) else "5"
    settings = Settings(
        database_url=database or f"sqlite:///{workdir / 'freeseat.db'}",
        broker_url=broker,
        mqtt_protocol=protocol,
        mqtt_client_id=f"freeseat-demo-{port}",
        demo_mode=True,
    )
    site = load_configured_site(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, site=site),
            host=host,
            port=port,
            log_level="warning",
            **UVICORN_OPTIONS,
        )
    )
    serving = asyncio.create_task(server.serve())
    simulation = None
    try:
        while not server.started:
            if serving.done():
                print(f"the server could not start on {host}:{port}", flush=True)
                return 1
            await asyncio.sleep(0.05)
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        simulation = Simulation(
            site, broker, speed=speed, mqtt_protocol=protocol, server_url=f"http://{local}:{port}"
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
        print(_office_hours(site), flush=True)
        print(
            "Press Ctrl-C to stop." if duration is None else f"Stopping after {duration:g} s.",
            flush=True,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(serving), timeout=duration)
        return 0
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving
        if simulation is not None:
            simulation.stop()
            print(f"simulation: {simulation.report()}", flush=True)
        if own_broker is not None:
            own_broker.stop()
        print("freeseat demo stopped", flush=True)


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
