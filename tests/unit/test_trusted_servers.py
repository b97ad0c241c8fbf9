"""Which server a laptop signs in to: only one its user named, never one an advert offers."""

from pathlib import Path

import pytest

from edge_agent.trusted_servers import TrustedServer, TrustedServers, UntrustedServer


def test_a_named_server_is_used_and_once_signed_in_remembered(tmp_path: Path) -> None:
    trusted = TrustedServers(tmp_path / "servers.json")
    with pytest.raises(UntrustedServer, match="give --server https://"):
        trusted.choose(None)
    chosen = trusted.choose("https://freeseat.city.example/", "/etc/freeseat/ca.crt")
    assert chosen == TrustedServer("https://freeseat.city.example", "/etc/freeseat/ca.crt")
    trusted.remember(chosen)
    assert trusted.choose(None) == chosen  # the CA comes back with it
    trusted.remember(TrustedServer("http://127.0.0.1:8000"))
    with pytest.raises(UntrustedServer, match="several servers are remembered"):
        trusted.choose(None)
    assert trusted.choose("http://127.0.0.1:8000").url == "http://127.0.0.1:8000"


def test_a_password_never_crosses_the_network_in_clear(tmp_path: Path) -> None:
    trusted = TrustedServers(tmp_path / "servers.json")
    with pytest.raises(UntrustedServer, match="plain HTTP to another machine"):
        trusted.choose("http://10.0.0.8:8000")
    with pytest.raises(UntrustedServer, match="must look like"):
        trusted.choose("mqtt://10.0.0.8")
    assert TrustedServer("https://hall.example").tls_context() is not None
    assert TrustedServer("http://127.0.0.1:8000").tls_context() is None
