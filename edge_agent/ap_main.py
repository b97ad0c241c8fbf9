"""`freeseat agent ap --config FILE`: run an AP agent until SIGTERM or Ctrl-C."""

from pathlib import Path

from edge_agent.ap_agent import run_ap_agent
from edge_agent.runtime import run_agent_process


def main(config: Path, *, verbose: bool = False) -> int:
    """Run the agent; returns the process exit code (2 for a config the user must fix)."""
    return run_agent_process(lambda stop: run_ap_agent(config, stop=stop), verbose=verbose)
