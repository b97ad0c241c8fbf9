"""The production broker config is one Mosquitto accepts, and it refuses anonymous clients."""

import subprocess
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from firmware_config.mosquitto import (
    MAX_QUEUED_MESSAGES,
    SITE_AUTOSAVE_S,
    BrokerFiles,
    production_config,
)
from server.adapters.embedded_broker import find_mosquitto, free_port, wait_for_port
from tests.support import wait_until


def test_production_config_starts_mosquitto_and_refuses_anonymous(tmp_path: Path) -> None:
    binary = find_mosquitto()
    if binary is None:
        pytest.fail("mosquitto is not installed; scripts/test installs it", pytrace=False)
    port = free_port()
    (tmp_path / "passwd").write_text("")
    text = production_config(
        BrokerFiles(password_file=tmp_path / "passwd"),
        data_dir=tmp_path,
        plain_listener=f"{port} 127.0.0.1",
    )
    assert f"max_queued_messages {MAX_QUEUED_MESSAGES}" in text
    assert "set_tcp_nodelay true" in text and "persistence true" in text
    # A crash loses at most this much of what the broker held (the agents send it again).
    assert f"autosave_interval {SITE_AUTOSAVE_S}" in text and SITE_AUTOSAVE_S <= 10
    # Logging to stderr here: the test machine has no syslog daemon.
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(text.replace("log_dest syslog", "log_dest stderr") + "user root\n")
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port("127.0.0.1", port)
        results: list[object] = []
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        client.on_connect = lambda c, u, f, reason, p: results.append(reason)
        client.connect("127.0.0.1", port)
        client.loop_start()
        reason = wait_until(lambda: results[0] if results else None, 10, "CONNACK")
        client.loop_stop()
        assert reason.is_failure and "authori" in str(reason).lower()  # type: ignore[attr-defined]
    finally:
        proc.terminate()
        proc.wait(10)
