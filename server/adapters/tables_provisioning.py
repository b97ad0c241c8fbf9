"""Tables of the provisioning capability: which devices were revoked, when and by whom."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime


class DeviceRevocationRow(Base):
    """A device whose broker credentials were withdrawn; it stays listed, marked revoked."""

    __tablename__ = "device_revocations"

    device: Mapped[str] = mapped_column(String(24), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str] = mapped_column(String(64))
