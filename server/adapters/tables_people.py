"""Tables of the people capability: the staff directory and local accounts."""

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.adapters.tables import Base, UtcDateTime


class PersonRow(Base):
    """One member of staff; `password_hash` (argon2) is set only for local accounts."""

    __tablename__ = "people"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_ja: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="staff")
    # Comma-separated needs (accessible, dual-monitor, standing, ...), sorted.
    needs: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Demo people can be picked without a password when the server runs in demo mode.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the person came from: csv (staff import), ldap (the directory), oidc (single
    # sign-on). `freeseat staff sync` disables only people the directory brought in.
    source: Mapped[str] = mapped_column(String(16), default="csv", server_default="csv")
    # A leaver: they cannot sign in and their sessions end; their history is kept.
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
