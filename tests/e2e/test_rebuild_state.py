"""State is a fold of the log: after a long simulated day, a replay gives the live state."""

from pathlib import Path

import httpx
import yaml
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from edge_agent.simulator import Simulation
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.cli import app as cli
from server.composition.commands import rebuild_state
from server.composition.runtime import Runtime
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import ServerThread, small_site, wait_until


def log_types(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT type, count(*) FROM event_log GROUP BY type")).all()
    engine.dispose()
    return {t: n for t, n in rows}


def test_rebuilt_state_equals_live_state_after_a_long_day(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    site = small_site(desks_per_zone=12)
    url = database_url
    clock = FakeClock()
    settings = Settings(database_url=url, broker_url=broker.url, mqtt_client_id="fold-server")
    with ServerThread(create_app(settings, clock=clock, site=site)) as server:
        wait_until(lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"])
        runtime: Runtime = server.app.state.runtime
        simulation = Simulation(site, broker.url, speed=3600, heartbeat_s=0.5, workdir=tmp_path)
        simulation.start()
        try:
            wait_until(lambda: simulation.report().presence_events > 150, 30, "a busy morning")

            # The server's clock jumps an hour: every gateway looks silent, its desks unknown. A
            # heartbeat that lands between the jump and the sweep revives its gateway, so on a
            # busy machine the jump is repeated until a sweep catches silent gateways.
            def jump_and_sweep() -> bool:
                clock.advance(hours=1)
                return bool(runtime.sweep.run().changes)

            wait_until(jump_and_sweep, 30, "a sweep that made desks unknown")
            wait_until(lambda: simulation.report().presence_events > 400, 60, "the afternoon")
        finally:
            report = simulation.stop()
        wait_until(
            lambda: (
                httpx.get(f"{server.url}/api/health").json()["ingest_queue"] == 0
                and runtime.pump is not None
                and runtime.pump.totals.applied >= report.presence_events
            ),
            30,
            "every simulated event applied",
        )
        # Stopped gateways said goodbye: their desks become unknown, not free. The goodbyes may
        # still be on their way when the last presence event is applied, so wait for them.
        wait_until(
            lambda: all(
                set(f["counts"]) == {"unknown"}
                for f in httpx.get(f"{server.url}/api/floors").json()
            ),
            30,
            "every desk unknown after the gateways stopped",
        )

    types = log_types(url)
    assert types["desk.presence_changed"] >= report.presence_events
    assert types["desk.contact_lost"] >= 1 and types["device.status"] >= 1
    result = rebuild_state(url, site, write=False)
    assert result.report.records == sum(types.values())
    assert result.report.differences == []

    # The command line says the same, and exits 0 when live and rebuilt agree.
    site_file = tmp_path / "site.yaml"

    site_file.write_text(yaml.safe_dump(site.model_dump(mode="json")))
    outcome = CliRunner().invoke(
        cli, ["db", "rebuild-state", "--url", url, "--site", str(site_file)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "0 differ from the live state" in outcome.output
