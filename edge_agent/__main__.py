"""`python -m edge_agent CONFIG`: run a desk agent until SIGTERM or Ctrl-C (for systemd units)."""

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from edge_agent.desk_agent import AgentConfigError, run_desk_agent
from edge_agent.outbox import OutboxError
from edge_agent.sensors import SourceOpenError


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the agent, and return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m edge_agent", description=__doc__)
    parser.add_argument("config", type=Path, help="the agent's YAML configuration")
    parser.add_argument("--verbose", "-v", action="store_true", help="log paho's traffic too")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        run_desk_agent(args.config, stop=stop)
    except (AgentConfigError, OutboxError, SourceOpenError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
