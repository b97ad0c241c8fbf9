"""Programs beside the sensors: desk gateways and the site simulator, speaking `contracts`."""

from importlib import metadata


def agent_version() -> str:
    """The version agents report in `device.booted` and heartbeats."""
    try:
        return f"freeseat-agent/{metadata.version('freeseat')}"
    except metadata.PackageNotFoundError:
        # Running from a source checkout that was never installed.
        return "freeseat-agent/dev"
