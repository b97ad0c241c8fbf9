"""Schemathesis against the running server, once per role: no input gives a 5xx, and every
answer matches the OpenAPI schema (issue 16: "no 500 on any input").

Each role's run is bounded (a fixed number of examples per operation, a fixed seed) and
includes the stateful phase, which follows the schema's links (a booking made, then
cancelled; a session paired, then read, shown and ended). What each run covered is printed
and kept in test-output/schemathesis/<role>.json.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.api.app import create_app
from server.settings import Settings
from tests.access_support import PASSWORD, PEOPLE, ROLES, full_site, seed_accounts
from tests.signin import sign_in
from tests.support import ServerThread

REPORTS = Path("test-output") / "schemathesis"
EXAMPLES = 12
# Left out, with why (FastAPI's operation ids): signing out (the session, or at the OpenID
# provider) would end the session the rest of the run uses; revocation needs a provisioned
# Mosquitto to signal (tests/e2e/test_device_registry.py); single sign-on and room calendars
# answer 503 "not set up" on a server without an OpenID provider or CalDAV server, and are
# exercised against real ones in tests/directory.
EXCLUDED = (
    "sign_out_api_session_delete",
    "logout_api_oidc_logout_get",
    "revoke_api_devices__device_id__revoke_post",
    "login_api_oidc_login_get",
    "oidc_callback_api_oidc_callback_get",
    "calendar_conflicts_api_calendar_conflicts_get",
    "sync_room_api_rooms__room_id__calendar_sync_post",
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    url = f"sqlite:///{tmp_path / 'freeseat.db'}"
    seed_accounts(url)
    settings = Settings(database_url=url, enable_mqtt=False)
    with ServerThread(create_app(settings, site=full_site())) as running:
        yield running


def _headers(server: ServerThread, role: str) -> list[str]:
    # The role's browser session (no Authorization header: a bearer there is a personal token).
    if role == "anonymous":
        return []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        session = sign_in(client, PEOPLE[role].staff_id, PASSWORD)
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return [f"Cookie: {cookies}", f"X-CSRF-Token: {session['csrf_token']}"]


@pytest.mark.parametrize("role", ROLES)
def test_no_input_gives_a_server_error_and_answers_match_the_schema(
    server: ServerThread, role: str, tmp_path: Path
) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = (REPORTS / f"{role}.json").resolve()
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "16",
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--warnings",
        "off",
    ]
    for operation_id in EXCLUDED:
        command += ["--exclude-operation-id", operation_id]
    for header in _headers(server, role):
        command += ["--header", header]
    hooks = Path(__file__).resolve().parent.parent / "schemathesis_hooks.py"
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(hooks)},
        cwd=tmp_path,  # where schemathesis keeps its cache
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    summary = json.loads(report.read_text())
    cases, operations = summary["test_cases"], summary["operations"]
    print(
        f"schemathesis as {role}: {cases['generated']} cases over {operations['tested']}"
        f" operations, {cases['with_failures']} failing, {summary['running_time']:.0f} s"
    )
    assert cases["with_failures"] == 0 and operations["tested"] == operations["selected"]
    assert operations["selected"] == operations["total"] - len(EXCLUDED)
