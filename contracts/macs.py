"""MAC addresses as APs, RADIUS and operating systems spell them, in one normal form.

Shared by the AP agent (which hashes station addresses at once) and the server (which turns
a laptop's reported BSSID into an AP id before anything is stored).
"""

import re

# Separated (`aa:bb:..`, `aa-bb-..`), grouped by four (Cisco `aabb.ccdd.eeff`, Huawei and
# H3C `aabb-ccdd-eeff`) or bare 12 hex digits.
_SEPARATED = re.compile(r"^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$")
_GROUPED = re.compile(r"^[0-9a-f]{4}([.-])[0-9a-f]{4}\1[0-9a-f]{4}$")
_BARE = re.compile(r"^[0-9a-f]{12}$")


def normalise_mac(text: str) -> str | None:
    """`aa:bb:cc:dd:ee:ff` for any common spelling of a unicast MAC, else None."""
    value = text.strip().strip('"').lower()
    if _SEPARATED.match(value):
        digits = value.replace(":", "").replace("-", "")
    elif _GROUPED.match(value):
        digits = value.replace(".", "").replace("-", "")
    elif _BARE.match(value):
        digits = value
    else:
        return None
    if digits in ("000000000000", "ffffffffffff") or int(digits[:2], 16) & 0x01:
        return None  # null, broadcast or multicast: never a station
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def is_randomised(mac: str) -> bool:
    """True for a locally administered address (the U/L bit), as phones use per network."""
    return bool(int(mac[:2], 16) & 0x02)
