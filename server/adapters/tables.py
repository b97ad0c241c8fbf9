"""Database tables (SQLAlchemy 2); Alembic migrations under migrations/ must match them."""

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# How much of a rejected message the quarantine keeps (enough to see what it was).
QUARANTINE_KEPT_BYTES = 4096


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime}


class DeskRow(Base):
    """The live state of a desk (a projection of the event log)."""

    __tablename__ = "desks"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    floor: Mapped[str] = mapped_column(String(24), index=True)
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    present: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The reading that set `present`: older readings of the same device are ignored.
    reading_device: Mapped[str | None] = mapped_column(String(24), nullable=True)
    reading_epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reading_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    contact: Mapped[bool] = mapped_column(Boolean, default=False)
    holder: Mapped[str | None] = mapped_column(String(64), nullable=True)
    checked_in: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[str | None] = mapped_column(Text, nullable=True)


class DeviceRow(Base):
    """What the server knows of a device: its stream position and liveness."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="unknown")
    status_epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    battery: Mapped[float | None] = mapped_column(Float, nullable=True)
    rssi: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Readings dated further from their receive time than the allowed skew (and so dated by
    # the server instead), and by how much the last one was off (seconds, + ahead).
    clock_skewed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    clock_skew_s: Mapped[float | None] = mapped_column(Float, nullable=True)


class EventRow(Base):
    """Every accepted event, once: `event_id` is the idempotency key."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    device: Mapped[str] = mapped_column(String(24))
    epoch: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # False when it arrived after a newer event of its device had been applied.
    applied: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_event_log_device_epoch_seq", "device", "epoch", "seq"),)


class DeskTransitionRow(Base):
    """History: every visible state change of a desk, with why it happened."""

    __tablename__ = "desk_transitions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    desk: Mapped[str] = mapped_column(String(24))
    before: Mapped[str] = mapped_column(String(16))
    after: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)  # a DeskReason: never names anyone
    # Whom the change was about (the holder): served only as the site's policy allows, and
    # cleared after the retention period (server/services/retention.py).
    person: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_id: Mapped[str | None] = mapped_column(String(80), nullable=True)

    __table_args__ = (Index("ix_desk_transitions_desk_at", "desk", "at"),)


class QuarantineRow(Base):
    """A message that was rejected, kept with the reason so nothing is silently lost.

    Only its first QUARANTINE_KEPT_BYTES are kept, with its size and SHA-256: a flood of
    oversized messages must not become as many oversized rows.
    """

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    payload_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
