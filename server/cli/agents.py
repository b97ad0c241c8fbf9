"""`freeseat agent ...` and `freeseat simulate`: the edge agents and the simulated building."""

import threading
from pathlib import Path
from typing import Annotated

import typer

agent_app = typer.Typer(
    help="Edge agents that run beside sensors, APs and room monitors.", no_args_is_help=True
)


@agent_app.command("desk")
def agent_desk(
    config: Annotated[Path, typer.Option(help="The agent's YAML configuration.")],
) -> None:
    """Run a desk agent (one sensor, or a floor gateway serving many desks) until SIGTERM."""
    from edge_agent.desk_agent import run_desk_agent
    from edge_agent.runtime import run_agent_process

    raise typer.Exit(run_agent_process(lambda stop: run_desk_agent(config, stop=stop)))


@agent_app.command("room")
def agent_room(
    config: Annotated[Path, typer.Option(help="The room agent's YAML configuration.")],
) -> None:
    """Run a room-monitor agent: zeroconf advert, display and cast events, heartbeats."""
    from edge_agent.room_agent import run_room_agent
    from edge_agent.runtime import run_agent_process

    def run(stop: threading.Event) -> None:
        run_room_agent(config, stop=stop, out=lambda line: print(line, flush=True))

    raise typer.Exit(run_agent_process(run))


@agent_app.command("ap")
def agent_ap(
    config: Annotated[Path, typer.Option(help="The AP agent's YAML configuration.")],
) -> None:
    """Run an AP agent: association events in, station counts out; no MAC leaves it."""
    from edge_agent.ap_agent import run_ap_agent
    from edge_agent.runtime import run_agent_process

    raise typer.Exit(run_agent_process(lambda stop: run_ap_agent(config, stop=stop)))


def simulate(
    broker: Annotated[str, typer.Option(help="Broker URL, e.g. mqtt://127.0.0.1:1883.")],
    site: Annotated[
        Path | None, typer.Option(help="Site file (default: the bundled demo site).")
    ] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 60.0,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many real seconds.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed, for a repeatable day.")] = 1,
) -> None:
    """Drive every desk of a site through a plausible working day."""
    from edge_agent.simulator import run_simulation
    from server.cli.site import load_or_exit

    loaded = load_or_exit(site)
    report = run_simulation(loaded, broker, speed=speed, duration=duration, seed=seed)
    typer.echo(str(report))
