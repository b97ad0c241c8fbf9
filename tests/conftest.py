"""Shared fixtures: a real Mosquitto on a free port, an injected clock."""

import os
from collections.abc import Iterator

import pytest

from server.adapters.embedded_broker import MosquittoBroker, find_mosquitto
from tests.fakes import FakeClock


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
    """The session's broker, running again if an earlier test stopped it."""
    if not mosquitto.running:
        mosquitto.start()
    return mosquitto


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def postgres_url() -> str:
    """The machine's PostgreSQL (CI has it); FREESEAT_TEST_POSTGRES overrides."""
    return os.environ.get(
        "FREESEAT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
