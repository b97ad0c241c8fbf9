"""Zeroconf on loopback: agents take only their own site's server, and say so when none answers."""

import asyncio
import contextlib

import pytest

from edge_agent.discovery import DiscoveryTimeout, discover_server
from server.adapters.advertiser import ServerAdvertiser


async def test_agent_ignores_another_sites_server_and_names_what_to_check() -> None:
    other = ServerAdvertiser(
        site="annex",
        http_port=8123,
        broker_url="mqtt://127.0.0.1:18831",
        interfaces=["127.0.0.1"],
    )
    ours = ServerAdvertiser(
        site="testhall",
        http_port=8124,
        broker_url="mqtts://127.0.0.1:8883",
        interfaces=["127.0.0.1"],
    )
    advertising = asyncio.create_task(other.run())
    try:
        with pytest.raises(DiscoveryTimeout) as refused:
            await asyncio.to_thread(
                discover_server, "testhall", timeout=4, interfaces=["127.0.0.1"]
            )
        message = str(refused.value)
        assert "no freeseat server of site 'testhall'" in message
        assert "other sites: ['annex']" in message and "broker:" in message

        second = asyncio.create_task(ours.run())
        try:
            found = await asyncio.to_thread(
                discover_server, "testhall", timeout=15, interfaces=["127.0.0.1"]
            )
            assert found.site == "testhall"
            assert found.broker_url == "mqtts://127.0.0.1:8883"
            assert found.api_url == "http://127.0.0.1:8124/api"
        finally:
            second.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await second
    finally:
        advertising.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await advertising
