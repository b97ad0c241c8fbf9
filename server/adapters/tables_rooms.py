"""Tables of the meeting-rooms capability: bookings, sessions, materials, pairing, room status.

The overlap rule for bookings lives in the database (created by migration 0100_rooms): on
PostgreSQL an exclusion constraint over `tstzrange(starts_at, ends_at)`, on SQLite triggers that
run inside SQLite's single writer lock. Both guard only `active` bookings.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class RoomBookingRow(Base):
    """A booking of a room; cancelled or released bookings stay, with when and why."""

    __tablename__ = "room_bookings"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)  # stable ICS UID
    room: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(64))
    host_name: Mapped[str] = mapped_column(Text, default="")
    host_name_ja: Mapped[str] = mapped_column(Text, default="", server_default="")
    department: Mapped[str | None] = mapped_column(String(24), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    series: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="booked")
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # ICS SEQUENCE

    __table_args__ = (Index("ix_room_bookings_room_starts_at", "room", "starts_at"),)


class RoomSessionRow(Base):
    """A paperless meeting session; at most one open session per room."""

    __tablename__ = "room_sessions"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    room: Mapped[str] = mapped_column(String(24))
    booking_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    host: Mapped[str] = mapped_column(String(64))
    host_name: Mapped[str] = mapped_column(Text, default="")
    host_name_ja: Mapped[str] = mapped_column(Text, default="", server_default="")
    department: Mapped[str | None] = mapped_column(String(24), nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Secret part of the attendees' link and QR code: the session id alone is guessable.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    current_material: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    current_page: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index(
            "uq_room_sessions_open_room",
            "room",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )


class RoomMaterialRow(Base):
    """An agenda or material PDF attached to a session, stored in the database."""

    __tablename__ = "room_materials"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    session_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(12))  # agenda | material
    filename: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RoomMaterialOpenRow(Base):
    """Someone opened a session's materials (a person id, or an anonymous viewer id)."""

    __tablename__ = "room_material_opens"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    session_id: Mapped[int] = mapped_column(BigInteger, index=True)
    material_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    viewer: Mapped[str] = mapped_column(String(64))
    signed_in: Mapped[bool] = mapped_column(Boolean)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RoomSharedPageRow(Base):
    """A page shown on the room display during a session, once per (material, page)."""

    __tablename__ = "room_shared_pages"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    session_id: Mapped[int] = mapped_column(BigInteger)
    material_id: Mapped[int] = mapped_column(BigInteger)
    page: Mapped[int] = mapped_column(Integer)
    shown_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(
            "uq_room_shared_pages_session_material_page",
            "session_id",
            "material_id",
            "page",
            unique=True,
        ),
    )


class RoomPairingCodeRow(Base):
    """A pairing code shown on one room's screen; valid for that room only, until it expires."""

    __tablename__ = "room_pairing_codes"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    room: Mapped[str] = mapped_column(String(24))
    code: Mapped[str] = mapped_column(String(12), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    session_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_room_pairing_codes_room_issued_at", "room", "issued_at"),)


class RoomPairingAttemptRow(Base):
    """One pairing attempt, kept for the per-room and per-person rate limits and the audit."""

    __tablename__ = "room_pairing_attempts"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    room: Mapped[str | None] = mapped_column(String(24), nullable=True)
    person: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)


class RoomStatusRow(Base):
    """What the room monitor last reported: display, casting, presence, and since when."""

    __tablename__ = "room_status"

    room: Mapped[str] = mapped_column(String(24), primary_key=True)
    device: Mapped[str | None] = mapped_column(String(24), nullable=True)
    display_connected: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    casting: Mapped[bool] = mapped_column(Boolean, default=False)
    cast_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    occupied: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    occupancy_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RoomSecretRow(Base):
    """The key that signs room screen and ICS links; made once, shared by every replica."""

    __tablename__ = "room_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
