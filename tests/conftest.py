"""Shared fixtures: a real Mosquitto on a free port, an injected clock."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from server.adapters.embedded_broker import MosquittoBroker, find_mosquitto
from tests.fakes import FakeClock

if TYPE_CHECKING:
    from tests.month_support import SimulatedMonth

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[MosquittoBroker]:
    """A private Mosquitto for the test session; fault tests may stop and start it."""
    binary = find_mosquitto()
    if binary is None:
        pytest.fail(
            "mosquitto is not installed; scripts/test installs it (apt-get install mosquitto)",
            pytrace=False,
        )
    broker = MosquittoBroker(binary)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def broker(mosquitto: MosquittoBroker) -> MosquittoBroker:
    """The session's broker, emptied for this test.

    Emptied because retained statuses and queued messages of persistent sessions (the server's
    client id is the same in many tests) would otherwise reach the next test's server.
    """
    mosquitto.reset()
    return mosquitto


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def laptop_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The laptop commands' config folder (remembered servers), private to each test."""
    folder = tmp_path_factory.mktemp("laptop-config")
    monkeypatch.setenv("FREESEAT_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL of the tests: FREESEAT_TEST_DATABASE_URL (scripts/test sets it) or default."""
    return os.environ.get("FREESEAT_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> Iterator[str]:
    """A fresh, empty database on each backend freeseat supports (schema not yet created).

    Every database-facing test takes this fixture, so it runs on SQLite and on PostgreSQL.
    On PostgreSQL each test gets a database of its own, dropped afterwards.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'freeseat.db'}"
        return
    name = f"freeseat_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {make_url(postgres_url).render_as_string()} is not usable"
            f" ({exc.orig}); run the tests with scripts/test (it starts a private PostgreSQL),"
            " or point FREESEAT_TEST_DATABASE_URL at one",
            pytrace=False,
        )
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def simulated_month(tmp_path_factory: pytest.TempPathFactory) -> "SimulatedMonth":
    """28 simulated days of floor 3 of the demo city hall, ending yesterday, replayed once."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.month_support import simulate

    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    return simulate(tmp_path_factory.mktemp("month"), today)
