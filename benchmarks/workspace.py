"""What the scenarios of one run share: sizes, scratch space, generated sites, the raw limit."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_site import BenchSite, write_site
from benchmarks.config import BenchConfig
from server.settings import Settings


@dataclass
class Workspace:
    config: BenchConfig
    tmp: Path  # deleted after the run: databases, broker persistence, site files
    logs: Path  # kept in the output directory: one log per process started
    profile: bool = False
    raw_limit: float | None = None
    # One replica on PostgreSQL, events per server-CPU-second: what replicas are scaled against.
    replica_rate_per_cpu: float | None = None
    # Where scale-out scenarios create their scratch database (a PostgreSQL of this machine).
    postgres_url: str = field(
        default_factory=lambda: os.environ.get(
            "FREESEAT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    )
    _sites: dict[str, BenchSite] = field(default_factory=dict)

    def ingest_site(self) -> BenchSite:
        """The site of raw limit, ingest, freshness and fan-out (generated once per run)."""
        c = self.config
        return self._site("site", c.site_floors, c.site_desks_per_floor, c.site_desks_per_gateway)

    def campus_site(self) -> BenchSite:
        """Many buildings on one site file: the multi-site run's 20 x 2,500 desks."""
        c = self.config
        name = "campus-site"
        if name not in self._sites:
            self._sites[name] = write_site(
                self.tmp,
                name,
                c.campus_buildings,
                c.campus_desks_per_building,
                c.site_desks_per_gateway * 5,
                buildings=c.campus_buildings,
            )
        return self._sites[name]

    def footprint_site(self) -> BenchSite:
        c = self.config
        return self._site(
            "footprint-site",
            c.footprint_floors,
            c.footprint_desks_per_floor,
            c.footprint_desks_per_gateway,
        )

    def _site(self, name: str, floors: int, desks: int, per_gateway: int) -> BenchSite:
        if name not in self._sites:
            self._sites[name] = write_site(self.tmp, name, floors, desks, per_gateway)
        return self._sites[name]

    @property
    def server_queue(self) -> int:
        """Frames the server queues per websocket client before closing it with 1013."""
        queue: int = Settings.model_fields["live_client_queue"].default
        return queue

    def server_settings(self, scenario: str, broker_url: str, site: BenchSite) -> Settings:
        """The server's settings for one scenario: its own SQLite file, broker and site."""
        return Settings(
            database_url=f"sqlite:///{self.tmp / scenario}.db",
            broker_url=broker_url,
            site_file=site.path,
            mqtt_client_id=f"freeseat-bench-{scenario}",
            ingest_batch_max=self.config.ingest_batch_max,
            mqtt_receive_maximum=self.config.receive_maximum,
            # Both cores: the MQTT client and the apply each in a process (the production advice).
            ingest_worker=True,
        )
