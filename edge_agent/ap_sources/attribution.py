"""Whose station an observation is: this agent's AP, another AP, or nobody can tell.

An observation names its AP as far as its line does (association.py). The agent's config says
how its AP is named: `bssids` (radio or AP addresses), `ap_names` (names at a controller, or the
AP's syslog host name) and `interfaces` (radio interfaces). In that order of weight:

- a line naming an address or an AP name (or, with `ap_names` listed, a syslog host) is this
  AP's when one of them is this AP's, and another AP's when none is;
- with `interfaces` listed, a line naming another interface is not this AP's (a radio the agent
  is not meant to count);
- a line naming nothing of its AP is this AP's only from a source that carries nothing else
  (`scope: this_ap`: hostapd's control socket, an action script, `ubus` and `iw event` on the
  AP, the AP's own log file); from a shared file or port it is unattributed, never this AP's.
  An interface alone does not make a shared line this AP's: every AP has a `wlan0`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from edge_agent.ap_sources.association import Observation

Attribution = Literal["this_ap", "other_ap", "unattributed"]
Scope = Literal["this_ap", "shared"]


@dataclass(frozen=True, slots=True)
class ApIdentity:
    """How this agent's AP is named in the lines it reads."""

    bssids: frozenset[str] = frozenset()
    ap_names: frozenset[str] = frozenset()
    interfaces: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        bssids: Iterable[str] = (),
        ap_names: Iterable[str] = (),
        interfaces: Iterable[str] = (),
    ) -> ApIdentity:
        # AP names are compared without case: controllers and syslog hosts vary it.
        return cls(
            frozenset(bssids),
            frozenset(n.casefold() for n in ap_names),
            frozenset(interfaces),
        )

    def attribute(self, observation: Observation, scope: Scope) -> Attribution:
        """Whose the observation is (see the module docstring)."""
        checks = []
        if observation.bssid is not None:
            checks.append(observation.bssid in self.bssids)
        if observation.ap_name is not None:
            checks.append(observation.ap_name.casefold() in self.ap_names)
        if observation.host is not None and self.ap_names:
            checks.append(observation.host.casefold() in self.ap_names)
        if checks and not any(checks):
            return "other_ap"
        interface = observation.interface
        if interface is not None and self.interfaces and interface not in self.interfaces:
            return "other_ap"
        if any(checks) or scope == "this_ap":
            return "this_ap"
        return "unattributed"
