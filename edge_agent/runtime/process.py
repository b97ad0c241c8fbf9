"""An agent's run: reach the broker, open what it reads, tick until stopped, close in order."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Protocol, Self, TypeVar

from edge_agent.discovery import FoundServer
from edge_agent.runtime.clock import SystemWallClock, WallClock
from edge_agent.runtime.config import AgentConfig, AgentConfigError
from edge_agent.runtime.connection import ConnectionSettings, reach_broker
from edge_agent.runtime.outbox import Outbox, OutboxError
from edge_agent.sensors import SourceOpenError

log = logging.getLogger(__name__)


class Closeable(Protocol):
    """Anything a run opens and must close: sources, readers, the outbox."""

    def close(self) -> None: ...


Held = TypeVar("Held", bound=Closeable)


class AgentRun(contextlib.ExitStack):
    """One run of an agent: its config, clock, stop event and broker, and what to close at the
    end (last opened, first closed). Used as a context manager around the agent's loop."""

    def __init__(
        self,
        config: AgentConfig,
        settings: ConnectionSettings,
        found: FoundServer | None,
        *,
        stop: threading.Event,
        clock: WallClock,
    ) -> None:
        super().__init__()
        self.config = config
        self.settings = settings
        self.found = found
        self.stop = stop
        self.clock = clock

    @classmethod
    def reach(
        cls,
        config: AgentConfig,
        *,
        stop: threading.Event | None = None,
        clock: WallClock | None = None,
        settings: ConnectionSettings | None = None,
        find_server: bool = False,
    ) -> Self | None:
        """Find the broker (and the server if asked; see reach_broker) before anything is
        opened; None when stopped before any server answered, so nothing was started."""
        stop = stop or threading.Event()
        reach = reach_broker(config, stop, settings=settings, find_server=find_server)
        if reach is None:
            return None
        return cls(config, reach.settings, reach.found, stop=stop, clock=clock or SystemWallClock())

    def hold(self, thing: Held) -> Held:
        """Close `thing` when the run ends."""
        self.callback(thing.close)
        return thing

    def open_outbox(self) -> Outbox:
        """Open the device's outbox, which starts a new epoch; opened last of the inputs, so a
        device that cannot be opened spends no epoch."""
        return self.hold(Outbox(self.config.outbox, max_rows=self.config.max_outbox_rows))

    def tick_until_stopped(self, tick: Callable[[datetime], object], interval_s: float) -> None:
        """Call `tick(now)` every `interval_s` until the stop event is set or Ctrl-C."""
        try:
            while not self.stop.is_set():
                tick(self.clock.now())
                self.stop.wait(interval_s)
        except KeyboardInterrupt:
            log.info("%s: interrupted; stopping", self.config.device)


# What a person must fix before the agent can run: exit code 2 with the message, no traceback.
FIXABLE = (AgentConfigError, OutboxError, SourceOpenError, OSError)


def run_agent_process(run: Callable[[threading.Event], object], *, verbose: bool = False) -> int:
    """Run an agent as a process until SIGTERM or Ctrl-C; returns the exit code (2 for a
    problem the user must fix, printed to stderr)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        run(stop)
    except FIXABLE as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
