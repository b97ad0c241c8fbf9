"""Session fixtures: the city's directory, OpenID provider and calendar server, started once."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.directory.servers import Slapd, TestCa


@pytest.fixture(scope="session")
def city_it(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("city-it")


@pytest.fixture(scope="session")
def test_ca(city_it: Path) -> TestCa:
    """A CA of the tests' own, and a certificate for 127.0.0.1 it signed."""
    try:
        return TestCa.make(city_it / "ca")
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def slapd(city_it: Path, test_ca: TestCa) -> Iterator[Slapd]:
    """Debian's OpenLDAP with the seeded city hall, on free ports (ldap:// and ldaps://)."""
    try:
        server = Slapd(city_it / "slapd", test_ca)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    server.start()
    print(f"\nLDAP tests run against {server.version}")
    yield server
    server.stop()
