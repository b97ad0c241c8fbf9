"""Whatever a device sends, decoding gives a payload or a ContractError with the reason.

Any other exception would reach the ingest pump as a failure of ours: it would be retried and
hold the next messages up (five 4,301-digit numbers held another device's event for 37 s).
"""

import contextlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import ContractError, decode
from server.services.off_the_shelf import read_foreign
from server.services.site_index import ForeignRoute

TOPIC = "freeseat/v1/cityhall/desk/gw-f3-a/event"
PRESENCE = (
    '{"v":1,"type":"desk.presence_changed","device":"gw-f3-a","epoch":2,"seq":SEQ,'
    '"at":"2026-11-30T08:00:00+09:00","desk":"desk-f3-a-03-01","present":true,"sensor":"mmwave"}'
)
ZIGBEE_STATE = ForeignRoute(device="z-f3-a-01", protocol="zigbee2mqtt", role="presence")
ZIGBEE_AVAILABILITY = ForeignRoute(device="z-f3-a-01", protocol="zigbee2mqtt", role="status")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (PRESENCE.replace("SEQ", "1" * 4301), "a number of 4301 digits is too long"),
        (
            PRESENCE.replace("SEQ", "7").replace(
                '"present":true', '"present":true,"present":false'
            ),
            "key 'present' appears more than once",
        ),
        (PRESENCE.replace("SEQ", "NaN"), "NaN is not a JSON number"),
        (PRESENCE.replace("SEQ", "-Infinity"), "-Infinity is not a JSON number"),
        (PRESENCE.replace("SEQ", "1e999"), "1e999 is out of range"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"a":' * 2500 + "1" + "}" * 2500, "nested too deeply"),
    ],
)
def test_hostile_json_is_refused_with_its_reason(payload: str, reason: str) -> None:
    with pytest.raises(ContractError, match=reason) as refused:
        decode(TOPIC, payload.encode())
    assert refused.value.kind == "malformed"


def test_a_well_formed_event_still_decodes() -> None:
    assert decode(TOPIC, PRESENCE.replace("SEQ", "7").encode()).message.seq == 7


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ('{"occupancy":true,"occupancy":false}', "key 'occupancy' appears more than once"),
        ('{"occupancy":true,"battery":' + "9" * 4000 + "}", "too long"),
        ('{"occupancy":true,"battery":NaN}', "NaN is not a JSON number"),
        ("[" * 2000 + "]" * 2000, "nested too deeply"),
    ],
)
def test_zigbee2mqtt_state_refuses_hostile_json_with_its_reason(payload: str, reason: str) -> None:
    with pytest.raises(ContractError, match=reason):
        read_foreign(ZIGBEE_STATE, payload.encode())


def test_zigbee2mqtt_availability_refuses_duplicate_keys() -> None:
    with pytest.raises(ContractError, match="availability must be online/offline"):
        read_foreign(ZIGBEE_AVAILABILITY, b'{"state":"online","state":"offline"}')


# Arbitrary JSON values, including what the standard library writes but JSON forbids (NaN).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["v", "type", "device", "desk.presence_changed", "gw-f3-a"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["v", "type", "device", "epoch", "seq", "at", "desk", "present"])
            | st.text(max_size=4),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values)
def test_any_json_decodes_to_a_payload_or_a_contract_error(value: object) -> None:
    with contextlib.suppress(ContractError):
        decode(TOPIC, json.dumps(value).encode())
    with contextlib.suppress(ContractError):
        read_foreign(ZIGBEE_STATE, json.dumps(value).encode())


@settings(max_examples=400, deadline=None)
@given(
    payload=st.binary(max_size=400)
    | st.text(alphabet='{}[]":,0123456789eE.-+ntrufalsNIiy\\', max_size=200).map(str.encode)
)
def test_any_bytes_decode_to_a_payload_or_a_contract_error(payload: bytes) -> None:
    with contextlib.suppress(ContractError):
        decode(TOPIC, payload)
    for route in (ZIGBEE_STATE, ZIGBEE_AVAILABILITY):
        with contextlib.suppress(ContractError):
            read_foreign(route, payload)


def test_finite_numbers_of_ordinary_length_are_kept() -> None:
    body = read_foreign(ZIGBEE_STATE, b'{"occupancy":true,"battery":87.5}')
    assert body.present is True and math.isclose(float(body.reported["battery"]), 87.5)
