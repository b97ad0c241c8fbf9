"""`freeseat site check`: validate a site file and summarise what it describes."""

from collections import Counter
from pathlib import Path

from firmware_config.loader import load_site


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def check_site(path: Path) -> str:
    """A one-paragraph summary of the valid site file at `path`; raises SiteError otherwise."""
    site = load_site(path)
    floors = site.floors()
    desks = sum(len(f.desks) for f in floors)
    rooms = sum(len(f.rooms) for f in floors)
    aps = sum(len(f.access_points) for f in floors)
    zones = sum(len(f.zones) for f in floors)
    kinds = Counter(device.kind for device in site.devices)
    per_floor = ", ".join(f"{f.name} {len(f.desks):,}" for f in floors)
    name = f"{site.site.name} / {site.site.name_ja}" if site.site.name_ja else site.site.name
    return (
        f"{path}: site {site.site.id!r} ({name}) is valid: "
        f"{_count(len(site.buildings), 'building')}, {_count(len(floors), 'floor')}, "
        f"{_count(desks, 'desk')} in {_count(zones, 'zone')} (per floor: {per_floor}), "
        f"{_count(rooms, 'meeting room')}, {_count(aps, 'access point')}, "
        f"{_count(len(site.devices), 'device')} "
        f"({kinds['desk']:,} desk, {kinds['room']:,} room, {kinds['ap']:,} ap), "
        f"{_count(len(site.departments), 'department')}."
    )
