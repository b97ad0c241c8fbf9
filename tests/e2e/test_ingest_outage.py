"""A real server with its ingest worker: a database outage loses nothing; a kill leaves nothing.

The outage is real: under SQLite the server's files cannot grow (a file-size limit on the server
and its worker, as on a full disk), under PostgreSQL connections are refused and cut. Events
keep coming meanwhile; afterwards every one is in the event log exactly once, none quarantined.
"""

import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.embedded_broker import MosquittoBroker, free_port
from tests.outage_support import RefusedPostgres
from tests.support import METRICS_TOKEN, scrape, small_site, wait_until

EVENTS = 300
DESKS = [f"desk-f1-a-01-0{n}" for n in range(1, 5)]
TOPIC = build_topic("testhall", "desk", "gw-f1-a", "event")
WINDOW = 60  # unacknowledged messages the server takes from the broker


@contextmanager
def serving(tmp_path: Path, broker: MosquittoBroker, url: str) -> Iterator["Served"]:
    """`freeseat serve` with the ingest worker, its output kept by a thread (not in a file: a
    file-size limit on the server would stop its log too)."""
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(small_site().model_dump(mode="json")))
    port = free_port()
    env = {
        **os.environ,
        "FREESEAT_DATABASE_URL": url,
        "FREESEAT_BROKER_URL": broker.url,
        "FREESEAT_SITE_FILE": str(tmp_path / "site.yaml"),
        "FREESEAT_MQTT_CLIENT_ID": "outage-test-server",
        "FREESEAT_INGEST_WORKER": "true",
        "FREESEAT_INGEST_BATCH_MAX": "20",
        "FREESEAT_MQTT_RECEIVE_MAXIMUM": str(WINDOW),
        "FREESEAT_METRICS_TOKEN": METRICS_TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: served.health().get("broker_connected"), 60, "server subscribed")
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(20)
        served.output_done.wait(5)
        # Shown by pytest when the test fails: what the server said.
        sys.stderr.write("".join(served.output[-200:]))


class Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url
        self.output: list[str] = []
        self.output_done = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.decode(errors="replace"))
        self.output_done.set()

    def health(self) -> dict[str, Any]:
        try:
            body: dict[str, Any] = httpx.get(f"{self.url}/api/health", timeout=10).json()
        except httpx.HTTPError:
            return {}
        return body


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (zombies are gone: they hold nothing)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def logged(url: str) -> tuple[int, int, int]:
    """Event-log rows, distinct event ids, quarantined messages."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT event_id),"
                    " (SELECT count(*) FROM quarantine) FROM event_log"
                )
            ).one()
    except DBAPIError:
        return (0, 0, 0)
    finally:
        engine.dispose()
    return int(row[0]), int(row[1]), int(row[2])


def publish(publisher: mqtt.Client, seqs: range) -> list[mqtt.MQTTMessageInfo]:
    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    return [
        publisher.publish(
            TOPIC,
            encode(
                DeskPresenceChanged(
                    device="gw-f1-a",
                    epoch=1,
                    seq=seq,
                    at=start + timedelta(seconds=seq),
                    desk=DESKS[seq % 4],
                    present=seq % 3 != 0,
                    sensor="mmwave",
                )
            ),
            qos=1,
        )
        for seq in seqs
    ]


class FilesCannotGrow:
    """SQLite's files cannot grow in the server and its worker: a full disk as they see it."""

    def __init__(self, server_pid: int) -> None:
        self._pids = {server_pid} | descendants(server_pid)

    def start(self) -> None:
        for pid in self._pids:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))

    def end(self) -> None:
        for pid in self._pids:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)


def test_a_database_outage_holds_ingest_and_every_event_applies_once_after_it(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    sqlite = make_url(database_url).get_backend_name() == "sqlite"
    refused = None if sqlite else RefusedPostgres(database_url)
    with serving(tmp_path, broker, refused.url if refused else database_url) as served:
        outage = FilesCannotGrow(served.process.pid) if sqlite else refused
        assert outage is not None
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        publisher.connect(broker.host, broker.port)
        publisher.loop_start()
        try:
            infos = publish(publisher, range(1, EVENTS // 3 + 1))
            wait_until(lambda: logged(database_url)[0] >= EVENTS // 3, 60, "first third applied")
            outage.start()
            try:
                infos += publish(publisher, range(EVENTS // 3 + 1, EVENTS + 1))
                waiting = wait_until(
                    lambda: (
                        (h := served.health()).get("ingest_outage")
                        and h["ingest_outage"]["retries"] >= 3
                        and h
                    ),
                    60,
                    "health to say ingest waits for the database",
                )
                assert waiting["status"] == "degraded"
                assert "database_unavailable" in waiting["reasons"]
                expected = "database_io_error" if sqlite else "database_unreachable"
                assert waiting["ingest_outage"]["reason"] == expected
                # Pushback, not loss: the server holds its window of unacknowledged messages
                # (FREESEAT_MQTT_RECEIVE_MAXIMUM), paho stops reading, the broker keeps the rest.
                wait_until(
                    lambda: served.health().get("ingest_queue") == WINDOW,
                    30,
                    "the server's window full of held messages",
                )
                assert waiting["quarantined"] == 0
            finally:
                outage.end()
            for info in infos:
                info.wait_for_publish(30)
        finally:
            publisher.loop_stop()
            publisher.disconnect()
        wait_until(lambda: logged(database_url)[0] >= EVENTS, 90, "every event applied")
        assert logged(database_url) == (EVENTS, EVENTS, 0), "each once, none quarantined"
        wait_until(lambda: served.health().get("status") == "ok", 30, "health ok again")
        metrics = scrape(served.url).text
        assert "freeseat_ingest_database_outage 0" in metrics
        outage_s = next(
            float(line.split()[1])
            for line in metrics.splitlines()
            if line.startswith("freeseat_ingest_database_outage_seconds_total ")
        )
        assert outage_s > 0
        floor = httpx.get(f"{served.url}/api/floors/f1", timeout=10).json()
        states = {d["id"]: d["state"] for d in floor["desks"]}
        for n, desk in enumerate(DESKS):
            last = max(seq for seq in range(1, EVENTS + 1) if seq % 4 == n)
            assert states[desk] == ("occupied" if last % 3 != 0 else "free"), desk


def test_the_ingest_worker_dies_with_its_killed_server(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    with serving(tmp_path, broker, f"sqlite:///{tmp_path / 'freeseat.db'}") as served:
        children = wait_until(lambda: descendants(served.process.pid), 30, "the ingest worker")
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(10)
        wait_until(
            lambda: not any(alive(pid) for pid in children),
            10,
            f"the server's processes {sorted(children)} to exit after it was killed",
        )
