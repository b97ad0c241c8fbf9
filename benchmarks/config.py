"""How big each scenario is: the full run, `--quick`, and smaller scales for the smoke test."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from server.settings import Settings


@dataclass(frozen=True)
class BenchConfig:
    """Sizes, rates and bounds of one bench run."""

    backlog: int = 50_000
    # The site for raw limit, ingest, freshness and fan-out.
    site_floors: int = 10
    site_desks_per_floor: int = 200
    site_desks_per_gateway: int = 20
    live_rate: float = 500.0
    freshness_clients: int = 1_000
    fanout_clients: int = 2_000
    warmup_s: float = 3.0
    window_s: float = 20.0
    tail_s: float = 2.0
    # The multi-site run: buildings of one floor each, drained by three replicas.
    campus_buildings: int = 20
    campus_desks_per_building: int = 2_500
    footprint_floors: int = 50
    footprint_desks_per_floor: int = 1_000
    footprint_desks_per_gateway: int = 100
    footprint_clients: int = 2_000
    receive_maximum: int = Settings.model_fields["mqtt_receive_maximum"].default
    ingest_batch_max: int = Settings.model_fields["ingest_batch_max"].default
    connect_concurrency: int = 50
    server_start_timeout_s: float = 120.0
    publish_timeout_s: float = 120.0
    ws_compression: str | None = "deflate"  # what browsers negotiate
    # Morning rush: staff of the demo city hall arriving, requests offered per second.
    rush_staff: int = 2_000
    rush_rate: float = 200.0

    @property
    def drain_timeout_s(self) -> float:
        return max(60.0, self.backlog / 100)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def config_for(quick: bool, scale: float = 1.0) -> BenchConfig:
    """The full run, or the quick one (under two minutes on two cores); `scale` shrinks counts."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    base = (
        BenchConfig(
            backlog=5_000,
            freshness_clients=100,
            fanout_clients=200,
            warmup_s=2.0,
            window_s=6.0,
            tail_s=1.5,
            footprint_floors=5,
            footprint_clients=200,
            rush_staff=400,
            campus_buildings=4,
            campus_desks_per_building=500,
        )
        if quick
        else BenchConfig()
    )
    if scale == 1.0:
        return base
    return dataclasses.replace(
        base,
        # Enough to span several health samples (5 Hz) at ~8,000 events/s.
        backlog=max(4_000, round(base.backlog * scale)),
        freshness_clients=max(5, round(base.freshness_clients * scale)),
        fanout_clients=max(10, round(base.fanout_clients * scale)),
        footprint_floors=max(1, round(base.footprint_floors * scale)),
        footprint_clients=max(10, round(base.footprint_clients * scale)),
        rush_staff=max(20, round(base.rush_staff * scale)),
        campus_buildings=max(2, round(base.campus_buildings * scale)),
        window_s=max(3.0, base.window_s * min(scale, 1.0)),
        warmup_s=max(1.0, base.warmup_s * min(scale, 1.0)),
    )
