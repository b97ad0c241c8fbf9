"""What seating needs from the site file: desks as options, the rules, the day's end."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from firmware_config.site import Site
from server.domain.seat_holds import claims_closed
from server.domain.seat_policy import DeskOption, SeatRules


@dataclass(frozen=True, slots=True)
class SeatingSite:
    """What seating needs from the site file."""

    options: dict[str, DeskOption]
    rules: SeatRules
    grace: timedelta
    end_of_day: time
    zone: ZoneInfo
    # Desks a presence sensor serves: a QR scan there must be confirmed (seat_holds.judge_scan).
    sensed: frozenset[str] = frozenset()
    # Away too long: a checked-in desk with nobody present this long is released or flagged.
    away_limit: timedelta = timedelta(hours=2)
    away_release: bool = False

    @classmethod
    def of(cls, site: Site) -> "SeatingSite":
        options: dict[str, DeskOption] = {}
        zone_order: list[str] = list(site.policy.zone_order)
        for floor in site.floors():
            zones = {z.id: z for z in floor.zones}
            for zone in floor.zones:
                if zone.id not in zone_order:
                    zone_order.append(zone.id)
            for desk in floor.desks:
                desk_zone = zones.get(desk.zone)
                options[desk.id] = DeskOption(
                    desk=desk.id,
                    floor=floor.id,
                    zone=desk.zone,
                    zone_department=desk_zone.department if desk_zone else None,
                    equipment=frozenset(desk.equipment),
                    x=desk.x,
                    y=desk.y,
                )
        policy = site.policy
        hour, minute = (int(part) for part in policy.end_of_day.split(":"))
        return cls(
            options=options,
            rules=SeatRules(
                max_same_desk_days=policy.max_same_desk_days,
                consolidate_zones=policy.consolidate_zones,
                zone_rank={zone: rank for rank, zone in enumerate(zone_order)},
            ),
            grace=timedelta(minutes=policy.no_show_grace_min),
            end_of_day=time(hour, minute),
            zone=ZoneInfo(site.site.timezone),
            sensed=frozenset(
                d for device in site.devices if device.kind == "desk" for d in device.desks
            ),
            away_limit=timedelta(minutes=policy.away_limit_min),
            away_release=policy.away_action == "release",
        )

    def day_of(self, now: datetime) -> date:
        """The office day `now` falls on, in the site's time zone."""
        return now.astimezone(self.zone).date()

    def day_ends_at(self, day: date) -> datetime:
        """When the holds of `day` end: the site's end of day, in its time zone."""
        return datetime.combine(day, self.end_of_day, tzinfo=self.zone)

    def claims_window(self, now: datetime) -> tuple[datetime, bool]:
        """When the holds of `now`'s day end, and whether a desk can still be claimed."""
        ends = self.day_ends_at(now.astimezone(self.zone).date())
        return ends, claims_closed(now, ends) is None
