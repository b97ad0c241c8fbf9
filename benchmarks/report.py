"""The bench report: figures per scenario, the machine and versions, as JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from server.adapters.embedded_broker import find_mosquitto

PACKAGES = ("paho-mqtt", "SQLAlchemy", "uvicorn", "websockets", "fastapi", "pydantic")


@dataclass
class Figure:
    """One measured number, with its target (if any) and whether it met it."""

    name: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    notes: str = ""


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
            f"Started {self.started_at}, took {self.duration_s:.0f} s. "
            "Everything on loopback; the server is a separate process, measured apart "
            "from the load generator. Ratios are against the raw limit of this run.",
            "",
            "| scenario | figure | value | unit | target | pass/fail | notes |",
            "|---|---|---:|---|---|---|---|",
        ]
        for result in self.scenarios.values():
            if result.error is not None:
                lines.append(
                    f"| {result.title} | — | — | — | — | **error** | {_cell(result.error)} |"
                )
                continue
            if not result.figures:
                why = result.details.get("not_measured", "not yet measured")
                lines.append(f"| {result.title} | — | — | — | — | — | {_cell(str(why))} |")
                continue
            for fig in result.figures:
                verdict = "—" if fig.passed is None else ("pass" if fig.passed else "**fail**")
                lines.append(
                    f"| {result.title} | {fig.name} | {_number(fig.value)} | {fig.unit} | "
                    f"{fig.target or '—'} | {verdict} | {_cell(fig.notes)} |"
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
