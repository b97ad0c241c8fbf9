"""Wi-Fi presence tables: AP counts, busy-ness history, opt-in locations and their audit.

None of them holds a station address: the agents send counts, and a person's own laptop
sends the BSSID it is on, which is turned into an AP id before anything is stored.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime


class WifiApCountRow(Base):
    """The newest station count of each access point (only newer (epoch, seq) replace it)."""

    __tablename__ = "wifi_ap_counts"

    access_point: Mapped[str] = mapped_column(String(24), primary_key=True)
    device: Mapped[str] = mapped_column(String(24))
    epoch: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    stations: Mapped[int] = mapped_column(Integer)
    randomised: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class WifiZoneSampleRow(Base):
    """Estimated people in a zone at a moment; sampled periodically for history."""

    __tablename__ = "wifi_zone_samples"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    floor: Mapped[str] = mapped_column(String(24))
    zone: Mapped[str] = mapped_column(String(24))
    people: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_wifi_zone_samples_floor_at", "floor", "at"),)


class WifiFloorSampleRow(Base):
    """Estimated people on a floor at a moment (APs that serve no zone count here too)."""

    __tablename__ = "wifi_floor_samples"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    floor: Mapped[str] = mapped_column(String(24))
    people: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_wifi_floor_samples_floor_at", "floor", "at"),)


class WifiLocationShareRow(Base):
    """A person who chose to be findable today, and where their laptop last said it was."""

    __tablename__ = "wifi_location_shares"

    person: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The end of the local day sharing was turned on: after it the person is not findable.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    access_point: Mapped[str | None] = mapped_column(String(24), nullable=True)
    floor: Mapped[str | None] = mapped_column(String(24), nullable=True)
    zone: Mapped[str | None] = mapped_column(String(24), nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WifiLocationLookupRow(Base):
    """Audit: someone asked where a person is; the person can read every such row."""

    __tablename__ = "wifi_location_lookups"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    subject: Mapped[str] = mapped_column(String(64))
    viewer: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_wifi_location_lookups_subject_at", "subject", "at"),)
