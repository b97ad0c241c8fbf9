"""The laptop side of pairing, without a network: picking a room, and the screen fallback."""

import socket

import pytest
from zeroconf import ServiceInfo

from edge_agent.room_agent import open_screen
from edge_agent.room_connect import choose
from edge_agent.room_discovery import ROOM_SERVICE, RoomDisplay, parse_room_info, room_service_info

DISPLAYS = [
    RoomDisplay("room-201", "Meeting Room 201 / 201会議室", "10.0.0.5", 8765),
    RoomDisplay("room-202", "Meeting Room 202 / 202会議室", "10.0.0.6", 8765),
]


def test_the_host_picks_a_room_by_number_and_is_told_what_to_type() -> None:
    answers = iter(["7", "two", "2"])
    said: list[str] = []
    chosen = choose(DISPLAYS, None, lambda _: next(answers), said.append)
    assert chosen == DISPLAYS[1]
    assert said == ["type a number from 1 to 2", "type a number from 1 to 2"]
    assert choose(DISPLAYS, "room-201", lambda _: pytest.fail("asked"), said.append) == DISPLAYS[0]
    assert choose(DISPLAYS, "room-999", lambda _: pytest.fail("asked"), said.append) is None
    assert choose(DISPLAYS[:1], None, lambda _: pytest.fail("asked"), said.append) == DISPLAYS[0]


def test_txt_record_starts_with_its_version_and_other_versions_are_ignored() -> None:
    info = room_service_info("room-201", "201会議室", "10.0.0.5", 8765)
    assert info.text is not None and info.text.startswith(b"\x09txtvers=1\x0droom=room-201")
    assert parse_room_info(info) == RoomDisplay("room-201", "201会議室", "10.0.0.5", 8765)
    future = ServiceInfo(
        ROOM_SERVICE,
        f"room-201.{ROOM_SERVICE}",
        addresses=[socket.inet_aton("10.0.0.5")],
        port=8765,
        properties={"txtvers": "2", "room": "room-201"},
    )
    assert parse_room_info(future) is None


def test_without_a_display_the_agent_prints_the_screen_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    said: list[str] = []
    assert open_screen("http://hall/rooms/room-201/screen?key=k", "auto", said.append) is None
    assert said == ["room screen: http://hall/rooms/room-201/screen?key=k"]
