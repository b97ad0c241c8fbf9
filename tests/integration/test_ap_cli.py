"""`freeseat whereami` against a real server, and `freeseat agent ap` config errors."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from server.api.app import create_app
from server.cli import app as cli
from server.settings import Settings
from tests.fakes import FakeClock
from tests.signin import sign_in
from tests.support import ServerThread
from tests.wifi_support import BSSIDS, wifi_site

runner = CliRunner()


@pytest.fixture
def server(database_url: str, clock: FakeClock) -> Iterator[ServerThread]:
    settings = Settings(database_url=database_url, enable_mqtt=False, demo_mode=True)
    with ServerThread(create_app(settings, clock=clock, site=wifi_site())) as running:
        yield running


def test_whereami_shares_the_laptops_zone_without_printing_the_bssid(
    server: ServerThread,
) -> None:
    bssid = BSSIDS["f1", 2][0]
    result = runner.invoke(
        cli, ["whereami", "--staff-id", "s00005", "--server", server.url, "--bssid", bssid]
    )
    assert result.exit_code == 0, result.output
    assert "zone f1-b on floor f1" in result.output
    assert bssid not in result.output.lower()
    with httpx.Client(base_url=server.url) as colleague:
        sign_in(colleague, "s00006")
        found = colleague.get("/api/presence/colleagues/s00005").json()
    assert (found["found"], found["zone"]) == (True, "f1-b")


def test_whereami_without_sharing_is_refused_with_what_to_do(server: ServerThread) -> None:
    result = runner.invoke(
        cli,
        [
            "whereami",
            "--staff-id",
            "s00005",
            "--server",
            server.url,
            "--no-share",
            "--bssid",
            BSSIDS["f1", 1][0],
        ],
    )
    assert result.exit_code == 1
    # What to do, in words: no status code for a person to decode.
    assert "turn it on first" in result.output and "409" not in result.output


def test_agent_ap_config_errors_name_the_file_and_field_and_never_echo_a_mac(
    tmp_path: Path,
) -> None:
    config = tmp_path / "ap.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "device": "apagent-f1-1",
                "site": "testhall",
                "access_point": "ap-f1-1",
                "broker": "mqtt://127.0.0.1:1883",
                "outbox": "ap.sqlite",
                "bssids": ["0a:00:00:00:11:0"],
                "sources": [{"type": "syslog"}],
            }
        )
    )
    result = runner.invoke(cli, ["agent", "ap", "--config", str(config)])
    assert result.exit_code == 2
    assert str(config) in result.output
    assert "bssids: item 0 is not a MAC address; write six hex pairs" in result.output
    assert (
        "sources.0" in result.output
        and "a syslog source needs exactly one of file, listen" in result.output
    )
    assert "0a:00:00:00:11:0" not in result.output
