"""Agent config files: the settings every agent shares and the one loader that reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from contracts import ID_PATTERN, BrokerAddress
from edge_agent.runtime.outbox import DEFAULT_MAX_ROWS
from edge_agent.station_hash import redact

DeviceId = Annotated[str, Field(pattern=ID_PATTERN)]


class AgentConfigError(ValueError):
    """An agent config file is unusable; the message names the file, the field and the fix."""


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Tokyo or UTC") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class AgentConfig(BaseModel):
    """What every agent's YAML file says: the device, its broker (or none: zeroconf finds it),
    its outbox and its heartbeat. Each agent's config extends it; `load` reads any of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Tags pydantic puts into an error's location after a `source` key (a tagged union); users
    # never wrote them, so errors leave them out and name the YAML path.
    source_tags: ClassVar[frozenset[str]] = frozenset()

    device: DeviceId
    site: DeviceId
    broker: str | None = Field(
        default=None,
        description="mqtt://host:port or mqtts://host:port; left out, the agent finds the "
        "server's broker by zeroconf (_freeseat._tcp)",
    )
    discovery_interfaces: list[str] | None = Field(
        default=None, description="addresses to browse zeroconf on (default: all interfaces)"
    )
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    outbox: Path = Field(description="SQLite outbox file; relative paths are from the config file")
    max_outbox_rows: Annotated[int, Field(ge=1, le=10_000_000)] = DEFAULT_MAX_ROWS
    heartbeat_s: Annotated[float, Field(gt=0, le=86_400)] = 30.0
    resend_after_s: Annotated[float, Field(ge=1, le=86_400)] = Field(
        default=30.0,
        description="send outbox rows again when the server has not recorded the oldest this "
        "long (docs/delivery.md)",
    )

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value is not None:
            BrokerAddress.parse(value)
        return value

    @classmethod
    def load(cls, path: Path | str) -> Self:
        """Read and validate a YAML file; raises AgentConfigError naming the file and field."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise AgentConfigError(
                f"{path}: cannot read the agent config: {exc.strerror}"
            ) from None
        except yaml.YAMLError as exc:
            raise AgentConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise AgentConfigError(f"{path}: expected a mapping of settings at the top level")
        try:
            config = cls.model_validate(data)
        except ValidationError as exc:
            # Config values may be MACs (an AP's bssids): keep them out of the message.
            problems = (redact(describe_problem(e, cls.source_tags)) for e in exc.errors())
            raise AgentConfigError(f"{path}: " + "; ".join(problems)) from None
        return config.model_copy(update=config.paths_under(path.parent))

    def paths_under(self, folder: Path) -> dict[str, Any]:
        """The file settings written relative to the config file, made absolute from `folder`."""
        return {"outbox": under(folder, self.outbox)}


def under(folder: Path, path: Path) -> Path:
    """`path` taken from `folder` unless it is absolute already."""
    return path if path.is_absolute() else (folder / path).resolve()


def describe_problem(error: Any, source_tags: frozenset[str] = frozenset()) -> str:
    """One validation error as `field.path: what is wrong`, without the `source_tags`."""
    loc = [str(part) for part in error["loc"]]
    loc = [p for i, p in enumerate(loc) if not (i and loc[i - 1] == "source" and p in source_tags)]
    message = str(error["msg"])
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        message = str(error["ctx"]["error"])
        if not loc:
            return message  # model-level checks name their own field path
    return f"{'.'.join(loc) or '(top level)'}: {message}"
