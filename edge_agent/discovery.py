"""Zero-touch set-up: find the freeseat server of a site by zeroconf (`_freeseat._tcp`).

The server advertises itself with TXT records `site`, `api` (the API's base URL path),
`broker` (the MQTT URL agents connect to) and `v` (this TXT format's version). An agent whose
config names no broker (desk, AP and room agents alike) browses for these and takes the first
one of its own site that it may trust with its login (see edge_agent.runtime.connection).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zeroconf import (
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)

log = logging.getLogger(__name__)

SERVICE = "_freeseat._tcp.local."
TXT_VERSION = "1"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}


@dataclass(frozen=True, slots=True)
class FoundServer:
    """A freeseat server on the network: its site, broker and API."""

    name: str
    site: str
    broker_url: str
    api_url: str
    server_url: str  # the server's base URL (pages such as a room's screen live under it)


class DiscoveryTimeout(RuntimeError):
    """No server of the site answered in time; the message says what to check."""


def parse_advert(info: ServiceInfo) -> FoundServer | None:
    """The server an advert describes, or None when it is not one we understand."""
    props = {
        k.decode(errors="replace"): (v or b"").decode(errors="replace")
        for k, v in info.properties.items()
    }
    addresses = info.parsed_addresses(IPVersion.V4Only)
    if props.get("v") != TXT_VERSION or not props.get("site") or not addresses or not info.port:
        return None
    host = addresses[0]
    broker = props.get("broker") or f"mqtt://{host}:1883"
    parts = urlsplit(broker)
    if parts.hostname in _LOOPBACK and host not in _LOOPBACK:
        # The server names its broker as it reaches it; remote agents reach it at its address.
        port = f":{parts.port}" if parts.port else ""
        broker = urlunsplit((parts.scheme, f"{host}{port}", parts.path, "", ""))
    api = props.get("api", "/api")
    base = f"http://{host}:{info.port}"
    return FoundServer(info.name, props["site"], broker, f"{base}{api}", base)


# Why an advert may not be used (e.g. its broker would see a password in clear), or None.
AdvertCheck = Callable[[FoundServer], str | None]


def discover_unless_stopped(
    site: str,
    interfaces: Sequence[str] | None,
    stop: threading.Event,
    accept: AdvertCheck | None = None,
) -> FoundServer | None:
    """An agent's start-up search: browse until the site's server answers, or None once `stop`
    is set (the agent was stopped before any server answered, so nothing was started)."""
    try:
        return discover_server(site, interfaces=interfaces, stop=stop, accept=accept)
    except DiscoveryTimeout:
        return None


def discover_server(
    site: str,
    *,
    timeout: float | None = None,
    interfaces: Sequence[str] | None = None,
    stop: threading.Event | None = None,
    accept: AdvertCheck | None = None,
) -> FoundServer:
    """Browse until a server of `site` answers with an advert `accept` lets through; raises
    DiscoveryTimeout after `timeout` s, naming the adverts it left alone and why."""
    zc = Zeroconf(
        interfaces=list(interfaces) if interfaces else InterfaceChoice.All,
        ip_version=IPVersion.V4Only,
    )
    names: queue.Queue[str] = queue.Queue()

    def on_change(**kwargs: Any) -> None:
        if kwargs["state_change"] in (ServiceStateChange.Added, ServiceStateChange.Updated):
            names.put(kwargs["name"])

    browser = ServiceBrowser(zc, SERVICE, handlers=[on_change])
    deadline = None if timeout is None else time.monotonic() + timeout
    next_log = time.monotonic() + 30
    others: set[str] = set()
    refused: dict[str, str] = {}
    try:
        while True:
            if stop is not None and stop.is_set():
                raise DiscoveryTimeout("stopped while looking for the freeseat server")
            if deadline is not None and time.monotonic() > deadline:
                hint = f" (found servers of other sites: {sorted(others)})" if others else ""
                hint += "".join(f"; ignored {url}: {why}" for url, why in refused.items())
                raise DiscoveryTimeout(
                    f"no freeseat server of site {site!r} answered on {SERVICE} within "
                    f"{timeout:.0f} s{hint}; check the server runs with FREESEAT_ADVERTISE=true "
                    "on this network, or put `broker:` in the agent config"
                )
            if time.monotonic() > next_log:
                log.info("still looking for the freeseat server of site %r by zeroconf", site)
                next_log = time.monotonic() + 30
            try:
                name = names.get(timeout=0.2)
            except queue.Empty:
                continue
            info = zc.get_service_info(SERVICE, name, timeout=3000)
            found = parse_advert(info) if info is not None else None
            if found is None:
                continue
            if found.site != site:
                others.add(found.site)
                continue
            why = accept(found) if accept is not None else None
            if why is not None:
                if found.broker_url not in refused:
                    log.warning("ignoring the advert of broker %s: %s", found.broker_url, why)
                refused[found.broker_url] = why
                continue
            log.info("found the freeseat server %s: broker %s", found.name, found.broker_url)
            return found
    finally:
        browser.cancel()
        zc.close()
