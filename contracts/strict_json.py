"""JSON as devices may send it, read strictly: every flaw is a ContractError with the reason.

The standard library accepts what the JSON RFC leaves open or forbids (NaN and Infinity,
duplicate keys, the last of which wins) and raises other exceptions for some inputs (a number of
more than 4,300 digits is a ValueError, deep nesting a RecursionError). A message from the
network must never raise anything the pump would take for a failure of ours.
"""

import json
import math
from typing import Any

from contracts.errors import ContractError

# Far above any value of the contract (epochs and sequence numbers are 64-bit): a longer number
# is refused before Python turns it into an integer, which costs time quadratic in its digits.
MAX_NUMBER_CHARS = 40


def _refuse_constant(name: str) -> Any:
    raise ContractError(f"{name} is not a JSON number", "malformed")


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ContractError(f"a number of {len(text)} digits is too long", "malformed")
    return int(text)


def _finite_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ContractError(f"a number of {len(text)} characters is too long", "malformed")
    value = float(text)
    if not math.isfinite(value):
        raise ContractError(f"{text} is out of range for a number", "malformed")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body = dict(pairs)
    if len(body) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ContractError(f"key {key!r} appears more than once", "malformed")
            seen.add(key)
    return body


# Built once: json.loads with hooks builds a decoder per call, which doubled the parse time.
_DECODER = json.JSONDecoder(
    parse_int=_bounded_int,
    parse_float=_finite_float,
    parse_constant=_refuse_constant,
    object_pairs_hook=_unique_keys,
)


def load_json(payload: bytes | bytearray | str) -> Any:
    """The JSON value of `payload`; ContractError (kind "malformed") for anything else."""
    try:
        if not isinstance(payload, str):
            # As json.loads reads bytes: UTF-8, or UTF-16/32 when the first bytes say so.
            payload = payload.decode(json.detect_encoding(payload), "surrogatepass")
        return _DECODER.decode(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError(f"payload is not JSON: {exc}", "malformed") from None
    except RecursionError:
        raise ContractError("payload is nested too deeply", "malformed") from None
