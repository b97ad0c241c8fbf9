"""`freeseat site check` takes every prefix and object id ESPHome takes, and says why it refuses."""

import pytest

from firmware_config.esphome_topics import object_id
from firmware_config.loader import SiteError, parse_site
from tests.site_files import SMALL_SITE

DEVICES = "devices:\n"


def with_node(prefix: str, object_ids: str = "{presence: desk-3}", extra: str = "") -> str:
    head, _, _ = SMALL_SITE.partition(DEVICES)
    node = (
        f"  - id: esp-1\n    kind: desk\n    sensor: mmwave\n"
        f"    esphome: {{prefix: {prefix}, binary_sensors: {object_ids}}}\n"
    )
    return (
        head
        + DEVICES
        + "  - {id: gw-1, kind: desk, sensor: mmwave, desks: [desk-1, desk-2]}\n"
        + node
        + extra
    )


@pytest.mark.parametrize(
    "prefix",
    [
        "office/3f/desk-b012",  # levels
        "freeseat/esp/desk-b013",  # under freeseat/, outside its contract
        "'/leading/slash'",
        "'trailing/'",
        "'3F east wing'",  # spaces
        "'三階/机'",  # UTF-8
        "'" + "x" * 64 + "'",  # ESPHome's TOPIC_PREFIX_MAX_LEN
    ],
)
def test_prefixes_esphome_accepts_are_accepted(prefix: str) -> None:
    site = parse_site(with_node(prefix), "site.yaml")
    assert site.devices[1].esphome is not None


@pytest.mark.parametrize(
    ("prefix", "why"),
    [
        ("'" + "x" * 65 + "'", "at most 64 characters"),
        ("'office/+/x'", "refuses '+'"),
        ("'office/#'", "refuses '#'"),
        ("'$SYS/esp'", "brokers reserve topics beginning with '$'"),
        ("freeseat/v1/testhall", "freeseat/v1/ holds the freeseat wire contract's topics"),
        ("freeseat/ha", "Home Assistant bridge"),
        ("homeassistant/esp", "Home Assistant discovery"),
        ("''", "without a topic_prefix"),
    ],
)
def test_prefixes_that_cannot_work_are_refused_with_the_reason(prefix: str, why: str) -> None:
    with pytest.raises(SiteError) as raised:
        parse_site(with_node(prefix), "site.yaml")
    assert "devices[1].esphome.prefix" in str(raised.value)
    assert why in str(raised.value)


def test_nested_prefixes_and_a_zigbee2mqtt_base_topic_overlap() -> None:
    second = (
        "  - id: esp-2\n    kind: desk\n    sensor: pir\n"
        "    esphome: {prefix: office/3f/esp-2, binary_sensors: {presence: desk-1}}\n"
    )
    text = with_node("office/3f", extra=second).replace(
        "desks: [desk-1, desk-2]", "desks: [desk-2]"
    )
    with pytest.raises(SiteError, match="topic prefix 'office/3f/esp-2' overlaps device 'esp-1'"):
        parse_site(text, "site.yaml")
    zigbee = (
        "  - id: z-1\n    kind: desk\n    sensor: pir\n"
        "    zigbee2mqtt: {friendly_name: desk one, desk: desk-1}\n"
    )
    text = with_node("zigbee2mqtt/esp", extra=zigbee).replace(
        "desks: [desk-1, desk-2]", "desks: [desk-2]"
    )
    with pytest.raises(SiteError, match="overlaps Zigbee2MQTT base topic 'zigbee2mqtt'"):
        parse_site(text, "site.yaml")


def test_object_ids_are_esphome_s_and_a_name_gets_its_object_id_as_the_hint() -> None:
    site = parse_site(with_node("esp-1", "{desk-3-presence: desk-3}"), "site.yaml")
    assert site.devices[1].esphome is not None
    assert list(site.devices[1].esphome.binary_sensors) == ["desk-3-presence"]
    with pytest.raises(SiteError) as raised:
        parse_site(with_node("esp-1", "{'Desk 3 Presence': desk-3}"), "site.yaml")
    assert "ESPHome turns the name 'Desk 3 Presence' into 'desk_3_presence'" in str(raised.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # core/helpers.h: to_snake_case_char then to_sanitized_char, byte by byte.
        ("Desk 1 Presence", "desk_1_presence"),
        ("LD2410 Still-Energy", "ld2410_still-energy"),
        ("Büro", "b__ro"),  # 'ü' is two UTF-8 bytes, each one '_'
        ("a.b/c", "a_b_c"),
        ("x" * 200, "x" * 127),  # OBJECT_ID_MAX_LEN 128, with its terminating NUL
    ],
)
def test_object_id_is_derived_as_esphome_derives_it(name: str, expected: str) -> None:
    assert object_id(name) == expected
