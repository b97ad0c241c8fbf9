"""Tables of the city's-IT capability: personal tokens, and room calendar sync state."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class PersonalTokenRow(Base):
    """A token a person issued on the web page for `freeseat connect` / `whereami`.

    Only its SHA-256 is kept: the token itself is shown once, when it is issued.
    """

    __tablename__ = "personal_tokens"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CalendarLinkRow(Base):
    """A freeseat booking (or weekly series) and the room-calendar event that mirrors it."""

    __tablename__ = "calendar_links"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    room: Mapped[str] = mapped_column(String(24))
    # The booking's uid, or the series id of a repeating booking; None for a declined event.
    booking_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event_uid: Mapped[str] = mapped_column(String(255))
    href: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(Text, default="")
    # What freeseat's side looked like when last written or read (see calendar_sync.py).
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("uq_calendar_links_room_event", "room", "event_uid", unique=True),
        Index("ix_calendar_links_booking_key", "booking_key"),
    )


class CalendarConflictRow(Base):
    """A calendar change freeseat could not take (the room was booked): shown to its host."""

    __tablename__ = "calendar_conflicts"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    room: Mapped[str] = mapped_column(String(24))
    event_uid: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text, default="")
    # The host: a staff id when the organiser's e-mail is a person's, else the e-mail.
    host: Mapped[str] = mapped_column(String(255), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    code: Mapped[str] = mapped_column(String(40))
    # The booking that kept the room: its title and times.
    kept_title: Mapped[str] = mapped_column(Text, default="")
    kept_starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    kept_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
