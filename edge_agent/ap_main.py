"""`freeseat agent ap --config FILE`: run an AP agent until SIGTERM or Ctrl-C."""

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from edge_agent.desk_agent import AgentConfigError
from edge_agent.outbox import OutboxError


def main(config: Path, *, verbose: bool = False) -> int:
    """Run the agent; returns the process exit code (2 for a config the user must fix)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from edge_agent.ap_agent import run_ap_agent

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        run_ap_agent(config, stop=stop)
    except (AgentConfigError, OutboxError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
