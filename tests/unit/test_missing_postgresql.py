"""Without the `postgresql` extra, what needs PostgreSQL says in one line what to install."""

import importlib.util
import sys
from importlib.machinery import ModuleSpec

import pytest

from server.cli import main


def _without_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "psycopg" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_the_chaos_suites_postgresql_scenarios_say_what_to_install_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without_psycopg(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["freeseat", "chaos", "--quick", "--only", "replicas"])

    with pytest.raises(SystemExit) as stopped:
        main()

    assert stopped.value.code == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said == [
        "freeseat: PostgreSQL support is not installed: run scripts/bootstrap postgresql"
        " (or .venv/bin/pip install 'freeseat[postgresql]'), or use a sqlite:/// URL"
    ]
