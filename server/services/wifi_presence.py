"""Wi-Fi presence: AP counts from ingest, busy-ness live and over time, opt-in location.

The ingest handler calls `WifiPresence.check` and `.apply` inside its transaction; the API
reads `live`, `floor_history`, and the opt-in location methods; `crowding` is the plain
value the seat policy may use; `WifiJobs` samples history and enforces retention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from contracts import ApStationsCounted
from firmware_config.site import Site
from server.domain.busyness import (
    ApCount,
    ApPlace,
    Busyness,
    Estimator,
    ZonePlace,
    estimate,
    shown,
    zone_of,
    zone_shares,
)
from server.domain.refusals import Refusal, RefusalCode
from server.services.ports import Clock, Transaction

RETAINED_TABLES = (
    "wifi_ap_counts",
    "wifi_zone_samples",
    "wifi_floor_samples",
    "wifi_location_shares",
    "wifi_location_lookups",
    "ap_event_log",
)

# How long each kind of row is kept; a job deletes older rows (see WifiJobs.enforce_retention).
DEFAULT_RETENTION: dict[str, timedelta] = {
    # Live counts of APs that stopped reporting: gone from the live view after count_ttl.
    "wifi_ap_counts": timedelta(days=7),
    # Aggregates only (people per zone and floor), for planning and year-on-year comparison.
    "wifi_zone_samples": timedelta(days=400),
    "wifi_floor_samples": timedelta(days=400),
    # Personal location: measured from the end of the day it was shared for, when it stops
    # being served; the row itself goes at the next run after this.
    "wifi_location_shares": timedelta(minutes=1),
    # Who looked a person up: long enough for the person to notice and ask why.
    "wifi_location_lookups": timedelta(days=90),
    # The raw `ap.stations_counted` events in the shared event log.
    "ap_event_log": timedelta(days=30),
}


@dataclass(frozen=True, slots=True)
class StoredCount:
    """An AP count as the store keeps it, with the stream position that produced it."""

    access_point: str
    device: str
    epoch: int
    seq: int
    stations: int
    randomised: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Share:
    """A person's opt-in for today, and where their laptop last said it was."""

    person: str
    started_at: datetime
    expires_at: datetime
    access_point: str | None = None
    floor: str | None = None
    zone: str | None = None
    reported_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """One audited read about a person: 'where is this person', or a desk naming its holder."""

    at: datetime
    subject: str
    viewer: str
    outcome: Literal["found", "not_shared", "no_report", "named"]
    detail: str


@dataclass(frozen=True, slots=True)
class Sample:
    at: datetime
    people: float


class WifiStore(Protocol):
    """What Wi-Fi presence keeps in the database."""

    def save_count(self, tx: Transaction, count: StoredCount) -> bool:
        """Store the count if its (epoch, seq) is newer than the AP's stored one."""
        ...

    def counts(self) -> list[StoredCount]: ...

    def add_samples(
        self, at: datetime, zones: Mapping[str, tuple[str, float]], floors: Mapping[str, float]
    ) -> None:
        """Zones map to (floor, people)."""
        ...

    def floor_samples(self, floor: str, since: datetime, until: datetime) -> list[Sample]: ...

    def zone_samples(
        self, floor: str, since: datetime, until: datetime
    ) -> list[tuple[str, Sample]]: ...

    def share(self, person: str) -> Share | None: ...
    def save_share(self, share: Share) -> None: ...
    def delete_share(self, person: str) -> bool: ...
    def add_lookup(self, lookup: Lookup) -> None: ...
    def lookups(self, subject: str, since: datetime) -> list[Lookup]: ...

    def purge(self, table: str, before: datetime) -> int:
        """Delete rows of `table` (one of RETAINED_TABLES) older than `before`; returns count."""
        ...


# How long a crowding estimate serves seat suggestions before the counts are read again.
CROWDING_REUSE = timedelta(seconds=10)


