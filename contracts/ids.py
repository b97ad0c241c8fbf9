"""Identifiers shared by devices, desks, rooms and sites."""

import re

from contracts.errors import ContractError

# Valid as ESPHome host names, Home Assistant ids and DNS-SD labels alike.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$"
MAX_ID_LENGTH = 24
_ID_RE = re.compile(ID_PATTERN)


def is_valid_id(value: str) -> bool:
    """True when `value` is a lowercase `[a-z0-9-]` id of at most 24 characters."""
    return bool(_ID_RE.match(value))


def validate_id(value: str, what: str = "id") -> str:
    """Return `value` unchanged, or raise ContractError saying what a valid id looks like."""
    if not is_valid_id(value):
        raise ContractError(
            f"{what} {value!r} is not a valid id: use 1-{MAX_ID_LENGTH} characters of a-z, 0-9 "
            "and '-', not starting or ending with '-'"
        )
    return value
