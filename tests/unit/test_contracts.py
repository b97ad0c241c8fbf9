"""The wire contract: topics, payload validation, and the exported schema."""

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import (
    Channel,
    ContractError,
    DeskPresenceChanged,
    DeviceStatus,
    Kind,
    build_topic,
    decode,
    encode,
    event_id,
    parse_topic,
    subscription,
)
from contracts.schema import render_schema, shipped_schema

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TOPIC = "freeseat/v1/cityhall/desk/gw-f3-a/event"


def presence(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "v": 1,
        "type": "desk.presence_changed",
        "device": "gw-f3-a",
        "epoch": 2,
        "seq": 7,
        "at": "2026-11-30T08:00:00+09:00",
        "desk": "desk-f3-a-03-01",
        "present": True,
        "sensor": "mmwave",
    }
    payload.update(overrides)
    return payload


def test_topic_round_trip() -> None:
    topic = build_topic("cityhall", Kind.DESK, "gw-f3-a", Channel.EVENT)
    assert topic == TOPIC
    parsed = parse_topic(topic)
    assert (parsed.site, parsed.kind, parsed.device, parsed.channel) == (
        "cityhall",
        Kind.DESK,
        "gw-f3-a",
        Channel.EVENT,
    )
    assert str(parsed) == topic


@pytest.mark.parametrize(
    ("site", "device", "expected"),
    [
        ("city+hall", "gw", "site 'city+hall' is not a valid id"),
        ("cityhall", "#", "device '#' is not a valid id"),
        ("cityhall", "GW-1", "device 'GW-1' is not a valid id"),
        ("cityhall", "a" * 25, "is not a valid id"),
        ("cityhall", "-gw", "is not a valid id"),
    ],
)
def test_publish_topics_reject_wildcards_and_bad_ids(site: str, device: str, expected: str) -> None:
    with pytest.raises(ContractError, match=expected.replace("+", r"\+")):
        build_topic(site, "desk", device, "event")


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("freeseat/v1/cityhall/desk/+/event", "wildcard"),
        ("freeseat/v1/cityhall/desk/gw/event/extra", "7 levels"),
        ("other/v1/cityhall/desk/gw/event", "does not start with 'freeseat'"),
        ("freeseat/v2/cityhall/desk/gw/event", "version 'v2'"),
        ("freeseat/v1/cityhall/printer/gw/event", "kind 'printer' is not one of desk, ap, room"),
        ("freeseat/v1/cityhall/desk/gw/gossip", "channel 'gossip'"),
    ],
)
def test_parse_topic_names_the_wrong_part(topic: str, expected: str) -> None:
    with pytest.raises(ContractError, match=expected):
        parse_topic(topic)


def test_subscription_filters_use_wildcards_only_where_asked() -> None:
    assert subscription("cityhall", Kind.DESK, Channel.EVENT) == "freeseat/v1/cityhall/desk/+/event"
    assert subscription() == "freeseat/v1/+/+/+/+"


def test_decode_valid_event() -> None:
    decoded = decode(TOPIC, json.dumps(presence()).encode())
    event = decoded.message
    assert isinstance(event, DeskPresenceChanged)
    assert event.present is True
    assert event_id(event) == "gw-f3-a:2:7"
    assert event.at == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


def test_encode_decode_round_trip() -> None:
    status = DeviceStatus(device="gw-f3-a", epoch=3, status="offline", at=AT)
    topic = build_topic("cityhall", "desk", "gw-f3-a", "status")
    assert decode(topic, encode(status)).message == status


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"not json", "payload is not JSON"),
        (b"\xff\xfe", "payload is not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps(presence(v=2)).encode(), "schema version 2 is not supported"),
        (json.dumps(presence(at="2026-11-30T08:00:00")).encode(), "at: .*timezone"),
        (json.dumps(presence(seq=-1)).encode(), "seq: "),
        (json.dumps(presence(colour="red")).encode(), "colour: Extra inputs are not permitted"),
        (
            json.dumps(presence(type="desk.exploded")).encode(),
            "does not match any of the expected tags",
        ),
        (json.dumps(presence(device="gw-f3-b")).encode(), "does not match topic device 'gw-f3-a'"),
        (json.dumps(presence(desk="Desk 1")).encode(), "desk: String should match pattern"),
        (b"{" + b" " * 20000 + b"}", "exceeds"),
    ],
)
def test_decode_rejects_with_a_reason(payload: bytes, expected: str) -> None:
    with pytest.raises(ContractError, match=expected):
        decode(TOPIC, payload)


def test_decode_raises_only_contract_errors_on_any_garbage() -> None:
    samples = [b"", b"null", b"{}", b'{"v":1}', b'{"type":null}', b"\x00" * 10, b'{"v":1,"at":5}']
    for payload in samples:
        with pytest.raises(ContractError):
            decode(TOPIC, payload)
    with pytest.raises(ContractError):
        decode("", b"{}")


def test_exported_schema_file_is_current() -> None:
    assert shipped_schema() == render_schema(), (
        "contracts/freeseat-v1.schema.json is stale: run "
        "`freeseat contracts schema --out contracts/freeseat-v1.schema.json`"
    )


def test_schema_names_every_channel_and_event_type() -> None:
    schema = json.loads(render_schema())
    assert set(schema["channels"]) == {"event", "state", "status", "cmd"}
    assert "desk.presence_changed" in json.dumps(schema["channels"]["event"])


@settings(max_examples=300, deadline=None)
@given(topic=st.text(max_size=80), payload=st.binary(max_size=300))
def test_decode_never_raises_anything_but_contract_error(topic: str, payload: bytes) -> None:
    with contextlib.suppress(ContractError):
        decode(topic, payload)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.dictionaries(
        st.sampled_from(list(presence())),
        st.none() | st.integers() | st.text(max_size=5) | st.booleans(),
    )
)
def test_decode_of_mangled_events_raises_only_contract_error(payload: dict[str, object]) -> None:
    with contextlib.suppress(ContractError):
        decode(TOPIC, json.dumps({**presence(), **payload}).encode())
