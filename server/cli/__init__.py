"""The `freeseat` command line: one module per command group, put together here."""

import sys

import typer

from server.cli.agents import agent_app, simulate
from server.cli.bench import bench
from server.cli.broker import broker_app
from server.cli.chaos import chaos
from server.cli.contracts import contracts_app
from server.cli.database import db_app
from server.cli.demo import demo
from server.cli.laptop import connect, whereami
from server.cli.month import simulate_month
from server.cli.provision import provision_command
from server.cli.qr import qr_command
from server.cli.serve import serve
from server.cli.site import site_app
from server.cli.staff import staff_app

app = typer.Typer(
    help="freeseat: free-address desks and paperless meeting rooms.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(demo)
app.command()(serve)
app.add_typer(db_app, name="db")
app.add_typer(site_app, name="site")
app.add_typer(contracts_app, name="contracts")
app.add_typer(agent_app, name="agent")
app.add_typer(broker_app, name="broker")
app.add_typer(staff_app, name="staff")
app.command("qr")(qr_command)
app.command("provision")(provision_command)
app.command()(whereami)
app.command()(connect)
app.command()(bench)
app.command()(chaos)
app.command()(simulate)
app.command("simulate-month")(simulate_month)


def main() -> None:
    """The console script: a setup problem the person can fix is one line, not a traceback."""
    from server.adapters.database import MissingDatabaseDriver
    from server.adapters.embedded_broker import NoBrokerError
    from server.adapters.replica_settings import ScaleOutConfigError
    from server.composition.accounts import RealAccountsInDemo

    try:
        app()
    except (MissingDatabaseDriver, NoBrokerError, ScaleOutConfigError, RealAccountsInDemo) as exc:
        print(f"freeseat: {exc}", file=sys.stderr)
        sys.exit(2)


__all__ = ["app", "main"]
