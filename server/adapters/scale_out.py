"""What makes a process one of several replicas: a cross-replica live feed, the ticker lease.

Imported only when FREESEAT_SCALE_OUT is on: it needs psycopg (the freeseat[postgresql] extra).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from server.adapters.device_partitions import DevicePartitions, Subscriptions, partition_filters
from server.adapters.leader_lease import TICKER, LeaderLease, fenced_engine
from server.adapters.live_feed import LiveFeedHub
from server.adapters.pg_notify import DeskChangeListener, DeskChangeNotifier
from server.services.site_index import SiteIndex
from server.settings import Settings


@dataclass
class ScaleOut:
    """The adapters a replica adds (settings checked by `replica_settings.check` first)."""

    replica: str
    notifier: DeskChangeNotifier
    listener: DeskChangeListener
    lease: LeaderLease
    # Set when ingest is split by device partitions (the default for replicas).
    partitions: DevicePartitions | None = None

    @classmethod
    def open(cls, settings: Settings, engine: Engine, hub: LiveFeedHub) -> ScaleOut:
        url = settings.database_url
        retry = settings.leader_retry_s
        replica = f"{settings.mqtt_client_id}@{socket.gethostname()}:{os.getpid()}"
        return cls(
            replica=replica,
            notifier=DeskChangeNotifier(url, retry),
            listener=DeskChangeListener(url, engine, hub, retry),
            lease=LeaderLease(url, name=TICKER, holder=replica, retry_s=retry),
        )

    def fenced(self, engine: Engine) -> Engine:
        """The engine for ticker jobs: it refuses to commit once another replica took the lease."""
        return fenced_engine(engine, self.lease)

    def own_partitions(self, settings: Settings, index: SiteIndex, bridge: Subscriptions) -> None:
        """Split ingest by device partitions; `partition_tasks` then runs the owner."""
        self.partitions = DevicePartitions(
            settings.database_url,
            replica=self.replica,
            filters=partition_filters(index, settings.ingest_partitions),
            bridge=bridge,
            retry_s=settings.leader_retry_s,
            hand_over_on_stop=settings.mqtt_leave_share_on_stop,
        )

    def tasks(self) -> list[Coroutine[Any, Any, None]]:
        return [self.notifier.run(), self.listener.run(), self.lease.run()]

    def partition_tasks(self) -> list[Coroutine[Any, Any, None]]:
        return [self.partitions.run()] if self.partitions is not None else []
