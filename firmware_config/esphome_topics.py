"""ESPHome's topic rules, as ESPHome 2026.6 applies them, and where freeseat draws its lines.

ESPHome (components/mqtt/__init__.py, config_validation.py `publish_topic`) accepts any
`topic_prefix` of 1-64 characters without `+`, `#` or NUL, and publishes every entity under
`<prefix>/<component>/<object_id>/state`, its birth and will on `<prefix>/status` and its log on
`<prefix>/debug`. An entity's object id is its name byte by byte: `A-Z` lowered, a space made `_`,
every byte other than `a-z 0-9 - _` made `_` (core/helpers.h `to_snake_case_char` and
`to_sanitized_char`, core/entity_base.cpp), at most 127 bytes (OBJECT_ID_MAX_LEN 128).
"""

from __future__ import annotations

import re

PREFIX_MAX_LEN = 64
OBJECT_ID_MAX_LEN = 127
OBJECT_ID_PATTERN = rf"^[a-z0-9_-]{{1,{OBJECT_ID_MAX_LEN}}}$"
# Topics freeseat itself owns, or that the broker reserves: a node publishing there would be
# read as something it is not (the wire contract, the Home Assistant bridge) or not at all.
RESERVED_PREFIXES = {
    "freeseat/v1": "the freeseat wire contract's topics",
    "freeseat/ha": "the topics freeseat's Home Assistant bridge publishes",
    "homeassistant": "Home Assistant discovery, which freeseat's bridge publishes",
}


def object_id(name: str) -> str:
    """The object id ESPHome derives from an entity name: `Desk 1 Presence` -> `desk_1_presence`."""
    out = []
    for byte in name.encode("utf-8")[:OBJECT_ID_MAX_LEN]:
        char = chr(byte)
        if char == " ":
            out.append("_")
        elif "A" <= char <= "Z":
            out.append(char.lower())
        elif char.isascii() and (char.isalnum() or char in "-_"):
            out.append(char)
        else:
            out.append("_")
    return "".join(out)


def prefix_problem(prefix: str) -> str | None:
    """Why a node's `topic_prefix` cannot be used, or None when it can."""
    if not prefix:
        return "ESPHome publishes no state topics without a topic_prefix; give the node one"
    if len(prefix) > PREFIX_MAX_LEN:
        return f"ESPHome allows at most {PREFIX_MAX_LEN} characters in a topic_prefix"
    bad = next((c for c in ("+", "#", "\x00") if c in prefix), None)
    if bad is not None:
        return f"ESPHome refuses {bad!r} in a topic_prefix (MQTT wildcards and NUL)"
    if prefix.startswith("$"):
        return (
            "brokers reserve topics beginning with '$' ($SYS); the node's messages would not "
            "reach freeseat"
        )
    for reserved, what in RESERVED_PREFIXES.items():
        if prefix == reserved or prefix.startswith(reserved + "/"):
            return f"{reserved}/ holds {what}; choose another prefix"
    return None


def object_id_problem(value: str) -> str | None:
    """Why `value` is not an object id ESPHome can produce, or None when it is one."""
    if re.match(OBJECT_ID_PATTERN, value):
        return None
    derived = object_id(value)
    hint = f"; ESPHome turns the name {value!r} into {derived!r}" if derived else ""
    return (
        f"expected the entity's object id: 1-{OBJECT_ID_MAX_LEN} characters a-z, 0-9, '_' "
        f"and '-'{hint}"
    )


def overlap(first: str, second: str) -> bool:
    """True when one topic prefix equals the other or lies under it, level by level."""
    return first == second or first.startswith(second + "/") or second.startswith(first + "/")
