"""The city's-IT timed jobs: leavers signed out and their desks released, calendars synced."""

import asyncio
import logging
import time
from datetime import datetime, timedelta

from server.adapters.staff_lifecycle_store import SqlStaffLifecycle
from server.composition.runtime import Runtime
from server.domain.occupancy import DeskStatus

log = logging.getLogger(__name__)


def handle_leavers(rt: Runtime, since: datetime) -> list[DeskStatus]:
    """Sign out people disabled since `since` (this process's cache of them is dropped) and,
    on the ticker, release the desks leavers still hold; returns the desks that changed."""
    lifecycle = SqlStaffLifecycle(rt.engine)
    rt.accounts.directory.forget(lifecycle.disabled_since(since))
    if not rt.runs_ticker:
        return []
    holders = SqlStaffLifecycle(rt.ticker_engine or rt.engine).disabled_holders()
    if not holders:
        return []
    log.info("releasing the desks of %d people who left", len(holders))
    return rt.ticker_seating.release_leavers(holders)


async def run_directory_jobs_forever(rt: Runtime) -> None:
    """Leavers every sweep interval (on every replica; desks by the ticker), and room calendars
    every FREESEAT_CALDAV_SYNC_INTERVAL_S on the ticker."""
    # People are cached for up to Directory.CACHE_S; look back that far at the first run.
    since = rt.clock.now() - timedelta(seconds=rt.accounts.directory.CACHE_S)
    synced = time.monotonic() - rt.settings.caldav.sync_interval_s
    while True:
        await asyncio.sleep(min(rt.settings.sweep_interval_s, rt.settings.caldav.sync_interval_s))
        started = rt.clock.now()
        try:
            rt.live.publish(await asyncio.to_thread(handle_leavers, rt, since))
            since = started
        except Exception:
            log.exception("leaver handling failed; retrying next interval")
        sync = rt.calendar_sync
        due = time.monotonic() - synced >= rt.settings.caldav.sync_interval_s
        if sync is None or not due or not rt.runs_ticker:
            continue
        synced = time.monotonic()
        try:
            for report in await asyncio.to_thread(sync.sync_all):
                for error in report.errors:
                    log.warning("room %s calendar: %s", report.room, error)
        except Exception:
            log.exception("room calendar sync failed; retrying next interval")
