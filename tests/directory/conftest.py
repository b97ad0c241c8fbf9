"""Session fixtures: the city's directory, OpenID provider and calendar server, started once."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.directory.servers import OidcProvider, Radicale, Slapd, TestCa


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


@pytest.fixture(scope="session")
def oidc_provider(city_it: Path) -> Iterator[OidcProvider]:
    """The certified `oidc-provider` (npm) on a free port; installed once into test-output/."""
    install = Path(__file__).resolve().parents[2] / "test-output" / "oidc-provider"
    try:
        provider = OidcProvider(install, city_it / "oidc")
        provider.start()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"the OpenID provider could not be started: {exc}", pytrace=False)
    print(f"\nOIDC tests run against oidc-provider {provider.version} on Node.js")
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def radicale(city_it: Path) -> Iterator[Radicale]:
    """Radicale, the CalDAV server, holding the room calendars."""
    server = Radicale(city_it / "radicale")
    server.start()
    print(f"\nCalDAV tests run against {server.version}")
    yield server
    server.stop()
