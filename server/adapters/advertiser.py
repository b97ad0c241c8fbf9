"""Advertise the server as `_freeseat._tcp` over zeroconf, so agents need no broker address."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence

from zeroconf import InterfaceChoice, IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

log = logging.getLogger(__name__)

SERVICE = "_freeseat._tcp.local."
TXT_VERSION = "1"  # edge_agent.discovery reads this format


def primary_address() -> str:
    """The IPv4 address this host's default route leaves from (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing decides, nothing is sent
            address: str = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    return address


class ServerAdvertiser:
    """Registers the advert while `run` is awaited; unregisters when it is cancelled."""

    def __init__(
        self,
        *,
        site: str,
        http_port: int,
        broker_url: str,
        api_path: str = "/api",
        address: str | None = None,
        interfaces: Sequence[str] | None = None,
    ) -> None:
        self.address = address or (interfaces[0] if interfaces else primary_address())
        self._interfaces = list(interfaces) if interfaces else None
        self.info = AsyncServiceInfo(
            SERVICE,
            f"freeseat {site}.{SERVICE}",
            addresses=[socket.inet_aton(self.address)],
            port=http_port,
            properties={"v": TXT_VERSION, "site": site, "api": api_path, "broker": broker_url},
            server=f"freeseat-{site}.local.",
        )

    async def run(self) -> None:
        """Advertise until cancelled."""
        zc = AsyncZeroconf(
            interfaces=self._interfaces or InterfaceChoice.All, ip_version=IPVersion.V4Only
        )
        try:
            # allow_name_change: a second server of the same site gets "freeseat x (2)".
            registered = await zc.async_register_service(self.info, allow_name_change=True)
            await registered  # probing for name conflicts, then the announcement
            log.info("advertising %s at %s:%d", self.info.name, self.address, self.info.port)
            await asyncio.Event().wait()
        finally:
            try:
                await asyncio.shield(zc.async_unregister_all_services())
            finally:
                await asyncio.shield(zc.async_close())
