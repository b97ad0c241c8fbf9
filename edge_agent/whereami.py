"""`freeseat whereami`: this laptop tells the server which AP it is on, if its owner shares.

The BSSID is read from the operating system (Linux `iw`/`nmcli`, macOS `airport`/`wdutil`,
Windows `netsh`) and sent once over HTTPS to the server, which keeps only the AP's zone.
It is never printed or logged here. The server is one the user named or signed in to before
(edge_agent.trusted_servers).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from edge_agent.room_connect import ConnectError, ServerClient, trusted_server
from edge_agent.station_hash import normalise_mac
from edge_agent.trusted_servers import TrustedServers

_MAC = r"[0-9A-Fa-f]{1,2}(?:[:-][0-9A-Fa-f]{1,2}){5}"
_IW = re.compile(rf"^Connected to ({_MAC})", re.MULTILINE)
_NMCLI = re.compile(r"^yes:((?:[0-9A-Fa-f]{2}\\:){5}[0-9A-Fa-f]{2})$", re.MULTILINE)
_KEYED = re.compile(rf"^\s*BSSID\s*:\s*({_MAC})\s*$", re.MULTILINE)

AIRPORT = (
    "/System/Library/PrivateFrameworks/Apple80211.framework/Versions/Current/Resources/airport"
)


def _pad(mac: str) -> str:
    # macOS prints octets without leading zeros (`6:9c:3a:...`).
    parts = re.split(r"[:-]", mac)
    return ":".join(p.zfill(2) for p in parts)


def bssid_from_iw(text: str) -> str | None:
    """`iw dev <if> link` (Linux): `Connected to aa:bb:... (on wlan0)`."""
    match = _IW.search(text)
    return normalise_mac(match.group(1)) if match else None


def bssid_from_nmcli(text: str) -> str | None:
    """`nmcli -t -f ACTIVE,BSSID dev wifi` (Linux): `yes:AA\\:BB\\:...` for the active one."""
    match = _NMCLI.search(text)
    return normalise_mac(match.group(1).replace("\\", "")) if match else None


def bssid_from_keyed(text: str) -> str | None:
    """`netsh wlan show interfaces` (Windows), `airport -I` / `wdutil info` (macOS)."""
    match = _KEYED.search(text)
    return normalise_mac(_pad(match.group(1))) if match else None


def _iw_link() -> list[tuple[list[str], Callable[[str], str | None]]]:
    commands: list[tuple[list[str], Callable[[str], str | None]]] = []
    if shutil.which("iw"):
        listing = _run(["iw", "dev"]) or ""
        for name in re.findall(r"Interface\s+(\S+)", listing):
            commands.append((["iw", "dev", name, "link"], bssid_from_iw))
    return commands


def current_bssid() -> str | None:
    """The BSSID this machine's Wi-Fi is associated with, or None (wired, off, unknown OS)."""
    candidates: list[tuple[list[str], Callable[[str], str | None]]] = [
        *_iw_link(),
        (["nmcli", "-t", "-f", "ACTIVE,BSSID", "dev", "wifi"], bssid_from_nmcli),
        (["netsh", "wlan", "show", "interfaces"], bssid_from_keyed),
        ([AIRPORT, "-I"], bssid_from_keyed),
        (["wdutil", "info"], bssid_from_keyed),
    ]
    for command, parse in candidates:
        if shutil.which(command[0]) is None:
            continue
        output = _run(command)
        if output and (bssid := parse(output)):
            return bssid
    return None


def _run(command: Sequence[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@dataclass(frozen=True, slots=True)
class Reported:
    floor: str | None
    zone: str | None
    until: str | None


def report_location(
    *,
    server: str | None,
    staff_id: str | None,
    password: str | None,
    bssid: str | None = None,
    share: bool = True,
    client: ServerClient | None = None,
    token: str | None = None,
    trusted: TrustedServers | None = None,
    ca_file: str | None = None,
) -> Reported:
    """Sign in to the named (or remembered) server, turn sharing on for today if asked, and
    report the BSSID; raises ConnectError."""
    found = bssid if bssid is not None else current_bssid()
    if found is None:
        raise ConnectError(
            "this machine is not on Wi-Fi, or its BSSID cannot be read (tried iw, nmcli, "
            "netsh, airport, wdutil); connect to the office Wi-Fi or pass --bssid"
        )
    if client is None:
        trusted = trusted or TrustedServers.default()
        target = trusted_server(trusted, server, ca_file)
        api = ServerClient(target, token=token)
        api.sign_in(staff_id, password)
        trusted.remember(target)
    else:
        api = client
        api.sign_in(staff_id, password)
    if share:
        api.call("POST", "/api/presence/share")
    body: dict[str, Any] = api.call("POST", "/api/presence/whereami", {"bssid": found})
    return Reported(floor=body.get("floor"), zone=body.get("zone"), until=body.get("until"))


def run_whereami(
    *,
    server: str | None,
    staff_id: str | None,
    password: str | None,
    bssid: str | None,
    share: bool,
    every_s: float | None,
    out: Callable[[str], None],
    rounds: int | None = None,
    token: str | None = None,
    ca_file: str | None = None,
) -> None:
    """Report once, or every `every_s` seconds (the BSSID changes as the laptop moves)."""
    done = 0
    while True:
        reported = report_location(
            server=server,
            staff_id=staff_id,
            password=password,
            bssid=bssid,
            share=share,
            token=token,
            ca_file=ca_file,
        )
        out(
            f"you are in zone {reported.zone} on floor {reported.floor}; "
            f"colleagues can find you until {reported.until}"
        )
        done += 1
        if every_s is None or (rounds is not None and done >= rounds):
            return
        time.sleep(every_s)
