"""`freeseat qr`: print-ready QR labels for every desk of a floor."""

from pathlib import Path
from typing import Annotated

import typer


def qr_command(
    floor: Annotated[str, typer.Option("--floor", help="Floor id, e.g. f3.")],
    out: Annotated[
        Path | None, typer.Option(help="Directory for the SVG pages (default: ./qr-FLOOR).")
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="The server's address as phones reach it.")
    ] = "http://127.0.0.1:8000",
    site: Annotated[
        Path | None, typer.Option(help="Site file (default: FREESEAT_SITE_FILE or the demo).")
    ] = None,
) -> None:
    """Write A4 SVG sheets of QR labels, one per desk of the floor, for facilities to stick on
    desks; each code opens the desk's check-in page."""
    from firmware_config.loader import SiteError
    from firmware_config.qr_labels import label_sheets
    from server.composition.parts import load_configured_site
    from server.settings import Settings

    settings = Settings()
    if site is not None:
        settings = settings.model_copy(update={"site_file": site})
    try:
        loaded = load_configured_site(settings)
    except SiteError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    chosen = loaded.floor(floor)
    if chosen is None:
        known = ", ".join(f.id for f in loaded.floors())
        typer.echo(f"floor {floor!r} is not in the site file; known floors: {known}", err=True)
        raise typer.Exit(1)
    if not base_url.startswith(("http://", "https://")):
        typer.echo(f"--base-url {base_url!r} must start with http:// or https://", err=True)
        raise typer.Exit(1)
    folder = out or Path(f"qr-{floor}")
    folder.mkdir(parents=True, exist_ok=True)
    sheets = label_sheets(chosen, base_url)
    for sheet in sheets:
        path = folder / f"qr-{floor}-p{sheet.number:02d}.svg"
        path.write_text(sheet.svg, encoding="utf-8")
    desks = sum(len(s.desks) for s in sheets)
    typer.echo(f"wrote {len(sheets)} A4 page(s) with {desks} desk labels to {folder}/")
