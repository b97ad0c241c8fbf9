"""`freeseat simulate-month`: plan weeks of the demo city hall (or any site), replay them into a
database at high speed, and print the facilities figures they give."""

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer


def simulate_month(
    db: Annotated[Path, typer.Option(help="SQLite file to fold the weeks into (replaced).")] = Path(
        "month.db"
    ),
    first: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: 28 days before today).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=400, help="Days to simulate.")] = 28,
    floors: Annotated[
        str | None, typer.Option(help="Only these floors, e.g. f2,f3 (default: every floor).")
    ] = None,
    consolidate: Annotated[
        bool | None,
        typer.Option(
            "--consolidate/--no-consolidate", help="Fill zones in order (default: the site's)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same weeks.")] = 1,
    site: Annotated[
        Path | None, typer.Option(help="Site file (default: the bundled demo site).")
    ] = None,
) -> None:
    """Simulate office weeks (people, desks, meeting rooms) and print the facilities figures."""
    from edge_agent.month_truth import MonthSettings
    from edge_agent.office_month import plan_month, read_staff, subset
    from firmware_config.paths import demo_staff_path
    from server.cli.month_replay import ReplayClock, replay_month
    from server.cli.site import load_or_exit
    from server.composition.runtime import Runtime
    from server.domain.planning import WhatIf
    from server.services.meeting_figures import Month
    from server.settings import Settings

    loaded = load_or_exit(site)
    if floors:
        loaded = subset(loaded, frozenset(f.strip() for f in floors.split(",")))
    start = date.fromisoformat(first) if first else date.today() - timedelta(days=days)
    settings = MonthSettings(first=start, days=days, seed=seed)
    month = plan_month(loaded, read_staff(demo_staff_path()), settings, consolidate=consolidate)
    typer.echo(
        f"planned {len(month.happenings)} happenings for {len(month.desks)} desks, "
        f"{start} + {days} days, zones {'consolidated' if month.consolidate else 'spread'}"
    )
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    report = replay_month(month, url, progress=lambda at: typer.echo(f"  {at:%Y-%m-%d}", err=True))
    typer.echo(f"replayed: {report}")

    clock = ReplayClock(datetime.combine(start + timedelta(days=days), time(9, 0), month.tz))
    rt = Runtime.open(Settings(database_url=url, demo_mode=True, enable_mqtt=False), clock, loaded)
    try:
        typer.echo("\npaperless meetings (the city's KPI: departments at >= 70 %)")
        last_day = start + timedelta(days=days - 1)
        for report_month in rt.insight.meetings.between(Month.of(start), Month.of(last_day)):
            typer.echo(
                f"  {report_month.month}: headline {_pct(report_month.headline_share)} "
                f"({report_month.departments_at_threshold} of "
                f"{report_month.departments_with_meetings} departments), "
                f"{report_month.meetings} meetings, {report_month.paperless_meetings} paperless, "
                f"{report_month.pages_not_printed} pages not printed"
            )
        weeks = max(1, min(8, days // 7))
        plan = rt.insight.desks.planning(weeks, 95, 0.85, WhatIf())
        typer.echo(f"\ndesks needed per department (95th percentile of {weeks} weeks, 85 % fill)")
        for row in plan.rows:
            if row.kind in ("department", "site"):
                need = row.need
                typer.echo(
                    f"  {row.id or 'whole site':<20} desks {need.desks:>5}  peak {need.peak:>6.0f}"
                    f"  needed {need.needed:>5}  change {need.change:+5d}"
                )
        dark = rt.insight.desks.dark_zones(days)
        typer.echo(
            f"\ndark zone-hours: {dark.dark_zone_hours:.1f} over {dark.window.workdays} working "
            f"days = {dark.dark_zone_hours_per_day} a day ({dark.kwh_per_day} kWh a day)"
        )
    finally:
        rt.close()


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"