@dataclass(frozen=True)
class WifiSettings:
    """Tunables of Wi-Fi presence; every field has a working default."""

    estimator: Estimator = field(default_factory=Estimator)
    history_every: timedelta = timedelta(minutes=5)
    retention_every: timedelta = timedelta(minutes=15)
    retention: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_RETENTION))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.retention) - set(RETAINED_TABLES))
        if unknown:
            raise ValueError(
                f"retention names unknown table(s) {unknown}; known: {list(RETAINED_TABLES)}"
            )
        for table, limit in self.retention.items():
            if limit <= timedelta(0):
                raise ValueError(f"retention for {table} must be positive, got {limit}")


@dataclass(frozen=True)
class WifiSiteModel:
    """The site's APs and zones as the busy-ness estimate needs them."""

    timezone: ZoneInfo
    aps: dict[str, ApPlace]
    zones: dict[str, ZonePlace]
    shares: dict[str, dict[str, float]]
    ap_zone: dict[str, str | None]
    bssid_ap: dict[str, str]
    device_ap: dict[str, str]
    floors: tuple[str, ...]

    @classmethod
    def from_site(cls, site: Site) -> WifiSiteModel:
        aps: dict[str, ApPlace] = {}
        zones: dict[str, ZonePlace] = {}
        bssid_ap: dict[str, str] = {}
        for floor in site.floors():
            desks_per_zone: dict[str, int] = {}
            for desk in floor.desks:
                desks_per_zone[desk.zone] = desks_per_zone.get(desk.zone, 0) + 1
            for zone in floor.zones:
                r = zone.rect
                zones[zone.id] = ZonePlace(
                    zone.id, floor.id, r.x, r.y, r.w, r.h, desks_per_zone.get(zone.id, 0)
                )
            for ap in floor.access_points:
                aps[ap.id] = ApPlace(ap.id, floor.id, ap.x, ap.y)
                for bssid in ap.bssids:
                    bssid_ap[bssid.lower()] = ap.id
        zone_list = list(zones.values())
        return cls(
            timezone=ZoneInfo(site.site.timezone),
            aps=aps,
            zones=zones,
            shares=zone_shares(zone_list, aps.values()),
            ap_zone={ap.id: zone_of(ap, zone_list) for ap in aps.values()},
            bssid_ap=bssid_ap,
            device_ap={
                d.id: d.access_point
                for d in site.devices
                if d.kind == "ap" and d.access_point is not None
            },
            floors=tuple(f.id for f in site.floors()),
        )


