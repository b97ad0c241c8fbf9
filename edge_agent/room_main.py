"""`freeseat agent room --config FILE`: run a room-monitor agent until SIGTERM or Ctrl-C."""

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from edge_agent.outbox import OutboxError
from edge_agent.room_agent import RoomAgentConfigError, run_room_agent


def main(config: Path) -> int:
    """Run the room agent and return the process exit code."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        run_room_agent(config, stop=stop, out=lambda line: print(line, flush=True))
    except (RoomAgentConfigError, OutboxError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
