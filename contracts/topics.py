"""Topic grammar: `freeseat/v1/{site}/{kind}/{device_id}/{channel}`."""

from dataclasses import dataclass
from enum import StrEnum

from contracts.errors import ContractError
from contracts.ids import validate_id

ROOT = "freeseat"
VERSION = "v1"


class Kind(StrEnum):
    """What sort of device publishes under a topic."""

    DESK = "desk"
    AP = "ap"
    ROOM = "room"


class Channel(StrEnum):
    """What a topic carries; QoS and retain follow from it."""

    EVENT = "event"  # QoS 1, not retained: facts, each applied once
    STATE = "state"  # retained heartbeat with message expiry
    STATUS = "status"  # retained online/offline, also the LWT
    CMD = "cmd"  # server -> device

    @property
    def retained(self) -> bool:
        return self in (Channel.STATE, Channel.STATUS)


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed publish topic."""

    site: str
    kind: Kind
    device: str
    channel: Channel

    def __str__(self) -> str:
        return f"{ROOT}/{VERSION}/{self.site}/{self.kind.value}/{self.device}/{self.channel.value}"


def build_topic(site: str, kind: Kind | str, device: str, channel: Channel | str) -> str:
    """Build a publish topic; every part is validated, so no wildcard can slip in."""
    return str(_make(site, kind, device, channel))


def parse_topic(topic: str) -> Topic:
    """Parse a publish topic or raise ContractError naming the part that is wrong."""
    try:
        return _parse(topic)
    except ContractError as exc:
        raise ContractError(str(exc), "topic") from None


def _parse(topic: str) -> Topic:
    if "+" in topic or "#" in topic:
        raise ContractError(f"topic {topic!r} contains a wildcard; publish topics must not")
    parts = topic.split("/")
    if len(parts) != 6:
        raise ContractError(
            f"topic {topic!r} has {len(parts)} levels; expected "
            f"{ROOT}/{VERSION}/<site>/<kind>/<device>/<channel>"
        )
    root, version, site, kind, device, channel = parts
    if root != ROOT:
        raise ContractError(f"topic {topic!r} does not start with {ROOT!r}")
    if version != VERSION:
        raise ContractError(
            f"topic {topic!r} has version {version!r}; this server speaks {VERSION}"
        )
    return _make(site, kind, device, channel)


def subscription(
    site: str | None = None, kind: Kind | None = None, channel: Channel | None = None
) -> str:
    """A subscription filter; the parts left out become single-level wildcards."""
    return "/".join(
        [
            ROOT,
            VERSION,
            validate_id(site, "site") if site else "+",
            kind.value if kind else "+",
            "+",
            channel.value if channel else "+",
        ]
    )


def _make(site: str, kind: Kind | str, device: str, channel: Channel | str) -> Topic:
    try:
        kind_ = Kind(kind)
    except ValueError:
        raise ContractError(
            f"kind {kind!r} is not one of {', '.join(k.value for k in Kind)}"
        ) from None
    try:
        channel_ = Channel(channel)
    except ValueError:
        raise ContractError(
            f"channel {channel!r} is not one of {', '.join(c.value for c in Channel)}"
        ) from None
    return Topic(validate_id(site, "site"), kind_, validate_id(device, "device"), channel_)
