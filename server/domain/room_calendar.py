"""A room's bookings as an RFC 5545 iCalendar feed: stable UIDs, UTC times, folded lines."""

from collections.abc import Iterable
from datetime import UTC, datetime

from server.domain.meetings import Booking

PRODID = "-//freeseat//meeting rooms//EN"


def render_calendar(
    room_id: str, room_name: str, bookings: Iterable[Booking], now: datetime, domain: str
) -> str:
    """The VCALENDAR text (CRLF line ends); released and cancelled bookings say CANCELLED."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(room_name)}",
    ]
    for booking in sorted(bookings, key=lambda b: (b.starts_at, b.id)):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{booking.uid}@{domain}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(booking.starts_at)}",
            f"DTEND:{_utc(booking.ends_at)}",
            f"SEQUENCE:{booking.sequence}",
            f"SUMMARY:{_text(booking.title)}",
            f"LOCATION:{_text(room_name)}",
            f"ORGANIZER;CN={_param(booking.host_name or booking.host)}:"
            f"urn:freeseat:person:{booking.host}",
            f"STATUS:{'CONFIRMED' if booking.active else 'CANCELLED'}",
            f"X-FREESEAT-ROOM:{room_id}",
        ]
        if not booking.active and booking.status_reason:
            lines.append(f"COMMENT:{_text(booking.status + ': ' + booking.status_reason)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): every line break (CRLF, a lone CR or LF) as
    `\\n`; other control characters, which TEXT may not hold, are dropped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )
    return _without_controls(escaped)


def _param(value: str) -> str:
    """A parameter value: quoted, since names may hold ':' ';' ','; DQUOTE is not allowed."""
    return '"' + _without_controls(value.replace('"', "'")) + '"'


def _without_controls(value: str) -> str:
    # A raw CR or LF would end the content line early; other controls are not allowed either.
    return "".join(ch for ch in value if ch == "\t" or not (ch < " " or ch == "\x7f"))


def _fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts = []
    limit = 75
    while data:
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:
            cut -= 1  # do not cut inside a multi-byte character
        parts.append(data[:cut].decode())
        data = data[cut:]
        limit = 74  # continuation lines start with a space
    return "\r\n ".join(parts)
