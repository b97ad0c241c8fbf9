"""The server process's parts: every adapter and service the routes and background jobs share."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from firmware_config.labels import SiteLabels
from firmware_config.site import Site
from server.adapters.advertiser import ServerAdvertiser
from server.adapters.database import make_engine, upgrade
from server.adapters.device_admin import MosquittoCredentials, SqlRevocations
from server.adapters.home_assistant import HomeAssistantBridge
from server.adapters.ingest_pump import IngestPump
from server.adapters.ingest_worker import IngestWorker
from server.adapters.live_feed import LiveFeedHub
from server.adapters.mqtt_bridge import MqttBridge, Received
from server.adapters.occupancy_history import SqlOccupancyHistory
from server.adapters.page_renderer import PdfiumPageRenderer
from server.adapters.replica_settings import check_replica, partitioned, share_group
from server.adapters.repository import SqlStore
from server.adapters.retention_store import SqlRetentionStore
from server.adapters.room_repository import SqlRoomStore
from server.adapters.seating_repository import SqlSeatingStore
from server.adapters.system_clock import SystemClock
from server.adapters.watermarks import Watermarks
from server.adapters.wifi_store import SqlWifiStore
from server.composition.accounts import Accounts, open_accounts
from server.composition.directory import room_calendar_sync
from server.composition.insight import Insight, open_insight
from server.composition.parts import (
    ingest_parts,
    load_configured_site,
    start_ingest_worker,
    wifi_presence,
)
from server.domain.naming import NamePolicy
from server.services.calendar_sync import CalendarSync
from server.services.desk_names import DeskNames
from server.services.device_registry import DeviceRegistry
from server.services.ingest import Ingest
from server.services.liveness import LivenessSweep
from server.services.occupancy_analytics import OccupancyAnalytics
from server.services.ports import Clock, LiveFeed
from server.services.retention import Retention
from server.services.room_ports import PageRenderer, PdfInspector
from server.services.rooms import RoomService
from server.services.seating import Seating
from server.services.seating_site import SeatingSite
from server.services.site_index import SiteIndex
from server.services.wifi_presence import WifiPresence
from server.settings import Settings

if TYPE_CHECKING:
    # Replicas need psycopg (freeseat[postgresql]); a single server never imports it.
    from server.adapters.scale_out import ScaleOut


@dataclass
class Runtime:
    """What request handlers and background loops share; built by `Runtime.open`."""

    settings: Settings
    clock: Clock
    site: Site
    index: SiteIndex
    engine: Engine
    store: SqlStore
    ingest: Ingest
    sweep: LivenessSweep
    hub: LiveFeedHub
    accounts: Accounts
    # Unbounded here because the bridge bounds what is in flight (see MqttBridge).
    queue: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)
    bridge: MqttBridge | None = None
    pump: IngestPump | None = None
    wifi: WifiPresence | None = None
    rooms: RoomService | None = None
    # Set when this process is one of several replicas (FREESEAT_SCALE_OUT).
    scale_out: ScaleOut | None = None
    sweeps: int = 0
    # Timed jobs write through this: on replicas, its commits fail once the ticker lease is lost.
    ticker_engine: Engine | None = None
    # FREESEAT_INGEST_WORKER: batches are applied in this process's worker (a second core).
    worker: IngestWorker | None = None

    @classmethod
    def open(
        cls, settings: Settings, clock: Clock | None = None, site: Site | None = None
    ) -> Runtime:
        """Open everything the server process needs; `clock` and `site` are injectable."""
        clock = clock or SystemClock()
        site = site or load_configured_site(settings)
        if settings.auto_migrate:
            upgrade(settings.database_url)
        engine = make_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        parts = ingest_parts(settings, site, engine, clock)
        parts.store.seed_desks(parts.index.desk_floor, clock.now())
        hub = LiveFeedHub(settings.live_client_queue, settings.live_tick_s)
        hub.load(parts.store.all_desks())
        scale_out = None
        if settings.scale_out:
            check_replica(settings)  # before the import: it needs PostgreSQL and psycopg
            from server.adapters.scale_out import ScaleOut

            scale_out = ScaleOut.open(settings, engine, hub)
        ticker_engine = scale_out.fenced(engine) if scale_out else engine
        parts.room_store.ensure_secret()
        worker = None
        if settings.ingest_worker:
            worker = IngestWorker(start_ingest_worker, (settings, site))
        if worker is not None:
            worker.warm_up()  # fail at start, not at the first message, if it cannot run
        return cls(
            settings=settings,
            clock=clock,
            site=site,
            index=parts.index,
            engine=engine,
            store=parts.store,
            ingest=parts.ingest,
            sweep=LivenessSweep(
                parts.index,
                SqlStore(ticker_engine) if scale_out else parts.store,
                clock,
            ),
            hub=hub,
            accounts=open_accounts(settings, engine, clock),
            queue=asyncio.Queue(),
            wifi=parts.wifi,
            rooms=parts.rooms,
            scale_out=scale_out,
            ticker_engine=ticker_engine,
            worker=worker,
        )

    @cached_property
    def analytics(self) -> OccupancyAnalytics:
        """Occupancy history and sensor health for the facilities views (read-only)."""
        desk_zone = {desk.id: desk.zone for _, desk in self.site.desks()}
        return OccupancyAnalytics(
            SqlOccupancyHistory(self.engine),
            self.index,
            desk_zone,
            self.clock,
            self.site.site.timezone,
        )

    @cached_property
    def labels(self) -> SiteLabels:
        """What people read instead of the site file's ids (desk labels, local names)."""
        return SiteLabels.of(self.site)

    @cached_property
    def page_renderer(self) -> PageRenderer:
        """Pages of meeting materials as images for room screens and phones (PDFium, cached)."""
        return PdfiumPageRenderer()

    @cached_property
    def pdf_inspector(self) -> PdfInspector:
        """How uploaded meeting materials are read as PDFs (pypdf)."""
        # Imported at the first upload: pypdf is 13 MB of a server's memory that may never read one.
        from server.adapters.pdf_inspector import PypdfInspector

        return PypdfInspector()

    @cached_property
    def insight(self) -> Insight:
        """The paperless KPI, seat planning, dark zones and the remote-work marks."""
        return open_insight(self.site, self.engine, self.clock, self.seating)

    @cached_property
    def devices(self) -> DeviceRegistry:
        """The device registry; revocation works when the provisioning files are configured."""
        s = self.settings
        broker = None
        if s.provision_dir is not None and s.broker_pid_file is not None:
            broker = MosquittoCredentials(self.site, s.provision_dir, s.broker_pid_file)
        return DeviceRegistry(
            self.site, self.index, self.store, SqlRevocations(self.engine), broker, self.clock
        )

    def home_assistant_bridge(self) -> HomeAssistantBridge:
        """Home Assistant MQTT discovery for every desk (FREESEAT_HOME_ASSISTANT)."""
        s = self.settings
        floors = [floor.id for floor in self.site.floors()]

        def states() -> dict[str, str]:
            return {
                desk: view["state"] for f in floors for desk, view in self.hub.states(f).items()
            }

        return HomeAssistantBridge(
            site=self.site,
            states=states,
            broker_url=s.broker_url,
            # One id for every replica: the broker keeps one bridge connection per site.
            client_id=f"freeseat-{self.index.site_id}-home-assistant",
            username=s.home_assistant_broker_username or s.broker_username,
            password=s.home_assistant_broker_password
            if s.home_assistant_broker_username
            else s.broker_password,
        )

    def advertiser(self) -> ServerAdvertiser:
        """The zeroconf advert agents find the broker by (FREESEAT_ADVERTISE)."""
        s = self.settings
        return ServerAdvertiser(
            site=self.index.site_id,
            http_port=s.advertise_port,
            broker_url=s.advertise_broker_url or s.broker_url,
            address=s.advertise_address,
            interfaces=s.advertise_interfaces,
        )

    @cached_property
    def ticker_seating(self) -> Seating:
        """Seating for the timed releases: its commits are fenced by the ticker lease."""
        store = SqlSeatingStore(self.ticker_engine or self.engine)
        return Seating(SeatingSite.of(self.site), store, self.clock)

    @cached_property
    def ticker_rooms(self) -> RoomService:
        """Rooms for the timed jobs (sessions that must end, no-show bookings), fenced likewise."""
        return RoomService(self.site, SqlRoomStore(self.ticker_engine or self.engine), self.clock)

    @cached_property
    def ticker_wifi(self) -> WifiPresence:
        """Wi-Fi presence for history samples and retention, fenced likewise."""
        return wifi_presence(
            self.settings, self.site, self.ticker_engine or self.engine, self.clock
        )

    @cached_property
    def calendar_sync(self) -> CalendarSync | None:
        """Two-way room calendar sync (FREESEAT_CALDAV_*), on the ticker's fenced engine."""
        return room_calendar_sync(
            self.settings, self.site, self.ticker_engine or self.engine, self.clock
        )

    @property
    def live(self) -> LiveFeed:
        """Where committed desk changes go: this hub, or every replica's when scaled out."""
        return self.scale_out.notifier if self.scale_out else self.hub

    @property
    def runs_ticker(self) -> bool:
        """Whether timed jobs run here: always on one process, on the lease holder of replicas."""
        return self.scale_out is None or self.scale_out.lease.held

    @cached_property
    def retention(self) -> Retention:
        """Retention of personal and bulky rows, fenced by the ticker lease like the others."""
        s = self.settings
        return Retention(
            SqlRetentionStore(self.ticker_engine or self.engine),
            self.clock,
            s.retention_limits(),
            timedelta(seconds=s.retention_interval_s),
        )

    @cached_property
    def desk_names(self) -> DeskNames:
        """Who holds a desk, as the site's `policy.names` lets signed-in people know (audited)."""
        return DeskNames(
            NamePolicy(self.site.policy.names),
            SqlSeatingStore(self.engine),
            self.accounts.directory.person,
            SqlWifiStore(self.engine).add_lookup,
            self.clock,
        )

    @cached_property
    def seating(self) -> Seating:
        """Seat holds, suggestions and their timed releases (stateless: all in the database)."""
        return Seating(
            SeatingSite.of(self.site),
            SqlSeatingStore(self.engine),
            self.clock,
            # Suggestions steer people away from zones the Wi-Fi shows crowded.
            crowding=self.wifi.crowding if self.wifi is not None else None,
            located=self._shared_floor if self.wifi is not None else None,
        )

    def _shared_floor(self, person: str) -> tuple[str, datetime] | None:
        """Where `person`'s laptop last reported Wi-Fi today, if they share their location."""
        share = self.wifi.current_share(person) if self.wifi is not None else None
        if share is None or share.floor is None or share.reported_at is None:
            return None
        return share.floor, share.reported_at

    def start_mqtt(self, loop: asyncio.AbstractEventLoop) -> IngestPump:
        s = self.settings
        self.bridge = MqttBridge(
            broker_url=s.broker_url,
            client_id=s.mqtt_client_id,
            site=self.index.site_id,
            loop=loop,
            queue=self.queue,
            receive_maximum=s.mqtt_receive_maximum,
            protocol=s.mqtt_protocol,
            extra_filters=self.index.foreign_filters(),
            username=s.broker_username,
            password=s.broker_password,
            share_group=share_group(s),
            leave_share_on_stop=s.mqtt_leave_share_on_stop,
            partitioned=partitioned(s),
        )
        if self.scale_out is not None and partitioned(s):
            self.scale_out.own_partitions(s, self.index, self.bridge)
        self.pump = IngestPump(
            queue=self.queue,
            ingest=self.ingest,
            store=self.store,
            ack=self.bridge.ack,
            live=self.live,
            clock=self.clock,
            batch_max=s.ingest_batch_max,
            apply=self.worker.apply_batch if self.worker is not None else None,
            watermarks=(
                Watermarks(self.bridge.publish_retained, self.index, self.clock).send
                if s.ingest_watermarks
                else None
            ),
        )
        self.bridge.start()
        return self.pump

    async def run_sweep(self) -> None:
        """One liveness sweep; its changes go to the live feed after commit."""
        self.sweeps += 1
        outcome = await asyncio.to_thread(self.sweep.run)
        self.live.publish(outcome.changes.values())
        # Seating's timed releases (no-show, end of day) and sensor check-ins ride the same tick.
        self.live.publish(await asyncio.to_thread(self.ticker_seating.sweep))

    def close(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()
        if self.worker is not None:
            self.worker.close()
        self.engine.dispose()
