"""`freeseat agent room --config FILE`: run a room-monitor agent until SIGTERM or Ctrl-C."""

from pathlib import Path

from edge_agent.room_agent import run_room_agent
from edge_agent.runtime import run_agent_process


def main(config: Path) -> int:
    """Run the room agent and return the process exit code."""
    return run_agent_process(
        lambda stop: run_room_agent(config, stop=stop, out=lambda line: print(line, flush=True))
    )
