"""The parts of command-line commands that open the database directly (no server running)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from firmware_config.site import Site
from server.adapters.database import make_engine, upgrade
from server.adapters.people_repository import SqlPeopleStore
from server.adapters.repository import SqlStore
from server.adapters.system_clock import SystemClock
from server.adapters.tables import Base
from server.composition.accounts import account_admin
from server.domain.occupancy import with_commands
from server.services.account_admin import AccountAdmin
from server.services.rebuild import RebuildReport, compare, replay_log
from server.services.site_index import SiteIndex
from server.settings import Settings

# Desks the log never mentions keep this time, so they can be told apart when comparing.
SEEDED_AT = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Rebuild:
    report: RebuildReport
    written: int


def rebuild_state(database_url: str, site: Site, *, write: bool) -> Rebuild:
    """Fold the event log into fresh desk states; compare with the live ones, optionally replace."""
    index = SiteIndex.from_site(site)
    live_engine = make_engine(database_url)
    scratch_engine = make_engine("sqlite://")
    try:
        Base.metadata.create_all(scratch_engine)
        live, scratch = SqlStore(live_engine), SqlStore(scratch_engine)
        scratch.seed_desks(index.desk_floor, SEEDED_AT)
        records = replay_log(index, live, scratch)
        current = {status.desk: status for status in live.all_desks()}
        rebuilt = [
            with_commands(status, current[status.desk]) if status.desk in current else status
            for status in scratch.all_desks()
        ]
        report = compare(list(current.values()), rebuilt, SEEDED_AT)
        report.records = records
        written = 0
        if write and report.differences:
            live.replace_desks([rebuilt for _, rebuilt in report.differences])
            written = len(report.differences)
        return Rebuild(report, written)
    finally:
        live_engine.dispose()
        scratch_engine.dispose()


def people_store(database_url: str) -> SqlPeopleStore:
    """The staff directory's store, with the schema brought up to date first."""
    upgrade(database_url)
    return SqlPeopleStore(make_engine(database_url))


def accounts_admin(database_url: str) -> AccountAdmin:
    """Account changes from the command line: each ends the person's sessions and is audited."""
    upgrade(database_url)
    settings = Settings(database_url=database_url)
    return account_admin(settings, make_engine(database_url), SystemClock())
