"""Helpers the browser test modules share: desk presence published over MQTT."""

from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contracts import DeskPresenceChanged, build_topic, encode
from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker


class Publisher:
    """Desk presence over MQTT as gateways send it: QoS 1, per-device increasing seq."""

    def __init__(self, broker: MosquittoBroker, site: Site) -> None:
        self._site_id = site.site.id
        self.device_of = {
            desk: device.id
            for device in site.devices
            if device.kind == "desk"
            for desk in device.desks
        }
        self._seq: dict[str, int] = {}
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.max_inflight_messages_set(1000)
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def presence_many(self, facts: list[tuple[str, bool, datetime]]) -> None:
        """Publish every fact without waiting in between; return when the broker has them all."""
        infos = []
        for desk, present, at in facts:
            device = self.device_of[desk]
            seq = self._seq[device] = self._seq.get(device, 0) + 1
            event = DeskPresenceChanged(
                device=device, epoch=1, seq=seq, at=at, desk=desk, present=present, sensor="mmwave"
            )
            topic = build_topic(self._site_id, "desk", device, "event")
            infos.append(self._client.publish(topic, encode(event), qos=1))
        for info in infos:
            info.wait_for_publish(10)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
