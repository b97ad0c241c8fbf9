"""Tables of the seating capability: seat holds, and idempotency keys for POST commands."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime

ACTIVE = text("active")


class SeatHoldRow(Base):
    """One claim of a desk by a person for a day; kept after release as seating history.

    The partial unique indexes are the guard against double assignment: at most one active
    hold per desk, and at most one per person per day, whatever the code above them does.
    """

    __tablename__ = "seat_holds"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    desk: Mapped[str] = mapped_column(String(24))
    staff_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    check_in_how: Mapped[str | None] = mapped_column(String(32), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    release_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index(
            "uq_seat_holds_desk_active",
            "desk",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
        Index(
            "uq_seat_holds_person_day_active",
            "staff_id",
            "day",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
        Index("ix_seat_holds_staff_id_day", "staff_id", "day"),
        Index("ix_seat_holds_day", "day"),
    )


class IdempotencyKeyRow(Base):
    """The answer given to a POST command sent with an Idempotency-Key, to repeat on a retry."""

    __tablename__ = "idempotency_keys"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request: Mapped[str] = mapped_column(String(64))  # hash of method, path and body
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
