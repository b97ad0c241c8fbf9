"""The `source` settings of an agent config, and opening the sources they describe.

A source is given per desk (`desks[i].source`) or once for the agent (top-level `source`, the
default for desks without their own); `simulated` stays the default. Hardware sources serve
exactly one desk each.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from edge_agent.gpio import Bias, GpioSysfsSource, open_gpio_line
from edge_agent.ld2410 import Ld2410Source, PresenceRule
from edge_agent.sensors import CompositeSource, PresenceSource, SimulatedSource

SOURCE_TYPES = ("simulated", "gpio", "ld2410")
DEFAULT_FAULT_AFTER_S = 600.0  # the site's default mmWave TTL
# Tags pydantic puts into an error's location for the union below; the loader drops them so
# errors name the YAML path (desks.0.source.line, not desks.0.source.gpio.line).
SOURCE_TAGS = frozenset({"name", *SOURCE_TYPES})


class _SourceModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimulatedSourceConfig(_SourceModel):
    """Desks that follow a simulated working day (seeded by the agent's `seed`)."""

    type: Literal["simulated"] = "simulated"


class GpioSourceConfig(_SourceModel):
    """A PIR or pressure mat on a GPIO input; `sensor` on the desk says which."""

    type: Literal["gpio"]
    chip: Path = Field(default=Path("/dev/gpiochip0"), description="GPIO character device")
    line: Annotated[int, Field(ge=0, le=65535)] = Field(
        description="offset on the chip (cdev) or global GPIO number (sysfs)"
    )
    active_low: bool = False
    bias: Bias = "as-is"
    debounce_ms: Annotated[float, Field(ge=0, le=1000)] = 0
    interface: Literal["cdev", "sysfs"] = "cdev"
    sysfs_root: Path = Path("/sys/class/gpio")

    @model_validator(mode="after")
    def _sysfs_cannot_configure(self) -> GpioSourceConfig:
        if self.interface == "sysfs" and (self.bias != "as-is" or self.debounce_ms):
            raise ValueError("bias and debounce_ms need interface: cdev (sysfs cannot set them)")
        return self

    def device(self) -> str:
        """The hardware this source claims, in words."""
        if self.interface == "sysfs":
            return f"GPIO {self.line} under {self.sysfs_root}"
        return f"line {self.line} of {self.chip}"


class Ld2410SourceConfig(_SourceModel):
    """An HLK-LD2410 mmWave module on a serial port."""

    type: Literal["ld2410"]
    port: Path
    baud: Literal[9600, 19200, 38400, 57600, 115200, 230400, 256000, 460800] = 256000
    max_distance_cm: Annotated[int, Field(ge=0, le=1000)] | None = None
    min_energy: Annotated[int, Field(ge=0, le=100)] = 0
    stale_after_s: Annotated[float, Field(gt=0, le=3600)] = 10.0

    def device(self) -> str:
        """The hardware this source claims, in words."""
        return f"serial port {self.port}"


SourceModel = SimulatedSourceConfig | GpioSourceConfig | Ld2410SourceConfig


def _source_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "name" if value == "simulated" else None
    if isinstance(value, dict):
        tag = value.get("type")
        return tag if tag in SOURCE_TYPES else None
    tag = getattr(value, "type", None)
    return tag if isinstance(tag, str) else None


SourceSpec = Annotated[
    Annotated[Literal["simulated"], Tag("name")]
    | Annotated[SimulatedSourceConfig, Tag("simulated")]
    | Annotated[GpioSourceConfig, Tag("gpio")]
    | Annotated[Ld2410SourceConfig, Tag("ld2410")],
    Discriminator(
        _source_tag,
        custom_error_type="source_type",
        custom_error_message=(
            "expected simulated, or a mapping whose type is simulated, gpio or ld2410"
        ),
    ),
]


def as_model(spec: str | SourceModel) -> SourceModel:
    """The model for a source setting (the bare word `simulated` included)."""
    return SimulatedSourceConfig() if isinstance(spec, str) else spec


def open_presence_source(
    desks: Sequence[tuple[str, SourceModel]],
    *,
    seed: int,
    timezone: str,
    ttl_s: Mapping[str, float] | None = None,
) -> PresenceSource:
    """Open every desk's source; simulated desks share one simulation, hardware desks get their
    own driver, and several sources are read together. A sensor that sends only garbage for its
    desk's `ttl_s` is a fault. SourceOpenError names a device that cannot be opened (the ones
    already opened are closed again)."""
    opened: list[PresenceSource] = []
    try:
        simulated = [desk for desk, spec in desks if isinstance(spec, SimulatedSourceConfig)]
        if simulated:
            opened.append(SimulatedSource(simulated, seed=seed, tz=timezone))
        for desk, spec in desks:
            if isinstance(spec, GpioSourceConfig):
                opened.append(_open_gpio(desk, spec))
            elif isinstance(spec, Ld2410SourceConfig):
                opened.append(
                    Ld2410Source(
                        desk,
                        spec.port,
                        baud=spec.baud,
                        rule=PresenceRule(spec.min_energy, spec.max_distance_cm),
                        stale_after_s=spec.stale_after_s,
                        fault_after_s=(ttl_s or {}).get(desk, DEFAULT_FAULT_AFTER_S),
                    )
                )
    except BaseException:
        for source in opened:
            with contextlib.suppress(Exception):
                source.close()
        raise
    return opened[0] if len(opened) == 1 else CompositeSource(opened)


def _open_gpio(desk: str, spec: GpioSourceConfig) -> PresenceSource:
    if spec.interface == "sysfs":
        return GpioSysfsSource(desk, spec.line, root=spec.sysfs_root, active_low=spec.active_low)
    return open_gpio_line(
        desk,
        spec.chip,
        spec.line,
        active_low=spec.active_low,
        bias=spec.bias,
        debounce_ms=spec.debounce_ms,
        consumer=f"freeseat:{desk}",
    )
