"""The command line a facilities engineer uses: site check, schema export, db upgrade."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

from contracts.schema import shipped_schema
from firmware_config.paths import demo_site_path
from server.adapters.all_tables import Base
from server.adapters.database import make_engine
from server.cli import app

runner = CliRunner()


def test_site_check_summarises_a_good_site() -> None:
    result = runner.invoke(app, ["site", "check", str(demo_site_path())])
    assert result.exit_code == 0, result.output
    assert "1602 desks" in result.output.replace(",", "")


def test_site_check_names_file_line_path_and_expectation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "site: {id: hall, name: Hall}\n"
        "buildings:\n"
        "  - id: main\n"
        "    name: Main\n"
        "    floors:\n"
        "      - {id: f1, name: 1F, level: 1, width: ten, height: 10}\n"
    )
    result = runner.invoke(app, ["site", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:6:" in result.output
    assert "buildings[0].floors[0].width" in result.output
    assert "expected a number" in result.output


def test_contracts_schema_prints_the_shipped_schema(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = runner.invoke(app, ["contracts", "schema", "--out", str(out)])
    assert result.exit_code == 0
    assert out.read_text() == shipped_schema()


def test_db_upgrade_creates_a_schema_that_matches_the_tables(database_url: str) -> None:
    url = database_url
    result = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    try:
        assert {"desks", "devices", "event_log", "desk_transitions", "quarantine"} <= set(
            inspect(engine).get_table_names()
        )
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"migrations and tables differ; add a migration: {diff}"
    finally:
        engine.dispose()
