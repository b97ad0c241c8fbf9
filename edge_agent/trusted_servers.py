"""The freeseat servers this laptop's user named: the only places a password is sent to.

`freeseat connect` and `freeseat whereami` sign in only to a server named by `--server`, by
FREESEAT_SERVER, or remembered from an earlier successful sign-in to a server named that way
(a file IT may also hand out: `servers.json` in the config folder). Zeroconf adverts of room
displays name rooms, never a URL: whoever can answer mDNS on the office network must not
receive anyone's password.
"""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class UntrustedServer(Exception):
    """No server was named, or the named one is unusable; the message says what to give."""


@dataclass(frozen=True, slots=True)
class TrustedServer:
    """A server the user named, and the CA that verifies its HTTPS certificate (None: the
    system's store)."""

    url: str
    ca_file: str | None = None

    def tls_context(self) -> ssl.SSLContext | None:
        """The context that verifies this server's certificate; None for plain HTTP."""
        if not self.url.startswith("https://"):
            return None
        return ssl.create_default_context(cafile=self.ca_file)


def config_dir() -> Path:
    """Where the laptop commands keep their settings: FREESEAT_CONFIG_DIR, else the user's
    config folder (XDG_CONFIG_HOME or ~/.config) under `freeseat`."""
    named = os.environ.get("FREESEAT_CONFIG_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "freeseat"


def checked_url(url: str) -> str:
    """`url` as a server base URL (no trailing slash); raises UntrustedServer when it is not
    http(s)://host[:port], or is plain HTTP to another machine."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UntrustedServer(
            f"server {url!r} must look like https://freeseat.example.city or http://127.0.0.1:8000"
        )
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        # A password in clear text to another machine is readable by anyone on the path.
        raise UntrustedServer(
            f"server {url!r} is plain HTTP to another machine: use its https:// address"
        )
    return url.strip().rstrip("/")


class TrustedServers:
    """The servers remembered in `servers.json`, and the choice of the one to sign in to."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> TrustedServers:
        return cls(config_dir() / "servers.json")

    def load(self) -> list[TrustedServer]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise UntrustedServer(
                f"{self.path}: cannot read the trusted servers ({exc}); fix or delete it"
            ) from None
        entries = data.get("servers", []) if isinstance(data, dict) else []
        return [
            TrustedServer(str(e["url"]), e.get("ca_file"))
            for e in entries
            if isinstance(e, dict) and "url" in e
        ]

    def choose(self, named: str | None, ca_file: str | None = None) -> TrustedServer:
        """The server to sign in to: the one named, else the only one remembered."""
        known = self.load()
        if named is not None:
            url = checked_url(named)
            remembered = next((s for s in known if s.url == url), None)
            return TrustedServer(url, ca_file or (remembered.ca_file if remembered else None))
        if len(known) == 1:
            only = known[0]
            return TrustedServer(only.url, ca_file or only.ca_file)
        if known:
            listed = ", ".join(s.url for s in known)
            raise UntrustedServer(
                f"several servers are remembered ({listed}): pick one with --server"
            )
        raise UntrustedServer(
            "no freeseat server named: give --server https://… (your IT desk has the address) "
            "or set FREESEAT_SERVER; after one sign-in it is remembered"
        )

    def remember(self, server: TrustedServer) -> None:
        """Keep `server` (after a sign-in there worked), so later runs need no --server."""
        known = [s for s in self.load() if s.url != server.url]
        entries = [{"url": s.url, "ca_file": s.ca_file} for s in [server, *known]]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"servers": entries}, indent=2) + "\n", encoding="utf-8")
