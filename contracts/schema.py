"""JSON Schema export of the wire contract, so device firmware can validate against it."""

import json
from importlib import resources
from typing import Any

from pydantic import TypeAdapter

from contracts.events import DeviceCommandMessage, DeviceEvent, DeviceState, DeviceStatus
from contracts.topics import ROOT, VERSION

SCHEMA_FILE = "freeseat-v1.schema.json"


def contract_schema() -> dict[str, Any]:
    """One JSON Schema document with a definition per channel."""
    channels: dict[str, Any] = {
        "event": TypeAdapter(DeviceEvent).json_schema(),
        "state": TypeAdapter(DeviceState).json_schema(),
        "status": TypeAdapter(DeviceStatus).json_schema(),
        "cmd": TypeAdapter(DeviceCommandMessage).json_schema(),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "freeseat wire contract v1",
        "description": f"Payloads of topics {ROOT}/{VERSION}/<site>/<kind>/<device>/<channel>",
        "channels": channels,
    }


def render_schema() -> str:
    """The schema as the exact text kept in the repository."""
    return json.dumps(contract_schema(), indent=2, sort_keys=True) + "\n"


def shipped_schema() -> str:
    """The schema file shipped in the package."""
    return resources.files("contracts").joinpath(SCHEMA_FILE).read_text()
