"""A small site with Wi-Fi APs: two per floor, one AP agent each."""

from firmware_config.site import AccessPoint, Device, Site
from tests.support import small_site

# Radio addresses of the test APs (infrastructure, not people): floor, AP -> BSSIDs.
BSSIDS = {
    ("f1", 1): ["0a:00:00:00:11:01", "0a:00:00:00:11:02"],
    ("f1", 2): ["0a:00:00:00:12:01", "0a:00:00:00:12:02"],
    ("f2", 1): ["0a:00:00:00:21:01", "0a:00:00:00:21:02"],
    ("f2", 2): ["0a:00:00:00:22:01", "0a:00:00:00:22:02"],
}


def wifi_site(desks_per_zone: int = 4) -> Site:
    """`small_site()` plus APs over zone a (x=5) and zone b (x=15) of each floor."""
    site = small_site(desks_per_zone)
    floors = []
    devices = list(site.devices)
    for floor in site.floors():
        number = floor.id[1:]
        aps = [
            AccessPoint(id=f"ap-f{number}-{n}", x=5 + 10 * (n - 1), y=5, bssids=BSSIDS[floor.id, n])
            for n in (1, 2)
        ]
        floors.append(floor.model_copy(update={"access_points": aps}))
        devices += [
            Device(id=f"apagent-f{number}-{n}", kind="ap", access_point=f"ap-f{number}-{n}")
            for n in (1, 2)
        ]
    building = site.buildings[0].model_copy(update={"floors": floors})
    return site.model_copy(update={"buildings": [building], "devices": devices})
