"""`freeseat demo --duration`: broker, server and simulator run, desks go live, it stops."""

import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from server.adapters.embedded_broker import free_port
from tests.support import wait_until


def run_demo(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], list[str], int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "demo",
            "--port",
            str(port),
            "--speed",
            "600",
            "--duration",
            "25",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    lines: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines, port


@pytest.mark.parametrize("broker", ["mosquitto", "amqtt"])
def test_demo_runs_the_city_hall_and_stops_on_time(tmp_path: Path, broker: str) -> None:
    proc, lines, port = run_demo(tmp_path, "--embedded-broker", broker)
    try:
        url_line = wait_until(
            lambda: next((line for line in lines if line.startswith("Dashboard: ")), None),
            60,
            "the dashboard URL",
        )
        assert re.fullmatch(rf"Dashboard: http://127\.0\.0\.1:{port}/\?floor=f\d+", url_line)
        base = f"http://127.0.0.1:{port}"
        assert "floor-map" in httpx.get(base + "/").text
        floors = httpx.get(base + "/api/floors").json()
        assert len(floors) >= 6 and sum(f["desks"] for f in floors) >= 1550

        def desks_sensed() -> int:
            counts = [f["counts"] for f in httpx.get(base + "/api/floors").json()]
            return sum(c.get("occupied", 0) + c.get("free", 0) for c in counts)

        # The simulated building reaches the map: desks leave "unknown" as sensors report.
        wait_until(lambda: desks_sensed() > 100, 20, "simulated sensor reports applied")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "\n".join(lines)
    assert "freeseat demo stopped" in output
    # The visitor learns the city hall's time, since seats are held only until its end of day.
    assert re.search(r"^Site time: \d\d:\d\d Asia/Tokyo; desks are held until 20:00", output, re.M)
    assert "Traceback" not in output, output