class WifiPresence:
    """Busy-ness and opt-in location over a `WifiStore`."""

    def __init__(
        self, model: WifiSiteModel, store: WifiStore, clock: Clock, settings: WifiSettings
    ) -> None:
        self.model = model
        self.store = store
        self.clock = clock
        self.settings = settings
        self._crowding: tuple[datetime, dict[str, float]] | None = None

    # -- ingest ------------------------------------------------------------------------------

    def check(self, device: str, event: ApStationsCounted) -> str | None:
        """Why the device may not report this AP, or None when it may."""
        own = self.model.device_ap.get(device)
        if own is None:
            return f"device {device!r} is not an AP agent with an access_point in the site file"
        if event.access_point != own:
            return f"device {device!r} reports {own!r}, not {event.access_point!r}"
        return None

    def apply(
        self, tx: Transaction, event: ApStationsCounted, received_at: datetime | None = None
    ) -> bool:
        """Keep the count if it is the AP's newest; True if it replaced the stored one.

        Freshness is judged by when the server received it, so an agent with a wrong clock
        (or a time-compressed simulation) cannot keep a silent AP's count alive.
        """
        return self.store.save_count(
            tx,
            StoredCount(
                access_point=event.access_point,
                device=event.device,
                epoch=event.epoch,
                seq=event.seq,
                stations=event.stations,
                randomised=event.randomised,
                at=received_at or event.at,
            ),
        )

    # -- busy-ness ---------------------------------------------------------------------------

    def live(self, now: datetime | None = None) -> Busyness:
        """Estimated people per zone and floor now (not suppressed: callers suppress)."""
        counts = [
            ApCount(c.access_point, c.stations, c.randomised, c.at) for c in self.store.counts()
        ]
        zone_floor = {z.id: z.floor for z in self.model.zones.values()}
        return estimate(
            counts,
            self.model.aps,
            self.model.shares,
            zone_floor,
            self.settings.estimator,
            now or self.clock.now(),
        )

    def crowding(self) -> dict[str, float]:
        """People per zone now as anyone may see them, for the seat policy: a zone whose figure
        is hidden (a small group) or unknown counts 0, so no suggestion can tell it apart.

        Kept for CROWDING_REUSE: every seat suggestion asks, hundreds a second in a morning
        rush, while an AP reports at most every 30 s; re-reading the counts each time was a
        twentieth of the server's CPU in that rush.
        """
        now = self.clock.now()
        cached = self._crowding
        if cached is None or not cached[0] <= now < cached[0] + CROWDING_REUSE:
            cached = self._crowding = (now, self._visible_zones(self.live(now)))
        return dict(cached[1])

    def _visible_zones(self, live: Busyness) -> dict[str, float]:
        visible: dict[str, float] = {}
        for floor in self.model.floors:
            zones = [z.id for z in self.model.zones.values() if z.floor == floor]
            if floor in live.reporting:
                _, figures = live.shown_floor(floor, zones)
            else:
                # No floor total is shown to subtract from: each zone stands alone.
                figures = {z: shown(live.zones.get(z, 0.0)) for z in zones}
            visible.update({z: float(v or 0) for z, v in figures.items()})
        return visible

    def own_position(self, person: str) -> tuple[str, float, float] | None:
        """(floor, x, y) of the AP the person's laptop reported today, for their own seat
        suggestions ("near where I am"); None unless they share. Not audited: it is theirs."""
        share = self.current_share(person)
        if share is None or share.access_point is None:
            return None
        ap = self.model.aps.get(share.access_point)
        return None if ap is None else (ap.floor, ap.x, ap.y)

    def floor_history(
        self, floor: str, since: datetime, until: datetime, bucket: timedelta
    ) -> list[tuple[datetime, float | None]]:
        """Mean estimated people on `floor` per bucket; None where no sample fell."""
        samples = self.store.floor_samples(floor, since, until)
        return _buckets(samples, since, until, bucket)

    def zone_history(
        self, floor: str, since: datetime, until: datetime, bucket: timedelta
    ) -> dict[str, list[tuple[datetime, float | None]]]:
        """Mean estimated people per zone of `floor`, per bucket."""
        by_zone: dict[str, list[Sample]] = {
            z.id: [] for z in self.model.zones.values() if z.floor == floor
        }
        for zone, sample in self.store.zone_samples(floor, since, until):
            by_zone.setdefault(zone, []).append(sample)
        return {z: _buckets(s, since, until, bucket) for z, s in by_zone.items()}

    # -- opt-in location ---------------------------------------------------------------------

    def end_of_day(self, now: datetime) -> datetime:
        """The next local midnight: when today's sharing ends by itself."""
        local = now.astimezone(self.model.timezone)
        return datetime.combine(local.date() + timedelta(days=1), time(0), self.model.timezone)

    def start_sharing(self, person: str) -> Share:
        """Make `person` findable until the end of today (keeps today's report if any)."""
        now = self.clock.now()
        current = self.current_share(person, now)
        if current is not None:
            return current
        share = Share(person=person, started_at=now, expires_at=self.end_of_day(now))
        self.store.save_share(share)
        return share

    def stop_sharing(self, person: str) -> bool:
        """Stop sharing now and forget the reported place; True if it was on."""
        return self.store.delete_share(person)

    def current_share(self, person: str, now: datetime | None = None) -> Share | None:
        """Today's share of `person`, or None when off (or expired at midnight)."""
        share = self.store.share(person)
        if share is None or share.expires_at <= (now or self.clock.now()):
            return None
        return share

    def report_bssid(self, person: str, bssid: str) -> Share:
        """Record where `person`'s laptop is, from the BSSID it is associated with."""
        share = self.current_share(person)
        if share is None:
            raise Refusal(RefusalCode.SHARING_OFF)
        ap_id = self.model.bssid_ap.get(bssid)
        if ap_id is None:
            raise Refusal(RefusalCode.BSSID_UNKNOWN)
        ap = self.model.aps[ap_id]
        updated = Share(
            person=person,
            started_at=share.started_at,
            expires_at=share.expires_at,
            access_point=ap_id,
            floor=ap.floor,
            zone=self.model.ap_zone.get(ap_id),
            reported_at=self.clock.now(),
        )
        self.store.save_share(updated)
        return updated

    def find(self, subject: str, viewer: str) -> tuple[Lookup, Share | None]:
        """Where `subject` is, if they share it today; every call is audited, found or not."""
        now = self.clock.now()
        share = self.current_share(subject, now)
        if share is None:
            lookup = Lookup(now, subject, viewer, "not_shared", "not sharing a location today")
            self.store.add_lookup(lookup)
            return lookup, None
        if share.zone is None and share.floor is None:
            lookup = Lookup(now, subject, viewer, "no_report", "sharing, no report yet")
            self.store.add_lookup(lookup)
            return lookup, share
        where = f"zone {share.zone} on floor {share.floor}"
        lookup = Lookup(now, subject, viewer, "found", where)
        self.store.add_lookup(lookup)
        return lookup, share

    def lookups_of(self, subject: str, days: int = 30) -> list[Lookup]:
        """Who looked `subject` up in the last `days` days, newest first."""
        return self.store.lookups(subject, self.clock.now() - timedelta(days=days))


