"""The bench report: figures per scenario, the machine and versions, as JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from server.adapters.embedded_broker import find_mosquitto

PACKAGES = ("paho-mqtt", "SQLAlchemy", "uvicorn", "websockets", "fastapi", "pydantic")


@dataclass(frozen=True)
class Bound:
    """A target a figure must meet: `op` against `value`."""

    op: Literal["<=", ">="]
    value: float

    def holds(self, measured: float | None) -> bool:
        if measured is None:
            return False
        return measured <= self.value if self.op == "<=" else measured >= self.value

    def worst(self, values: Sequence[float]) -> float:
        """The run furthest from meeting it."""
        return max(values) if self.op == "<=" else min(values)

    def __str__(self) -> str:
        return f"{'≤' if self.op == '<=' else '≥'} {_number(self.value)}"


@dataclass
class Figure:
    """One measured number, with its target (if any) and whether it met it.

    Over several runs `value` is the median of `runs`; `goal` is judged on the median and
    `floor` (the previous round's target) on the worst run.
    """

    name: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    notes: str = ""
    goal: Bound | None = None
    floor: Bound | None = None
    runs: list[float | None] = field(default_factory=list)
    floor_passed: bool | None = None

    def __post_init__(self) -> None:
        if not self.runs:
            self.runs = [self.value]
        if self.goal is not None:
            self.target = self.target or str(self.goal)
            self.passed = self.goal.holds(self.value) and self.passed is not False
        if self.floor is not None:
            self.floor_passed = self.floor.holds(self.value)

    @property
    def measured(self) -> list[float]:
        return [v for v in self.runs if v is not None]


def merge_figures(runs: Sequence[Figure]) -> Figure:
    """One figure from the same figure of several runs: the median, judged as `Figure` says."""
    first = runs[0]
    values = [f.value for f in runs]
    measured = [v for v in values if v is not None]
    median = statistics.median(measured) if measured else None
    # The notes of the run closest to the median describe the figure shown.
    closest = min(
        (f for f in runs if f.value is not None),
        key=lambda f: abs((f.value or 0) - (median or 0)),
        default=first,
    )
    merged = replace(
        first,
        value=median,
        notes=closest.notes,
        runs=values,
        passed=None if all(f.passed is None for f in runs) else all(f.passed for f in runs),
    )
    if first.goal is not None:
        merged.passed = first.goal.holds(median)
    if first.floor is not None:
        merged.floor_passed = bool(measured) and first.floor.holds(first.floor.worst(measured))
    return merged


def merge_results(runs: Sequence[ScenarioResult]) -> ScenarioResult:
    """A scenario over several runs: each figure merged, every run's details kept."""
    done = [r for r in runs if r.error is None and r.measured]
    if not done:
        return runs[-1]
    names = [f.name for f in done[0].figures]
    figures = [
        merge_figures([f for r in done for f in r.figures if f.name == name]) for name in names
    ]
    failed = [r.error for r in runs if r.error is not None]
    details: dict[str, Any] = {"runs": [r.details for r in runs]}
    if failed:
        details["failed_runs"] = failed
    return ScenarioResult(
        done[0].name,
        done[0].title,
        figures=figures,
        details=details,
        duration_s=round(sum(r.duration_s for r in runs), 1),
    )


@dataclass
class ScenarioResult:
    """What one scenario measured; `figures[0]` is its headline, `details` the raw numbers."""

    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    measured: bool = True
    duration_s: float = 0.0

    @property
    def headline(self) -> Figure | None:
        return self.figures[0] if self.figures else None

    def figure(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)


@dataclass
class BenchReport:
    """A whole bench run; `write` puts bench.json and bench.md in a directory."""

    quick: bool
    scale: float
    started_at: str
    rounds: int = 1
    duration_s: float = 0.0
    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    scenarios: dict[str, ScenarioResult] = field(default_factory=dict)
    json_path: Path | None = None
    markdown_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("json_path")
        data.pop("markdown_path")
        for name, result in self.scenarios.items():
            data["scenarios"][name]["headline"] = (
                asdict(result.headline) if result.headline else None
            )
        return data

    def to_markdown(self) -> str:
        mode = "quick" if self.quick else "full"
        if self.scale != 1.0:
            mode += f", scale {self.scale:g}"
        lines = [
            f"# freeseat bench ({mode})",
            "",
            f"Started {self.started_at}, took {self.duration_s:.0f} s; {self.rounds} round(s) of "
            "every scenario, each run in fresh processes. Everything on loopback; the server is "
            "a separate process, measured apart from the load generator. Ratios are against the "
            "raw limit of the same round. Goals are judged on the median, the previous round's "
            "targets on the worst run.",
            "",
            "| scenario | figure | min | median | max | unit | goal (median) | "
            "previous target (worst run) | notes |",
            "|---|---|---:|---:|---:|---|---|---|---|",
        ]
        for result in self.scenarios.values():
            if result.error is not None:
                error = _cell(result.error)
                lines.append(f"| {result.title} | — | — | — | — | — | **error** | — | {error} |")
                continue
            if not result.figures:
                why = result.details.get("not_measured", "not yet measured")
                lines.append(f"| {result.title} | — | — | — | — | — | — | — | {_cell(str(why))} |")
                continue
            for fig in result.figures:
                measured = fig.measured
                low = _number(min(measured)) if measured else "—"
                high = _number(max(measured)) if measured else "—"
                goal = _verdict(fig.target, fig.passed)
                floor = _verdict(str(fig.floor) if fig.floor else "", fig.floor_passed)
                lines.append(
                    f"| {result.title} | {fig.name} | {low} | {_number(fig.value)} | {high} | "
                    f"{fig.unit} | {goal} | {floor} | {_cell(fig.notes)} |"
                )
        lines += ["", "## Machine", ""]
        lines += [f"- {key}: {value}" for key, value in self.machine.items()]
        lines += ["", "## Versions", ""]
        lines += [f"- {key}: {value}" for key, value in self.versions.items()]
        lines += ["", "## Server settings", ""]
        lines += [f"- `{key}`: {value}" for key, value in self.settings.items()]
        lines += ["", "## Bench configuration", ""]
        lines += [f"- `{key}`: {value}" for key, value in self.config.items()]
        profiles = {
            name: result.details["profile"]
            for name, result in self.scenarios.items()
            if isinstance(result.details.get("profile"), dict)
        }
        for name, profile in profiles.items():
            lines += ["", f"## Server profile during {name} (py-spy)", ""]
            lines.append(f"{profile.get('samples', 0)} samples of busy threads.")
            threads = profile.get("threads", {})
            if threads:
                lines += ["", "| thread | share of samples |", "|---|---:|"]
                lines += [f"| {t} | {share:.0%} |" for t, share in threads.items()]
            hottest = profile.get("self", [])
            if hottest:
                lines += ["", "| function (self time) | share |", "|---|---:|"]
                lines += [f"| `{_cell(fn)}` | {share:.1%} |" for fn, share in hottest]
            inclusive = profile.get("inclusive", [])
            if inclusive:
                lines += ["", "| function (inclusive, freeseat code) | share |", "|---|---:|"]
                lines += [f"| `{_cell(fn)}` | {share:.1%} |" for fn, share in inclusive]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.json_path = out_dir / "bench.json"
        self.markdown_path = out_dir / "bench.md"
        self.json_path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")
        self.markdown_path.write_text(self.to_markdown())


def _verdict(target: str, passed: bool | None) -> str:
    if not target:
        return "—" if passed is None else ("pass" if passed else "**fail**")
    return f"{target}: " + ("—" if passed is None else ("pass" if passed else "**fail**"))


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def machine_info() -> dict[str, Any]:
    """CPU model, cores and memory of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        if match:
            memory = f"{int(match.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "memory": memory,
        "os": platform.platform(),
    }


def versions() -> dict[str, str]:
    """Python, the libraries on the measured path, and Mosquitto."""
    found = {"Python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["Mosquitto"] = mosquitto_version()
    return found


def mosquitto_version() -> str:
    binary = find_mosquitto()
    if binary is None:
        return "not installed"
    try:
        # `mosquitto -h` prints its version and exits non-zero; bounded in case it does not exit.
        done = subprocess.run(
            [binary, "-h"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"mosquitto version (\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "unknown"
