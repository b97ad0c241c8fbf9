"""Tables of the remote-work capability: a person's "working remotely today" marks."""

from datetime import date, datetime

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime


class RemoteDayRow(Base):
    """A person marked a day as working remotely; unmarking deletes the row."""

    __tablename__ = "remote_days"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_remote_days_day", "day"),)