class WifiJobs:
    """Periodic work on the injected clock: history samples and retention."""

    def __init__(self, presence: WifiPresence) -> None:
        self.presence = presence
        self._next_sample: datetime | None = None
        self._next_retention: datetime | None = None

    def run_due(self) -> dict[str, int]:
        """Run whatever is due now; returns rows deleted per table (empty if none ran)."""
        now = self.presence.clock.now()
        settings = self.presence.settings
        if self._next_sample is None or now >= self._next_sample:
            self.sample(now)
            self._next_sample = now + settings.history_every
        if self._next_retention is None or now >= self._next_retention:
            self._next_retention = now + settings.retention_every
            return self.enforce_retention(now)
        return {}

    def sample(self, now: datetime) -> None:
        """Store the live estimate of every zone and floor with fresh counts."""
        live = self.presence.live(now)
        model = self.presence.model
        zones = {
            z: (model.zones[z].floor, people)
            for z, people in live.zones.items()
            if model.zones[z].floor in live.reporting
        }
        floors = {f: p for f, p in live.floors.items() if f in live.reporting}
        if zones or floors:
            self.presence.store.add_samples(now, zones, floors)

    def enforce_retention(self, now: datetime) -> dict[str, int]:
        """Delete rows older than each table's limit; returns how many went per table."""
        limits = self.presence.settings.retention
        return {table: self.presence.store.purge(table, now - limits[table]) for table in limits}


def _buckets(
    samples: Sequence[Sample], since: datetime, until: datetime, bucket: timedelta
) -> list[tuple[datetime, float | None]]:
    out: list[tuple[datetime, float | None]] = []
    start = since
    index = 0
    ordered = sorted(samples, key=lambda s: s.at)
    while start < until:
        end = min(start + bucket, until)
        values = []
        while index < len(ordered) and ordered[index].at < end:
            if ordered[index].at >= start:
                values.append(ordered[index].people)
            index += 1
        out.append((start, sum(values) / len(values) if values else None))
        start = end
    return out
