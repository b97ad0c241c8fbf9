"""The desks' sensors, as the harness drives them: GPIO value files the agents sample.

Each desk is a sysfs-style line (`gpioN/value`) that its agent reads every tick; the harness
flips lines at a steady pace from a thread and remembers the last level it wrote, which is
what the desk must show once the stream ends.
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SensorBoard:
    """The lines of every desk under `root`; `flip_every_s` between two flips of a desk."""

    root: Path
    desks: list[str]
    flip_every_s: float
    seed: int = 15
    last: dict[str, bool] = field(default_factory=dict)
    flips: int = 0
    _fds: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        for line, desk in enumerate(self.desks):
            directory = self.root / f"gpio{line}"
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "value").write_bytes(b"0\n")
            self._fds[desk] = os.open(directory / "value", os.O_WRONLY | os.O_CLOEXEC)
            self.last[desk] = False

    def line(self, desk: str) -> int:
        return self.desks.index(desk)

    def set(self, desk: str, present: bool) -> None:
        # One byte rewritten in place: the agent's open descriptor sees it, never a torn value.
        os.pwrite(self._fds[desk], b"1" if present else b"0", 0)
        self.last[desk] = present

    def start(self) -> None:
        """Flip desks in a shuffled round, one desk every flip_every_s / len(desks)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="chaos-sensors", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def close(self) -> None:
        self.stop()
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _run(self) -> None:
        rng = random.Random(self.seed)
        step = self.flip_every_s / len(self.desks)
        order = list(self.desks)
        while not self._stop.is_set():
            rng.shuffle(order)
            for desk in order:
                if self._stop.wait(step):
                    return
                self.set(desk, not self.last[desk])
                self.flips += 1
