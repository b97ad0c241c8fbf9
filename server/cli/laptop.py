"""`freeseat whereami` and `freeseat connect`: what staff run on their laptops."""

from pathlib import Path
from typing import Annotated

import typer

StaffIdOption = Annotated[
    str | None,
    typer.Option(
        "--staff-id",
        help="Your staff id, to sign in with FREESEAT_PASSWORD; not needed with FREESEAT_TOKEN "
        "(a personal token from the web page, for directory and single sign-on users).",
    ),
]
CaFileOption = Annotated[
    str | None,
    typer.Option(
        envvar="FREESEAT_CA_FILE",
        help="CA certificate (PEM) of the server's HTTPS certificate, if not a public CA.",
    ),
]


def whereami(
    staff_id: StaffIdOption = None,
    server: Annotated[
        str | None,
        typer.Option(
            envvar="FREESEAT_SERVER",
            help="The freeseat server's URL (default: the one you signed in to before).",
        ),
    ] = None,
    bssid: Annotated[
        str | None, typer.Option(help="Report this BSSID instead of reading the Wi-Fi's.")
    ] = None,
    share: Annotated[
        bool, typer.Option(help="Turn on 'share my location' for today first.")
    ] = True,
    every: Annotated[
        float | None, typer.Option(help="Report again every this many seconds.")
    ] = None,
    ca_file: CaFileOption = None,
) -> None:
    """Tell the server which AP this laptop is on, so colleagues can find you today."""
    import os

    from edge_agent.room_connect import ConnectError
    from edge_agent.whereami import run_whereami

    try:
        run_whereami(
            server=server,
            staff_id=staff_id,
            password=os.environ.get("FREESEAT_PASSWORD"),
            token=os.environ.get("FREESEAT_TOKEN"),
            bssid=bssid,
            share=share,
            every_s=every,
            out=typer.echo,
            ca_file=ca_file,
        )
    except ConnectError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def connect(
    staff_id: StaffIdOption = None,
    room: Annotated[str | None, typer.Option(help="Room id (default: the one found).")] = None,
    code: Annotated[str | None, typer.Option(help="The code on the screen (or asked).")] = None,
    server: Annotated[
        str | None,
        typer.Option(
            envvar="FREESEAT_SERVER",
            help="The freeseat server's URL (default: the one you signed in to before); "
            "room displays never choose it.",
        ),
    ] = None,
    attach: Annotated[
        list[Path] | None, typer.Option(help="A PDF to share; repeat for several.")
    ] = None,
    wait: Annotated[float, typer.Option(help="Seconds to look for room displays.")] = 3.0,
    interface: Annotated[
        list[str] | None, typer.Option(help="Only browse on this address (repeatable).")
    ] = None,
    ca_file: CaFileOption = None,
) -> None:
    """Pair this laptop with a room display by the code on its screen; starts the session."""
    import os

    from edge_agent.room_connect import ConnectError
    from edge_agent.room_connect import connect as pair

    try:
        pair(
            staff_id=staff_id,
            server=server,
            room=room,
            code=code,
            password=os.environ.get("FREESEAT_PASSWORD"),
            token=os.environ.get("FREESEAT_TOKEN"),
            attach=attach or [],
            wait_s=wait,
            interfaces=interface,
            out=typer.echo,
            ca_file=ca_file,
        )
    except ConnectError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
