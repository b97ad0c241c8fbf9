"""The freeseat wire contract: topics, payloads and their codec, shared by agents and server."""

from contracts.broker import BrokerAddress
from contracts.codec import MAX_PAYLOAD_BYTES, Decoded, decode, encode
from contracts.errors import ContractError
from contracts.events import (
    SCHEMA_VERSION,
    ApEvent,
    AppliedRange,
    ApStationsCounted,
    DeskPresenceChanged,
    DeviceApplied,
    DeviceBooted,
    DeviceCommand,
    DeviceCommandMessage,
    DeviceEvent,
    DeviceState,
    DeviceStatus,
    RoomCastChanged,
    RoomDisplayChanged,
    RoomEvent,
    RoomOccupancyChanged,
    SensorClass,
    event_id,
)
from contracts.ids import ID_PATTERN, is_valid_id, validate_id
from contracts.topics import Channel, Kind, Topic, build_topic, parse_topic, subscription

__all__ = [
    "ID_PATTERN",
    "MAX_PAYLOAD_BYTES",
    "SCHEMA_VERSION",
    "ApEvent",
    "ApStationsCounted",
    "AppliedRange",
    "BrokerAddress",
    "Channel",
    "ContractError",
    "Decoded",
    "DeskPresenceChanged",
    "DeviceApplied",
    "DeviceBooted",
    "DeviceCommand",
    "DeviceCommandMessage",
    "DeviceEvent",
    "DeviceState",
    "DeviceStatus",
    "Kind",
    "RoomCastChanged",
    "RoomDisplayChanged",
    "RoomEvent",
    "RoomOccupancyChanged",
    "SensorClass",
    "Topic",
    "build_topic",
    "decode",
    "encode",
    "event_id",
    "is_valid_id",
    "parse_topic",
    "subscription",
    "validate_id",
]
