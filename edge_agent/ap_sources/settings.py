"""The `sources:` of an AP agent's config, and the reader and parser each one opens.

- `hostapd`: `ctrl:` hostapd's control socket, `file:` an action script's output (hostapd.py),
  or `listen:` syslog over UDP; scope `this_ap` (`shared` with `listen`);
- `radius`: `file:` a FreeRADIUS `detail` file (radius.py); scope `shared`;
- `syslog`: `file:` or `listen: host:port` (vendor_syslog.py); scope `shared`;
- `ubus`: `command:` (e.g. `[ubus, subscribe, hostapd.phy0-ap0]`) or `file:` (openwrt.py);
  scope `this_ap`;
- `iw`: `command:` (default `[iw, event, -t]`) or `file:` (nl80211.py); scope `this_ap`.

`scope` says whether a source carries only this AP's lines (`this_ap`) or several APs'
(`shared`); see attribution.py for what it decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge_agent.ap_sources.association import Observation, Parsed
from edge_agent.ap_sources.attribution import Scope
from edge_agent.ap_sources.hostapd import parse_hostapd
from edge_agent.ap_sources.line_counts import LineCounts
from edge_agent.ap_sources.nl80211 import parse_iw_event
from edge_agent.ap_sources.openwrt import parse_ubus
from edge_agent.ap_sources.radius import RadiusDetailParser
from edge_agent.ap_sources.readers import (
    CommandOutput,
    FollowedFile,
    HostapdControl,
    LineReader,
    SyslogListener,
)
from edge_agent.ap_sources.vendor_syslog import parse_vendor_syslog
from edge_agent.runtime.config import AgentConfigError, under

SourceType = Literal["hostapd", "radius", "syslog", "ubus", "iw"]
_INPUTS: dict[str, tuple[str, ...]] = {
    "hostapd": ("ctrl", "file", "listen"),
    "radius": ("file",),
    "syslog": ("file", "listen"),
    "ubus": ("command", "file"),
    "iw": ("command", "file"),
}
_DEFAULT_COMMAND = {"iw": ["iw", "event", "-t"]}


class ApSourceConfig(BaseModel):
    """One entry of `sources:`: what to read, and whether only this AP writes there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: SourceType
    ctrl: Path | None = Field(default=None, description="hostapd's control socket of one radio")
    file: Path | None = Field(default=None, description="a file followed like `tail -F`")
    listen: str | None = Field(default=None, description="host:port for syslog over UDP")
    command: list[str] | None = Field(default=None, description="a command whose output to read")
    from_start: bool = False
    scope: Scope | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"listen {value!r} must be host:port, e.g. 127.0.0.1:5514")
        return value

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not value or not all(value)):
            raise ValueError("command must name a program and its arguments, e.g. [iw, event]")
        return value

    @model_validator(mode="after")
    def _one_input(self) -> ApSourceConfig:
        allowed = _INPUTS[self.type]
        given = [name for name in ("ctrl", "file", "listen", "command") if getattr(self, name)]
        stray = [name for name in given if name not in allowed]
        if stray:
            raise ValueError(
                f"a {self.type} source reads {' or '.join(allowed)}, not {', '.join(stray)}"
            )
        if len(given) > 1 or (not given and self.type not in _DEFAULT_COMMAND):
            raise ValueError(f"a {self.type} source needs exactly one of {', '.join(allowed)}")
        return self

    def effective_scope(self) -> Scope:
        """The scope given, or the default of this type and input."""
        if self.scope is not None:
            return self.scope
        if self.type in ("radius", "syslog") or self.listen is not None:
            return "shared"
        return "this_ap"

    def under(self, folder: Path) -> ApSourceConfig:
        """This source with relative file paths taken from `folder` (the config file's)."""
        update: dict[str, Any] = {}
        for name in ("ctrl", "file"):
            path = getattr(self, name)
            if path is not None:
                update[name] = under(folder, path)
        return self.model_copy(update=update)

    def describe(self) -> str:
        """Where the source reads, in words (the `source` label on /metrics)."""
        if self.ctrl is not None:
            return f"{self.type} {self.ctrl}"
        if self.file is not None:
            return f"{self.type} {self.file}"
        if self.listen is not None:
            return f"{self.type} udp {self.listen}"
        return f"{self.type} {' '.join(self.command or _DEFAULT_COMMAND[self.type])}"


class ObservationSource:
    """One configured reader with the parser its lines need, and its counts."""

    def __init__(
        self, config: ApSourceConfig, reader: LineReader, *, monotonic: Callable[[], float]
    ) -> None:
        self.config = config
        self.reader = reader
        self.scope = config.effective_scope()
        self.counts = LineCounts(config.describe(), monotonic=monotonic)
        self._parse = _parser(config)
        # A control socket is one radio's: its events are that interface's (`ctrl/wlan0`).
        self._radio = config.ctrl.name if config.ctrl is not None else None

    def read(self) -> list[Observation]:
        """Whatever the new lines report, counting every line by what it came to."""
        out: list[Observation] = []
        for line in self.reader.poll():
            parsed = self._parse(line)
            self.counts.line(line, parsed)
            for observation in parsed or ():
                if self._radio is not None and observation.interface is None:
                    observation = replace(observation, interface=self._radio)
                out.append(observation)
        return out

    def close(self) -> None:
        self.reader.close()


def _parser(config: ApSourceConfig) -> Callable[[str], Parsed]:
    if config.type == "radius":
        return RadiusDetailParser().feed
    if config.type == "hostapd":
        # Syslog over UDP carries a header: the vendor parser reads hostapd's lines after it.
        return parse_vendor_syslog if config.listen is not None else parse_hostapd
    if config.type == "ubus":
        return parse_ubus
    if config.type == "iw":
        return parse_iw_event
    return parse_vendor_syslog


def open_reader(config: ApSourceConfig) -> LineReader:
    """The reader of one source; a UDP port is bound now, so a clash fails at start."""
    if config.ctrl is not None:
        return HostapdControl(config.ctrl)
    if config.file is not None:
        return FollowedFile(config.file, from_start=config.from_start)
    if config.listen is not None:
        host, _, port = config.listen.rpartition(":")
        try:
            return SyslogListener(host.strip("[]"), int(port))
        except OSError as exc:
            raise AgentConfigError(
                f"sources: cannot listen for syslog on {config.listen}: {exc.strerror}"
            ) from None
    return CommandOutput(config.command or _DEFAULT_COMMAND[config.type])
