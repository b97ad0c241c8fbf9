"""Meeting-room rules without I/O: session end, no-show release, ghosts, PDFs, ICS, DRM."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge_agent.drm import ConnectorChange, DrmConnectors
from edge_agent.room_agent import RoomAgentConfig
from edge_agent.runtime import AgentConfigError
from server.domain.meetings import (
    Booking,
    MeetingSession,
    MonitorLiveness,
    PdfInfo,
    PdfReading,
    PdfRules,
    RoomStatus,
    SessionRules,
    check_pdf_size,
    end_reason,
    ghost_meetings,
    judge_pdf,
    no_show_reason,
)
from server.domain.refusals import Refusal, RefusalCode
from server.domain.room_calendar import render_calendar

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
RULES = SessionRules()


def booking(
    n: int = 1, *, status: str = "booked", series: str | None = None, **kw: object
) -> Booking:
    values: dict[str, object] = dict(
        id=n,
        uid=f"uid{n}",
        room="room-1",
        title="Budget",
        host="s1",
        host_name="Abe",
        department="hr",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=1),
        series=series,
        active=status == "booked",
        status=status,
        status_reason=None,
        status_at=None,
        created_at=T0 - timedelta(days=1),
        sequence=0,
    )
    values.update(kw)
    return Booking(**values)  # type: ignore[arg-type]


def session(**kw: object) -> MeetingSession:
    values: dict[str, object] = dict(
        id=1,
        room="room-1",
        booking_id=None,
        host="s1",
        host_name="Abe",
        department="hr",
        title="t",
        started_at=T0,
        ended_at=None,
        end_reason=None,
        token="x",
        current_material=None,
        current_page=None,
    )
    values.update(kw)
    return MeetingSession(**values)  # type: ignore[arg-type]


def test_session_ends_only_after_casting_stopped_and_the_room_stayed_empty() -> None:
    quiet = RoomStatus(
        "room-1",
        casting=False,
        cast_changed_at=T0 + timedelta(minutes=20),
        occupied=False,
        occupancy_changed_at=T0 + timedelta(minutes=25),
    )
    alive = MonitorLiveness("online", T0 + timedelta(minutes=34))

    def at(minutes: float) -> str | None:
        return end_reason(
            session(),
            T0 + timedelta(minutes=minutes),
            status=quiet,
            monitor=alive,
            booking_ends_at=None,
            rules=RULES,
        )

    assert at(34) is None  # empty for 9 minutes
    assert at(35) == "casting stopped and the room was empty for 10 min"
    still_casting = RoomStatus("room-1", casting=True, occupied=False, occupancy_changed_at=T0)
    assert (
        end_reason(
            session(),
            T0 + timedelta(minutes=60),
            status=still_casting,
            monitor=MonitorLiveness("online", T0 + timedelta(minutes=60)),
            booking_ends_at=None,
            rules=RULES,
        )
        is None
    )


def test_a_monitor_gone_past_its_ttl_ends_the_session_and_a_short_blip_does_not() -> None:
    gone = MonitorLiveness("offline", T0 + timedelta(minutes=10))
    kw = dict(status=None, monitor=gone, booking_ends_at=None, rules=RULES)
    assert end_reason(session(), T0 + timedelta(minutes=12), **kw) is None  # type: ignore[arg-type]
    assert end_reason(session(), T0 + timedelta(minutes=13, seconds=1), **kw) == (  # type: ignore[arg-type]
        "room monitor went offline over 180 s ago"
    )


def test_no_session_stays_open_past_its_booking_or_the_unbooked_limit() -> None:
    alive = MonitorLiveness("online", T0 + timedelta(hours=5))
    booked_end = T0 + timedelta(hours=1)
    assert (
        end_reason(
            session(),
            booked_end + timedelta(minutes=30),
            status=None,
            monitor=alive,
            booking_ends_at=booked_end,
            rules=RULES,
        )
        == "booking ended over 30 min ago"
    )
    assert (
        end_reason(
            session(),
            T0 + timedelta(hours=4),
            status=None,
            monitor=alive,
            booking_ends_at=None,
            rules=RULES,
        )
        == "unbooked session reached 4 h"
    )


def test_no_show_release_needs_grace_no_session_and_no_one_in_the_room() -> None:
    late = T0 + timedelta(minutes=15)
    empty = RoomStatus("room-1", occupied=False, occupancy_changed_at=T0)
    assert (
        no_show_reason(
            booking(), late - timedelta(seconds=1), has_session=False, status=empty, rules=RULES
        )
        is None
    )
    assert no_show_reason(booking(), late, has_session=False, status=empty, rules=RULES) == (
        "not started within 15 min: no session, room sensor empty"
    )
    assert no_show_reason(booking(), late, has_session=True, status=empty, rules=RULES) is None
    someone = RoomStatus("room-1", occupied=True, occupancy_changed_at=T0)
    assert no_show_reason(booking(), late, has_session=False, status=someone, rules=RULES) is None


def test_ghost_meetings_are_series_mostly_released() -> None:
    series = [
        booking(1, status="released", series="a", status_at=T0),
        booking(2, status="released", series="a", starts_at=T0 + timedelta(weeks=1)),
        booking(3, series="a", starts_at=T0 + timedelta(weeks=2)),
        booking(4, status="released", series="b"),
        booking(5, series="b", starts_at=T0 + timedelta(weeks=1)),
        booking(6, series="b", starts_at=T0 + timedelta(weeks=2)),
    ]
    ghosts = ghost_meetings(series, T0 + timedelta(weeks=2, hours=2))
    assert [(g.series, g.released, g.occurrences) for g in ghosts] == [("a", 2, 3)]


def test_pdf_rules_name_what_is_wrong() -> None:
    rules = PdfRules()
    assert judge_pdf(PdfReading(pages=7), rules) == PdfInfo(pages=7)
    assert check_pdf_size(0, rules) == Refusal(RefusalCode.PDF_EMPTY)
    assert check_pdf_size(25_000_000, PdfRules(max_bytes=20_000_000)) == Refusal(
        RefusalCode.PDF_TOO_LARGE, size_mb=25.0, max_mb=20
    )
    assert check_pdf_size(1000, rules) is None
    assert judge_pdf(PdfReading(pages=0), rules) == Refusal(RefusalCode.PDF_NO_PAGES)
    assert judge_pdf(PdfReading(pages=5000), rules) == Refusal(
        RefusalCode.PDF_TOO_MANY_PAGES, pages=5000, max_pages=rules.max_pages
    )
    scripted = PdfReading(pages=2, active_content=("JavaScript",))
    assert judge_pdf(scripted, rules) == Refusal(
        RefusalCode.PDF_ACTIVE_CONTENT, found=("JavaScript",)
    )


def test_ics_lines_are_folded_on_character_boundaries_and_escaped() -> None:
    long_title = "市役所本庁舎の会議室で行う長い名前の定例会議、予算と人員計画について; 第3回"
    text = render_calendar("room-1", "201会議室", [booking(title=long_title)], T0, "example.org")
    lines = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:" + long_title.replace(";", "\\;") in unfolded
    assert "UID:uid1@example.org" in unfolded and "DTSTAMP:20261130T010000Z" in unfolded


def test_drm_connectors_are_read_afresh_including_hot_plugged_ones(tmp_path: Path) -> None:
    def plug(name: str, status: str) -> None:
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "status").write_text(status + "\n")

    plug("card0-HDMI-A-1", "connected")
    plug("card0-DP-1", "disconnected")
    plug("card0-DP-2", "unknown")
    drm = DrmConnectors(tmp_path)
    # Named without the card index, which changes as cards are probed; `unknown` is no reading.
    assert drm.changes() == [ConnectorChange("HDMI-A-1", True)]
    assert drm.changes() == []
    plug("card1-DP-3", "connected")  # a dock appears
    plug("card0-HDMI-A-1", "disconnected")
    assert drm.changes() == [
        ConnectorChange("HDMI-A-1", False),
        ConnectorChange("DP-3", True),
    ]
    (tmp_path / "card1-DP-3" / "status").unlink()  # the dock goes away
    assert drm.changes() == [ConnectorChange("DP-3", False)]


def test_room_agent_config_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    config = tmp_path / "room.yaml"
    config.write_text(
        "device: display-1\nsite: hall\nroom: Room 1\nbroker: http://x\n"
        "server: freeseat:8000\noutbox: o.sqlite\n"
    )
    with pytest.raises(AgentConfigError) as caught:
        RoomAgentConfig.load(config)
    message = str(caught.value)
    assert message.startswith(f"{config}: ")
    assert "room: String should match pattern" in message
    assert "broker: broker URL 'http://x' must start with mqtt://" in message
    assert "server: server 'freeseat:8000' must start with http://" in message
