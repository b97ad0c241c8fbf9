"""Every table module, imported once so `Base.metadata` is complete.

Each capability keeps its tables in a module of its own (`tables_<capability>.py`, on the
shared `Base`); migrations, the schema test and anything that creates tables import this
module, so a table that is not listed here does not exist.
"""

from server.adapters import (
    tables,
    tables_directory,
    tables_people,
    tables_provisioning,
    tables_remote,
    tables_rooms,
    tables_scaleout,
    tables_seating,
    tables_security,
    tables_wifi,
)
from server.adapters.tables import Base

__all__ = [
    "Base",
    "tables",
    "tables_directory",
    "tables_people",
    "tables_provisioning",
    "tables_remote",
    "tables_rooms",
    "tables_scaleout",
    "tables_seating",
    "tables_security",
    "tables_wifi",
]
