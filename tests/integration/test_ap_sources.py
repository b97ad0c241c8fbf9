"""The AP agent's readers on real sockets and files: hostapd restarts, log rotation, UDP."""

import socket
from pathlib import Path

from edge_agent.ap_sources.readers import MAX_LINE, FollowedFile, HostapdControl, SyslogListener
from server.adapters.embedded_broker import free_port
from tests.support import wait_until
from tests.wifi_support import FakeHostapd

A, B, C = "3c:22:fb:00:00:01", "3c:22:fb:00:00:02", "3c:22:fb:00:00:03"


def collect(reader: HostapdControl | FollowedFile | SyslogListener, want: int) -> list[str]:
    lines: list[str] = []

    def enough() -> bool:
        lines.extend(reader.poll())
        return len(lines) >= want

    wait_until(enough, timeout=10, what=f"{want} line(s) from {reader.name}")
    return lines


def test_hostapd_lists_who_is_there_on_attach_then_streams_events(tmp_path: Path) -> None:
    hostapd = FakeHostapd(tmp_path / "wlan0", associated=[A, B])
    reader = HostapdControl(hostapd.path)
    try:
        first = collect(reader, 3)
        assert first == ["AP-DISABLED", f"AP-STA-CONNECTED {A}", f"AP-STA-CONNECTED {B}"]
        hostapd.event(f"<3>AP-STA-DISCONNECTED {A}")
        assert collect(reader, 1) == [f"<3>AP-STA-DISCONNECTED {A}"]
    finally:
        reader.close()
        hostapd.close()


def test_a_restarted_hostapd_is_attached_again(tmp_path: Path) -> None:
    hostapd = FakeHostapd(tmp_path / "wlan0", associated=[A])
    reader = HostapdControl(hostapd.path, ping_s=0.2, retry_s=0.2)
    try:
        collect(reader, 2)
        hostapd.close()
        (tmp_path / "wlan0").unlink()
        hostapd = FakeHostapd(tmp_path / "wlan0", associated=[C])
        # The silent socket is pinged, the ping fails, and the reader attaches to the new one:
        # a reset first (everyone the old process had is gone), then who is there now.
        assert collect(reader, 2)[-2:] == ["AP-DISABLED", f"AP-STA-CONNECTED {C}"]
    finally:
        reader.close()
        hostapd.close()


def test_hostapd_not_running_yet_is_retried_quietly(tmp_path: Path) -> None:
    reader = HostapdControl(tmp_path / "wlan0", retry_s=0.1)
    try:
        assert reader.poll() == []
        hostapd = FakeHostapd(tmp_path / "wlan0", associated=[])
        try:
            assert collect(reader, 1) == ["AP-DISABLED"]
        finally:
            hostapd.close()
    finally:
        reader.close()


def test_a_followed_file_survives_rotation_truncation_and_over_long_lines(tmp_path: Path) -> None:
    log = tmp_path / "ap.log"
    log.write_text("history before the agent started\n")
    reader = FollowedFile(log)
    with log.open("a") as out:
        out.write("one\ntw")
    assert reader.poll() == ["one"]  # "tw" is still being written
    with log.open("a") as out:
        out.write("o\n" + "x" * (MAX_LINE + 10) + "\nthree\n")
    assert reader.poll() == ["two", "three"]  # the over-long line is dropped, not kept
    log.rename(tmp_path / "ap.log.1")
    log.write_text("after rotation\n")
    assert reader.poll() == ["after rotation"]
    log.write_text("")
    log.write_text("after truncation\n")
    assert reader.poll() == ["after truncation"]


def test_syslog_over_udp_one_message_per_datagram() -> None:
    port = free_port()
    listener = SyslogListener("127.0.0.1", port)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"<30>Nov 30 09:00:01 ap hostapd: one", ("127.0.0.1", port))
            udp.sendto(b"x" * (MAX_LINE + 1), ("127.0.0.1", port))  # dropped
            udp.sendto(b"<30>Nov 30 09:00:02 ap hostapd: two\n", ("127.0.0.1", port))
        assert collect(listener, 2) == [
            "<30>Nov 30 09:00:01 ap hostapd: one",
            "<30>Nov 30 09:00:02 ap hostapd: two",
        ]
    finally:
        listener.close()
