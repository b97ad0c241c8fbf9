"""`freeseat staff sync` against a real OpenLDAP: the dry run's diff, newcomers, transfers,
and a leaver disabled — signed out, token dead, desk released, history kept."""

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from server.adapters.embedded_broker import MosquittoBroker
from server.adapters.tables import DeskTransitionRow
from server.adapters.tables_people import PersonRow
from server.adapters.tables_seating import SeatHoldRow
from server.api.app import create_app
from server.cli import app as cli
from server.composition.directory_jobs import handle_leavers
from server.settings import Settings
from tests.directory.servers import SERVICE_PASSWORD, DirectoryPerson, Slapd, directory_admin
from tests.directory.support import ldap_settings
from tests.fakes import FakeClock
from tests.seating_support import DeskSensors, in_process
from tests.support import small_site

runner = CliRunner()
# 09:30 in Tokyo (the small site's zone is Asia/Tokyo): the working day has begun.
MORNING = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
DESK = "desk-f1-a-01-01"
KIMURA = DirectoryPerson("kimura", "Kimura Sho", "tax", "kimura-pass-1", "kimura@cityhall.example")


@pytest.fixture
def directory_env(slapd: Slapd, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """FREESEAT_LDAP_* as an operator would export them for the command."""
    settings = ldap_settings(slapd)
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        monkeypatch.setenv(f"FREESEAT_LDAP_{name.upper()}", text)
    monkeypatch.setenv("FREESEAT_LDAP_BIND_PASSWORD", SERVICE_PASSWORD)
    admin = directory_admin(slapd)
    admin.remove(KIMURA.uid)
    yield
    admin.remove(KIMURA.uid)
    admin.move("sato", "welfare")  # as seeded: other tests share the directory


def sync(url: str, *args: str) -> str:
    result = runner.invoke(cli, ["staff", "sync", "--url", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def people(url: str) -> dict[str, PersonRow]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {row.staff_id: row for row in conn.execute(select(PersonRow))}  # type: ignore[misc]
    finally:
        engine.dispose()


def test_dry_run_shows_the_diff_and_changes_nothing_then_sync_brings_people_in(
    database_url: str, directory_env: None, tmp_path: Path, slapd: Slapd
) -> None:
    csv = tmp_path / "staff.csv"
    csv.write_text(
        "staff_id,name,department,role,needs\nit-admin,IT Admin,,admin,\n"
        "tanaka,Tanaka (from CSV),welfare,staff,accessible\n"
    )
    assert runner.invoke(cli, ["staff", "import", str(csv), "--url", database_url]).exit_code == 0

    preview = sync(database_url, "--dry-run")
    assert "+ sato  Sato Ken  welfare  facilities" in preview
    assert "+ suzuki  Suzuki Aoi  tax  admin" in preview
    assert "~ tanaka  name: 'Tanaka (from CSV)' -> 'Tanaka Yui'" in preview
    assert "department: 'welfare' -> 'tax'" in preview
    assert "leaver" not in preview  # locked in the directory and never here: nothing to do
    assert "dry run: 2 added, 1 changed" in preview and "nothing was changed" in preview
    assert set(people(database_url)) == {"it-admin", "tanaka"}

    assert "2 added, 1 changed" in sync(database_url)
    rows = people(database_url)
    assert (rows["sato"].role, rows["sato"].source) == ("facilities", "ldap")
    # The directory now owns tanaka; what freeseat alone knows (needs) is kept.
    assert (rows["tanaka"].department, rows["tanaka"].needs) == ("tax", "accessible")
    assert rows["it-admin"].source == "csv" and rows["it-admin"].disabled_at is None

    directory_admin(slapd).move("sato", "tax")
    again = sync(database_url, "--dry-run")
    assert "~ sato  department: 'welfare' -> 'tax'" in again
    assert "0 added, 1 changed, 0 enabled again, 0 disabled" in again


async def test_a_leaver_is_disabled_signed_out_and_their_desk_released_with_history_kept(
    database_url: str, directory_env: None, slapd: Slapd, broker: MosquittoBroker
) -> None:
    admin = directory_admin(slapd)
    admin.hire(KIMURA)
    assert "+ kimura" in sync(database_url)
    clock = FakeClock(MORNING)
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        mqtt_client_id="directory-test-server",
        ldap=ldap_settings(slapd),
        sweep_interval_s=3600,  # the test runs the leaver job itself
    )
    app = create_app(settings, clock=clock, site=small_site())
    sensors = DeskSensors(broker.url, small_site())
    async with in_process(app) as running:
        rt = running.rt
        for _ in range(500):
            if rt.bridge is not None and rt.bridge.connected:
                break
            await asyncio.sleep(0.02)
        sensors.report({DESK: False}, MORNING)
        for _ in range(500):
            if rt.hub.states("f1").get(DESK, {}).get("state") == "free":
                break
            await asyncio.sleep(0.02)
        client = running.client
        token = (await client.get("/api/session")).json()["csrf_token"]
        signed = await client.post(
            "/api/session",
            json={"staff_id": "kimura", "password": KIMURA.password},
            headers={"X-CSRF-Token": token},
        )
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        assert (await client.post("/api/seats", json={"desk": DESK})).status_code == 201
        laptop = (await client.post("/api/tokens", json={"label": "laptop"})).json()["token"]
        assert rt.hub.states("f1")[DESK]["state"] == "held"

        admin.remove(KIMURA.uid)
        preview = sync(database_url, "--dry-run")
        assert "- kimura  Kimura Sho  (disabled: left the directory)" in preview
        assert "1 disabled" in sync(database_url)

        rt.live.publish(handle_leavers(rt, MORNING - timedelta(days=1)))
        assert rt.hub.states("f1")[DESK]["state"] == "free"
        assert (await client.get("/api/session")).json()["signed_in"] is False
        with_token = await running.new_client().get(
            "/api/tokens/me", headers={"Authorization": f"Bearer {laptop}"}
        )
        assert with_token.status_code == 401
        # Disabled, not deleted: the person and the day's history stay for their retention.
        engine = create_engine(database_url)
        try:
            with engine.connect() as conn:
                kimura = conn.execute(select(PersonRow).where(PersonRow.staff_id == "kimura"))
                assert kimura.one().disabled_at is not None
                hold = conn.execute(select(SeatHoldRow).where(SeatHoldRow.staff_id == "kimura"))
                assert hold.one().release_reason == "holder_left"
                history = conn.execute(
                    select(DeskTransitionRow.reason).where(DeskTransitionRow.desk == DESK)
                ).scalars()
                assert any("left" in (reason or "") for reason in history)
        finally:
            engine.dispose()
        # Signing in again is refused: the directory no longer knows them.
        again = await running.new_client().get("/api/session")
        assert again.json()["signed_in"] is False
    sensors.close()
