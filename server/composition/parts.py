"""What every process builds the same way: the site, and the ingest handler with its stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from firmware_config.site import Site
from server.adapters.database import make_engine, require_driver
from server.adapters.replica_settings import check_replica, share_group
from server.adapters.repository import SqlStore
from server.adapters.room_repository import SqlRoomStore
from server.adapters.wifi_store import SqlWifiStore
from server.composition.accounts import check_demo_database
from server.services.ingest import Ingest
from server.services.ports import Clock
from server.services.rooms import RoomService
from server.services.site_index import SiteIndex
from server.services.wifi_presence import WifiPresence, WifiSiteModel
from server.settings import Settings


def preflight(settings: Settings) -> None:
    """Refuse, before anything starts, settings that cannot work; the error says what to fix."""
    require_driver(settings.database_url)
    share_group(settings)
    if settings.scale_out:
        check_replica(settings)
    check_demo_database(settings)


def load_configured_site(settings: Settings) -> Site:
    """The site file from settings, or the bundled demo site."""
    from firmware_config.demo_site import demo_site_path
    from firmware_config.loader_process import load_site_lean

    return load_site_lean(Path(settings.site_file) if settings.site_file else demo_site_path())


@dataclass(frozen=True)
class IngestParts:
    """The ingest handler and what it writes through: the same in the server and its worker."""

    store: SqlStore
    index: SiteIndex
    wifi: WifiPresence
    rooms: RoomService
    room_store: SqlRoomStore
    ingest: Ingest


def ingest_parts(settings: Settings, site: Site, engine: Engine, clock: Clock) -> IngestParts:
    """The ingest handler and its stores, all writing through `engine`."""
    store = SqlStore(engine)
    index = SiteIndex.from_site(site)
    wifi = wifi_presence(settings, site, engine, clock)
    room_store = SqlRoomStore(engine)
    rooms = RoomService(site, room_store, clock)
    skew = timedelta(seconds=settings.max_clock_skew_s)
    ingest = Ingest(index, store, wifi, rooms, max_clock_skew=skew)
    return IngestParts(store, index, wifi, rooms, room_store, ingest)


def wifi_presence(settings: Settings, site: Site, engine: Engine, clock: Clock) -> WifiPresence:
    """Wi-Fi presence writing through `engine` (the ticker's fenced engine for timed jobs)."""
    return WifiPresence(
        WifiSiteModel.from_site(site), SqlWifiStore(engine), clock, settings.wifi.to_settings()
    )


def build_ingest(settings: Settings, site: Site, clock: Clock) -> Ingest:
    """The ingest handler of an ingest worker process (see `start_ingest_worker`)."""
    # One batch at a time: a small pool is enough.
    engine = make_engine(settings.database_url, pool_size=2, max_overflow=2)
    return ingest_parts(settings, site, engine, clock).ingest


def start_ingest_worker(settings: Settings, site: Site) -> None:
    """The ingest worker process's initializer: build its handler once, from the same settings."""
    from server.adapters import ingest_worker
    from server.adapters.system_clock import SystemClock

    ingest_worker.install(build_ingest(settings, site, SystemClock()))
