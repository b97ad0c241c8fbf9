"""Optional py-spy sampling of the server while a scenario runs, summarised by function."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.processes import py_spy

log = logging.getLogger(__name__)

OWN_PACKAGES = ("server/", "contracts/", "firmware_config/", "edge_agent/")
_LINE = re.compile(r"^(.*) (\d+)$")
_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")


class Profiler:
    """`py-spy record` attached to a process until `stop`; a no-op when py-spy is missing."""

    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        self.out = out
        self._proc: subprocess.Popen[bytes] | None = None
        binary = py_spy()
        if binary is None:
            log.warning("py-spy is not installed; no profile (pip install py-spy)")
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        with (out.parent / f"{out.stem}.py-spy.log").open("ab") as spy_log:
            self._proc = subprocess.Popen(
                [
                    binary,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    str(rate),
                    "--format",
                    "raw",
                    "--threads",
                    "--output",
                    str(out),
                ],
                stdout=spy_log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> dict[str, Any] | None:
        """Stop sampling (py-spy writes its file on SIGINT) and summarise what it saw."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if not self.out.exists():
            log.warning("py-spy wrote no profile; see %s", self.out.with_suffix(".py-spy.log"))
            return None
        return summarise(self.out.read_text(errors="replace"))


def summarise(collapsed: str, top: int = 12) -> dict[str, Any]:
    """Shares of samples per thread, per leaf function (self) and per freeseat function."""
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        stack, count = match.group(1), int(match.group(2))
        frames = stack.split(";")
        thread = next((f for f in frames if f.startswith("thread ")), "?")
        code = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not code:
            continue
        total += count
        threads[_thread_name(thread)] += count
        own[_short(code[-1])] += count
        for name in {_short(f) for f in code if any(p in f for p in OWN_PACKAGES)}:
            inclusive[name] += count
    if not total:
        return {"samples": 0}
    return {
        "samples": total,
        "threads": {name: round(n / total, 3) for name, n in threads.most_common(6)},
        "self": [(name, round(n / total, 4)) for name, n in own.most_common(top)],
        "inclusive": [(name, round(n / total, 4)) for name, n in inclusive.most_common(top)],
    }


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    for package in OWN_PACKAGES:
        if package in path:
            path = package + path.split(package, 1)[1]
            break
    return f"{match.group('fn')} ({path})"


def _thread_name(frame: str) -> str:
    match = re.search(r'"([^"]+)"', frame)
    return match.group(1) if match else frame
