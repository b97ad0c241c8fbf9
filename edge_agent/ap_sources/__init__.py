"""Where an AP agent learns of associations: hostapd, RADIUS accounting, vendor syslog."""

from edge_agent.ap_sources.association import Association, Reset

__all__ = ["Association", "Reset"]
