"""The site's Wi-Fi APs in the simulation: staff laptops and phones join and leave APs.

Each desk's occupant (following the same working day as the desk simulation) carries a
laptop with a fixed address and, often, a phone with a randomised one; both are associated
with the AP nearest the desk from arrival to departure. Each AP-kind device of the site file
becomes an `ApGateway`, exactly as a real AP agent, fed these associations; the made-up
addresses are hashed there like real ones and never leave it.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from edge_agent.ap_agent import ApGateway
from edge_agent.ap_sources.association import Association
from edge_agent.runtime import ConnectionSettings, Outbox, WallClock
from edge_agent.workday import plan_desk_day
from firmware_config.site import Site

log = logging.getLogger(__name__)

PHONE_SHARE = 0.6  # staff whose phone is on the office Wi-Fi too


@dataclass(frozen=True, slots=True)
class _Person:
    desk: str
    access_point: str
    devices: tuple[str, ...]  # made-up addresses: a laptop, maybe a phone


class ApSimulation:
    """Every AP device of a site, fed by the occupants of the desks nearest each AP."""

    def __init__(self, site: Site, *, seed: int = 1, report_s: float = 300.0) -> None:
        self.site = site
        self.seed = seed
        self.report_s = report_s
        self._tz = ZoneInfo(site.site.timezone)
        self._devices = {
            d.access_point: d.id
            for d in site.devices
            if d.kind == "ap" and d.access_point is not None
        }
        self._people = self._place_people()
        self.gateways: dict[str, ApGateway] = {}
        self._outboxes: list[Outbox] = []
        self._day: date | None = None
        self._spans: dict[str, tuple[datetime, datetime]] = {}
        self._associated: set[str] = set()

    @property
    def access_points(self) -> int:
        return len(self._devices)

    def _place_people(self) -> list[_Person]:
        people = []
        for floor in self.site.floors():
            aps = [ap for ap in floor.access_points if ap.id in self._devices]
            if not aps:
                continue
            for desk in floor.desks:
                nearest = min(aps, key=lambda ap: (math.hypot(ap.x - desk.x, ap.y - desk.y), ap.id))
                rng = random.Random(f"{self.seed}/wifi/{desk.id}")
                laptop = _address(rng, randomised=False)
                phone = _address(rng, randomised=True)
                devices = (laptop, phone) if rng.random() < PHONE_SHARE else (laptop,)
                people.append(_Person(desk.id, nearest.id, devices))
        return people

    def open(
        self,
        workdir: Path,
        settings: ConnectionSettings,
        clock: WallClock,
        *,
        epoch_floor: int,
        heartbeat_s: float = 30.0,
    ) -> None:
        """Create and connect a gateway per AP device."""
        for ap_id, device in self._devices.items():
            outbox = Outbox(workdir / f"{device}.sqlite", durable=False, epoch_floor=epoch_floor)
            self._outboxes.append(outbox)
            self.gateways[ap_id] = ApGateway(
                site=self.site.site.id,
                device=device,
                access_point=ap_id,
                outbox=outbox,
                settings=settings,
                clock=clock,
                timezone=self.site.site.timezone,
                report_s=self.report_s,
                min_report_s=30.0,
                heartbeat_s=heartbeat_s,
            )
        for gateway in self.gateways.values():
            gateway.start(clock.now())

    def tick(self, now: datetime) -> None:
        """Associate and disassociate devices up to `now`, then let each gateway report."""
        day = now.astimezone(self._tz).date()
        if day != self._day:
            self._plan(day)
        for person in self._people:
            span = self._spans.get(person.desk)
            inside = span is not None and span[0] <= now < span[1]
            was = person.desk in self._associated
            if inside == was:
                continue
            gateway = self.gateways[person.access_point]
            for address in person.devices:
                gateway.observe(Association(address, joined=inside), now)
            if inside:
                self._associated.add(person.desk)
            else:
                self._associated.discard(person.desk)
        for gateway in self.gateways.values():
            gateway.tick(now)

    def people_on_wifi(self, now: datetime) -> int:
        """How many occupants the day's plan has in the building at `now`."""
        if now.astimezone(self._tz).date() != self._day:
            self._plan(now.astimezone(self._tz).date())
        return sum(1 for start, end in self._spans.values() if start <= now < end)

    def _plan(self, day: date) -> None:
        self._day = day
        self._spans = {}
        for person in self._people:
            toggles = plan_desk_day(self.seed, person.desk, day, self._tz)
            if toggles:
                # Laptops stay on the Wi-Fi through lunch and meetings: arrival to departure.
                self._spans[person.desk] = (toggles[0][0], toggles[-1][0])

    def stop(self) -> None:
        for gateway in self.gateways.values():
            gateway.stop(drain_s=1.0)
        for outbox in self._outboxes:
            outbox.close()

    def stations(self) -> int:
        """Stations associated now across all APs."""
        return sum(g.counts()[0] for g in self.gateways.values())


def _address(rng: random.Random, *, randomised: bool) -> str:
    octets = [rng.randrange(256) for _ in range(6)]
    # Unicast; the locally administered bit set exactly for randomised addresses.
    octets[0] = (octets[0] & 0xFC) | (0x02 if randomised else 0x00)
    return ":".join(f"{o:02x}" for o in octets)
