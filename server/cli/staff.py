"""`freeseat staff ...`: import the staff directory, set local passwords and roles."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from server.adapters.people_repository import SqlPeopleStore
    from server.services.account_admin import AccountAdmin

staff_app = typer.Typer(help="The staff directory and local accounts.", no_args_is_help=True)

UrlOption = Annotated[
    str | None, typer.Option("--url", help="Database URL (default: FREESEAT_DATABASE_URL).")
]


def _store(url: str | None) -> "SqlPeopleStore":
    from server.composition.commands import people_store
    from server.settings import Settings

    return people_store(url or Settings().database_url)


@staff_app.command("import")
def staff_import(
    file: Annotated[Path, typer.Argument(help="CSV with staff_id,name,department[,needs,...].")],
    url: UrlOption = None,
    site: Annotated[
        Path | None,
        typer.Option(help="Site file whose departments the CSV must use (default: configured)."),
    ] = None,
) -> None:
    """Add or update people from a CSV (columns staff_id, name, department; optional name_ja,
    needs separated by ';', email, role). Existing passwords and non-staff roles are kept."""
    from firmware_config.loader import SiteError
    from server.composition.parts import load_configured_site
    from server.services.people import StaffFileError, decode_staff_file, parse_staff_csv
    from server.settings import Settings

    settings = Settings()
    if site is not None:
        settings = settings.model_copy(update={"site_file": site})
    try:
        departments = [d.id for d in load_configured_site(settings).departments]
        text = decode_staff_file(file.read_bytes(), str(file))
        people = parse_staff_csv(text, str(file), departments)
    except (StaffFileError, SiteError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        typer.echo(f"{file}: cannot read it: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    count = _store(url).upsert(people, demo=False)
    typer.echo(f"imported {count} people from {file}")


@staff_app.command("sync")
def staff_sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Bring people and departments in from the directory (FREESEAT_LDAP_*): newcomers added,
    changes applied, leavers disabled (never deleted). Prints the diff, one line a person."""
    from server.composition.directory import DirectoryNotConfigured, staff_sync
    from server.services.staff_directory import DirectoryUnreachable
    from server.settings import Settings

    settings = Settings()
    if url:
        settings = settings.model_copy(update={"database_url": url})
    try:
        sync = staff_sync(settings)
        plan = sync.plan()
    except DirectoryNotConfigured as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except DirectoryUnreachable as exc:
        typer.echo(f"the directory did not answer: {exc}; nothing was changed", err=True)
        raise typer.Exit(1) from None
    for line in plan.lines():
        typer.echo(line)
    if dry_run:
        typer.echo(f"dry run: {plan.summary()}; nothing was changed")
        return
    from datetime import UTC, datetime

    sync.apply(plan, datetime.now(UTC))
    typer.echo(plan.summary())


def _admin(url: str | None) -> "AccountAdmin":
    from server.composition.commands import accounts_admin
    from server.settings import Settings

    return accounts_admin(url or Settings().database_url)


def _actor() -> str:
    """Who ran the command, for the security audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _unknown(staff_id: str) -> typer.Exit:
    typer.echo(f"no person with staff id {staff_id!r}; import the staff CSV first", err=True)
    return typer.Exit(1)


@staff_app.command("password")
def staff_password(
    staff_id: Annotated[str, typer.Argument(help="Whose local password to set.")],
    url: UrlOption = None,
    password: Annotated[
        str | None,
        typer.Option(help="The password (default: ask for it without echo).", hidden=True),
    ] = None,
) -> None:
    """Set a person's local-account password (stored as an argon2id hash); their sessions end."""
    secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        done = _admin(url).set_password(staff_id, secret, _actor())
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if not done:
        raise _unknown(staff_id)
    typer.echo(f"password set for {staff_id}; their sessions have ended")


@staff_app.command("role")
def staff_role(
    staff_id: Annotated[str, typer.Argument(help="Whose role to set.")],
    role: Annotated[str, typer.Argument(help="staff, facilities or admin.")],
    url: UrlOption = None,
) -> None:
    """Give a person the role staff, facilities or admin; their sessions end."""
    from server.domain.people import Role

    try:
        chosen = Role(role)
    except ValueError:
        typer.echo(f"role {role!r} must be one of staff, facilities, admin", err=True)
        raise typer.Exit(1) from None
    if not _admin(url).set_role(staff_id, chosen, _actor()):
        raise _unknown(staff_id)
    typer.echo(f"{staff_id} is now {chosen.value}; their sessions have ended")


@staff_app.command("disable")
def staff_disable(
    staff_id: Annotated[str, typer.Argument(help="Who can no longer sign in (a leaver).")],
    url: UrlOption = None,
) -> None:
    """Stop a person signing in and end their sessions; their history is kept."""
    if not _admin(url).disable(staff_id, _actor()):
        raise _unknown(staff_id)
    typer.echo(f"{staff_id} is disabled; their sessions have ended")


@staff_app.command("enable")
def staff_enable(
    staff_id: Annotated[str, typer.Argument(help="Who may sign in again.")],
    url: UrlOption = None,
) -> None:
    """Let a disabled person sign in again."""
    if not _admin(url).enable(staff_id, _actor()):
        raise _unknown(staff_id)
    typer.echo(f"{staff_id} may sign in again")


@staff_app.command("sign-out")
def staff_sign_out(
    staff_id: Annotated[str, typer.Argument(help="Whose sessions to end (a lost laptop).")],
    url: UrlOption = None,
) -> None:
    """End every session of a person, on every server replica."""
    ended = _admin(url).sign_out_everywhere(staff_id, _actor())
    typer.echo(f"ended {ended} session(s) of {staff_id}")
