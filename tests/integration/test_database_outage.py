"""Real failures of real databases told apart: an outage (wait) or the message's own fault."""

import errno
import pickle
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from server.adapters.database_outage import DatabaseUnavailable, outage_reason
from server.adapters.embedded_broker import free_port


def failure_of(url: str, *statements: str) -> DBAPIError:
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as failed, engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    return failed.value


def test_a_full_sqlite_database_is_an_outage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'full.db'}"
    failure = failure_of(
        url,
        "CREATE TABLE log (payload TEXT)",
        "PRAGMA max_page_count = 3",  # SQLite's own "database or disk is full"
        "INSERT INTO log VALUES (printf('%.9000c', 'x'))",
    )
    assert "database or disk is full" in str(failure)
    assert outage_reason(failure) == "database_full"


def test_a_read_only_sqlite_database_is_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE log (n INTEGER)")
    read_only = failure_of(f"sqlite:///file:{path}?mode=ro&uri=true", "INSERT INTO log VALUES (1)")
    assert outage_reason(read_only) == "database_read_only"


def test_a_message_that_breaks_a_constraint_is_not_an_outage(tmp_path: Path) -> None:
    failure = failure_of(
        f"sqlite:///{tmp_path / 'unique.db'}",
        "CREATE TABLE log (id TEXT UNIQUE)",
        "INSERT INTO log VALUES ('a')",
        "INSERT INTO log VALUES ('a')",
    )
    assert outage_reason(failure) is None
    assert outage_reason(ValueError("a bug tripped by one message")) is None


def test_a_refused_postgresql_connection_is_an_outage() -> None:
    failure = failure_of(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x", "SELECT 1")
    assert outage_reason(failure) == "database_unreachable"


def test_postgresql_disk_full_and_a_full_file_system_are_outages() -> None:
    import psycopg.errors

    assert outage_reason(psycopg.errors.DiskFull("could not extend file")) == "database_full"
    assert outage_reason(psycopg.errors.AdminShutdown("terminating")) == "database_unreachable"
    assert outage_reason(psycopg.errors.UniqueViolation("duplicate key")) is None
    assert outage_reason(OSError(errno.ENOSPC, "No space left on device")) == "database_full"


def test_an_outage_keeps_its_kind_across_a_process_boundary() -> None:
    crossed = pickle.loads(pickle.dumps(DatabaseUnavailable("database_full", "disk is full")))
    assert outage_reason(crossed) == "database_full"
    assert str(crossed) == "database_full: disk is full"
