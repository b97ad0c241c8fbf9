"""Engine creation and migrations: SQLite by default, PostgreSQL for scale-out."""

import importlib.util
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS = "server.adapters:migrations"
# A PostgreSQL advisory lock key of its own ("fsmigrat"), held while migrating.
MIGRATION_LOCK_KEY = 0x66736D6967726174


class MissingDatabaseDriver(RuntimeError):
    """The database URL needs a driver this installation lacks; the message says what to run."""


def require_driver(url: str) -> None:
    """Raise `MissingDatabaseDriver` when `url` is PostgreSQL and psycopg is not installed."""
    if make_url(url).get_backend_name() != "postgresql":
        return
    if importlib.util.find_spec("psycopg") is None:
        raise MissingDatabaseDriver(
            "PostgreSQL support is not installed: run scripts/bootstrap postgresql"
            " (or .venv/bin/pip install 'freeseat[postgresql]'), or use a sqlite:/// URL"
        )


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """An engine with the settings each backend needs for freeseat's write pattern."""
    require_driver(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets readers (API, live feed) run while the ingest transaction writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache (default 2 MiB): the event log's unique index is read on every batch.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLAlchemy, not the driver, begins transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


# An execution option for transactions that will write: they take SQLite's write lock when they
# begin. A deferred transaction that read first and writes later fails with "database is
# locked" when another process (a second replica, `db rebuild-state`) committed in between.
WRITE_INTENT = {"sqlite_immediate": True}


def write_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that will write: on SQLite they take the write lock when they
    begin, so concurrent writers queue (busy timeout) instead of failing as "database is
    locked" when one read first. Every store's writes go through one of these."""
    return sessionmaker(engine.execution_options(**WRITE_INTENT), expire_on_commit=False)


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str) -> Config:
    """Alembic's configuration, built in code so no alembic.ini has to sit beside the package."""
    config = Config()
    location = Path(str(resources.files("server.adapters").joinpath("migrations")))
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database schema to `revision` (default: every capability's latest).

    Each capability's tables have a migration branch of their own off the baseline, so
    capabilities can be added independently; "heads" applies all of them.
    """
    require_driver(url)
    if make_url(url).get_backend_name() != "postgresql":
        command.upgrade(alembic_config(url), revision)
        return
    # Replicas started together would race to create the same tables: one migrates at a time,
    # the others wait here and then find nothing left to do.
    engine = make_engine(url)
    try:
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                command.upgrade(alembic_config(url), revision)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    finally:
        engine.dispose()
