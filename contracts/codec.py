"""Encode payloads for a topic, and decode what arrives; decoding raises only ContractError."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts.errors import ContractError
from contracts.events import DeviceCommandMessage, DeviceEvent, DeviceState, DeviceStatus
from contracts.strict_json import load_json
from contracts.topics import Channel, Topic, parse_topic

# Far above any legitimate message; a bound keeps a hostile device from costing memory.
MAX_PAYLOAD_BYTES = 16 * 1024

Message = Any  # one of DeviceEvent | DeviceState | DeviceStatus | DeviceCommandMessage

_EVENT: TypeAdapter[Any] = TypeAdapter(DeviceEvent)
_BY_CHANNEL: dict[Channel, TypeAdapter[Any]] = {
    Channel.EVENT: _EVENT,
    Channel.STATE: TypeAdapter(DeviceState),
    Channel.STATUS: TypeAdapter(DeviceStatus),
    Channel.CMD: TypeAdapter(DeviceCommandMessage),
}


@dataclass(frozen=True, slots=True)
class Decoded:
    """A message that follows the contract, with the topic it came on."""

    topic: Topic
    message: Any


def encode(message: BaseModel) -> bytes:
    """Compact JSON bytes for a contract model."""
    return message.model_dump_json(exclude_none=True).encode()


def decode(topic: str, payload: bytes | bytearray | str) -> Decoded:
    """Parse and validate one MQTT message; any flaw raises ContractError with the reason."""
    parsed = parse_topic(topic)
    if isinstance(payload, str):
        try:
            payload = payload.encode()
        except UnicodeEncodeError:
            raise ContractError("payload is not UTF-8 text", "malformed") from None
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError(
            f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}", "oversized"
        )
    data = load_json(payload)
    if not isinstance(data, dict):
        raise ContractError(
            f"payload must be a JSON object, got {type(data).__name__}", "malformed"
        )
    if data.get("v") != 1 and "v" in data:
        raise ContractError(f"schema version {data.get('v')!r} is not supported (expected 1)")
    try:
        message = _BY_CHANNEL[parsed.channel].validate_python(data)
    except ValidationError as exc:
        raise ContractError(_describe(exc, parsed.channel)) from None
    except RecursionError:
        raise ContractError("payload is nested too deeply", "malformed") from None
    if message.device != parsed.device:
        raise ContractError(
            f"payload device {message.device!r} does not match topic device {parsed.device!r}",
            "mismatch",
        )
    return Decoded(parsed, message)


def _describe(exc: ValidationError, channel: Channel) -> str:
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        problems.append(f"{where}: {err['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return f"invalid {channel.value} payload: " + "; ".join(problems) + more
