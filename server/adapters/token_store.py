"""The SQLAlchemy side of personal tokens."""

from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import sessionmaker

from server.adapters.database import WRITE_INTENT
from server.adapters.tables_directory import PersonalTokenRow
from server.services.personal_tokens import PersonalToken


class SqlTokenStore:
    """A `TokenStore` over the `personal_tokens` table."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(
            engine.execution_options(**WRITE_INTENT), expire_on_commit=False
        )

    def add(
        self, staff_id: str, label: str, digest: str, created_at: datetime, expires_at: datetime
    ) -> PersonalToken:
        with self._writes.begin() as session:
            row = PersonalTokenRow(
                staff_id=staff_id,
                label=label,
                digest=digest,
                created_at=created_at,
                expires_at=expires_at,
            )
            session.add(row)
            session.flush()
            return _token(row)

    def by_digest(self, digest: str) -> PersonalToken | None:
        with self._sessions() as session:
            row = session.scalar(select(PersonalTokenRow).where(PersonalTokenRow.digest == digest))
            return None if row is None else _token(row)

    def of(self, staff_id: str) -> list[PersonalToken]:
        with self._sessions() as session:
            rows = session.scalars(
                select(PersonalTokenRow)
                .where(PersonalTokenRow.staff_id == staff_id)
                .order_by(PersonalTokenRow.id)
            )
            return [_token(row) for row in rows]

    def revoke(self, token_id: int, staff_id: str, at: datetime) -> bool:
        with self._writes.begin() as session:
            done = session.execute(
                update(PersonalTokenRow)
                .where(PersonalTokenRow.id == token_id)
                .where(PersonalTokenRow.staff_id == staff_id)
                .where(PersonalTokenRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def used(self, token_id: int, at: datetime) -> None:
        with self._writes.begin() as session:
            session.execute(
                update(PersonalTokenRow)
                .where(PersonalTokenRow.id == token_id)
                .values(last_used_at=at)
            )


def _token(row: PersonalTokenRow) -> PersonalToken:
    return PersonalToken(
        id=row.id,
        staff_id=row.staff_id,
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
