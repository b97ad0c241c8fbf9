"""Scale-out tables: the lease that makes one replica the ticker, with its fencing epoch."""

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime


class LeaderLeaseRow(Base):
    """Who runs a singleton job; `epoch` grows on every takeover, so a stale holder is refused."""

    __tablename__ = "leader_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    epoch: Mapped[int] = mapped_column(BigInteger)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
