"""`python -m edge_agent CONFIG`: run a desk agent until SIGTERM or Ctrl-C (for systemd units)."""

import argparse
import sys
from pathlib import Path

from edge_agent.desk_agent import run_desk_agent
from edge_agent.runtime import run_agent_process


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the agent, and return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m edge_agent", description=__doc__)
    parser.add_argument("config", type=Path, help="the agent's YAML configuration")
    parser.add_argument("--verbose", "-v", action="store_true", help="log paho's traffic too")
    args = parser.parse_args(argv)
    return run_agent_process(
        lambda stop: run_desk_agent(args.config, stop=stop), verbose=args.verbose
    )


if __name__ == "__main__":
    sys.exit(main())
