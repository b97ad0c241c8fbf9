"""Tell a database that cannot take writes now from a message that cannot be applied at all.

The ingest pump must never quarantine (and so acknowledge) a valid message because the disk is
full, the file is locked, or PostgreSQL is restarting: that loses it. So every failure is
classified here. A failure of the database or the operating system is an outage, with a
machine-readable reason: the pump holds the batch unacknowledged and tries again until the
database is back. Anything else (an IntegrityError, a bug tripped by one message) may be about
the message, and the pump finds out by trying it alone.
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy import exc as sa_exc

# SQLite primary result codes (sqlite3.h) that say the database, not the statement, failed.
_SQLITE_REASONS = {
    5: "database_locked",  # SQLITE_BUSY
    6: "database_locked",  # SQLITE_LOCKED
    7: "out_of_memory",  # SQLITE_NOMEM
    8: "database_read_only",  # SQLITE_READONLY (a file or directory made read-only)
    10: "database_io_error",  # SQLITE_IOERR
    11: "database_damaged",  # SQLITE_CORRUPT: no message is to blame either
    13: "database_full",  # SQLITE_FULL
    14: "database_unreachable",  # SQLITE_CANTOPEN
    15: "database_locked",  # SQLITE_PROTOCOL
    26: "database_damaged",  # SQLITE_NOTADB
}

# PostgreSQL SQLSTATE classes (and codes) of a server that cannot do the work now.
_SQLSTATE_REASONS = {
    "08": "database_unreachable",  # connection exception
    "40": "database_conflict",  # serialization failure, deadlock: try again
    "53": "database_full",  # insufficient resources (53100 disk full, 53200 out of memory)
    "55P03": "database_locked",  # lock not available
    "57": "database_unreachable",  # operator intervention: shutdown, cannot connect now
    "58": "database_io_error",  # system error: I/O error, undefined file
}

_ERRNO_REASONS = {
    errno.ENOSPC: "database_full",
    errno.EDQUOT: "database_full",
    errno.EFBIG: "database_full",
    errno.EIO: "database_io_error",
    errno.EROFS: "database_read_only",
    errno.EACCES: "database_read_only",
    errno.EPERM: "database_read_only",
}


class DatabaseUnavailable(Exception):
    """An outage, as it crosses a process boundary: plain strings, always picklable.

    The ingest worker raises it in place of the driver's exception, whose class (and whose
    connection handles) need not survive pickling into the server process.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def outage_reason(failure: BaseException) -> str | None:
    """Why the database cannot take writes now, or None when `failure` is not an outage."""
    chain = _chain(failure)
    # The driver's own code is the most precise; the wrappers' classes say less.
    for judge in (_specific_reason, _general_reason):
        for link in chain:
            reason = judge(link)
            if reason is not None:
                return reason
    return None


def _chain(failure: BaseException) -> list[BaseException]:
    links: list[BaseException] = []
    current: BaseException | None = failure
    while current is not None and all(current is not link for link in links):
        links.append(current)
        # SQLAlchemy keeps the driver's exception in `orig`; others chain with `from`.
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return links


def _specific_reason(failure: BaseException) -> str | None:
    if isinstance(failure, DatabaseUnavailable):
        return failure.reason
    if isinstance(failure, sqlite3.Error):
        code = getattr(failure, "sqlite_errorcode", None)
        return _SQLITE_REASONS.get(code & 0xFF) if isinstance(code, int) else None
    sqlstate = getattr(failure, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return _SQLSTATE_REASONS.get(sqlstate) or _SQLSTATE_REASONS.get(sqlstate[:2])
    if isinstance(failure, OSError) and not isinstance(failure, ConnectionError):
        return _ERRNO_REASONS.get(failure.errno or 0)
    # A driver's OperationalError without an SQLSTATE is a connection that failed or broke
    # (psycopg: "connection refused", "server closed the connection unexpectedly").
    kind = type(failure)
    if kind.__module__.startswith("psycopg") and kind.__name__ in (
        "OperationalError",
        "InterfaceError",
    ):
        return "database_unreachable"
    return None


def _general_reason(failure: BaseException) -> str | None:
    if isinstance(failure, sa_exc.DBAPIError):
        if failure.connection_invalidated:
            return "database_unreachable"
        if isinstance(failure, sa_exc.OperationalError | sa_exc.InterfaceError):
            return "database_unavailable"
        return None
    if isinstance(failure, sqlite3.OperationalError):
        return "database_unavailable"
    if isinstance(failure, sa_exc.DisconnectionError | ConnectionError):
        return "database_unreachable"
    if isinstance(failure, sa_exc.TimeoutError):
        return "database_busy"  # no pooled connection came free in time
    if isinstance(failure, MemoryError):
        return "out_of_memory"
    if isinstance(failure, OSError):
        return "os_error"
    return None
