"""The Home Assistant bridge: publishes discovery and desk states to the broker (retained)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

import paho.mqtt.client as mqtt

from contracts import BrokerAddress
from contracts.mqtt_client import ClientSetup, connect_in_background, new_client
from firmware_config.site import Site
from server.services.home_assistant import (
    Message,
    bridge_status_topic,
    discovery_messages,
    state_messages,
)

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return metadata.version("freeseat")
    except metadata.PackageNotFoundError:
        return "dev"


class HomeAssistantBridge:
    """Mirrors every desk's live state into Home Assistant's MQTT discovery model.

    `states` returns each desk's current freeseat state (from the live-feed hub, which every
    replica keeps current); only changes are published, and everything again after a
    reconnect, since the broker may have lost retained messages.
    """

    def __init__(
        self,
        *,
        site: Site,
        states: Callable[[], Mapping[str, str]],
        broker_url: str,
        client_id: str,
        username: str | None,
        password: str | None,
    ) -> None:
        self._site_id = site.site.id
        self._configs = discovery_messages(site, _version())
        self._states = states
        self._published: dict[str, str] = {}
        self._lock = threading.Lock()
        self._fresh_session = False
        # A clean session: everything is published again after each connect anyway.
        self._setup = ClientSetup(
            address=BrokerAddress.parse(broker_url),
            client_id=client_id,
            username=username,
            password=password,
            keepalive_s=60,
        )
        client = new_client(self._setup)
        client.will_set(bridge_status_topic(self._site_id), "offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        self._client = client

    def _on_connect(self, client: mqtt.Client, u: Any, f: Any, reason: Any, p: Any) -> None:
        if reason.is_failure:
            log.error("Home Assistant bridge: broker refused the connection: %s", reason)
            return
        with self._lock:
            self._fresh_session = True

    def sync(self) -> int:
        """Publish what changed since the last call (everything after a connect); returns count."""
        with self._lock:
            fresh, self._fresh_session = self._fresh_session, False
        if not self._client.is_connected() and not fresh:
            return 0
        messages: list[Message] = []
        if fresh:
            self._published.clear()
            messages += self._configs
            messages.append(Message(bridge_status_topic(self._site_id), "online"))
        for desk, state in self._states().items():
            if self._published.get(desk) != state:
                messages += state_messages(self._site_id, desk, state)
                self._published[desk] = state
        for message in messages:
            self._client.publish(message.topic, message.payload, qos=1, retain=True)
        return len(messages)

    async def run(self, interval_s: float = 1.0) -> None:
        """Connect and keep Home Assistant in step until cancelled."""
        connect_in_background(self._client, self._setup)
        try:
            while True:
                self.sync()
                await asyncio.sleep(interval_s)
        finally:
            # A clean disconnect does not fire the will: say offline ourselves, and wait for it.
            info = self._client.publish(
                bridge_status_topic(self._site_id), "offline", qos=1, retain=True
            )
            if self._client.is_connected():
                await asyncio.to_thread(info.wait_for_publish, 2.0)
            self._client.disconnect()
            self._client.loop_stop()
