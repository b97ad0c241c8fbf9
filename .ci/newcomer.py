"""The README's first command as a newcomer meets it, on the plain install (no test extra).

Run by .ci/run with .venv/bin/python right after `scripts/bootstrap`:
1. every module of the product imports (a module may miss only a package of an optional extra
   other than `test`, e.g. psycopg of `freeseat[postgresql]`);
2. `freeseat demo --duration 20` on a free port: `/api/health` says ok and `/` serves the map;
3. `freeseat ... --help` works for every command and command group.
Only the standard library and the installed product are used; every wait is bounded.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FREESEAT = str(Path(sys.executable).parent / "freeseat")
PACKAGES = ("contracts", "edge_agent", "server", "firmware_config", "benchmarks")


def say(line: str) -> None:
    print(f"newcomer: {line}", flush=True)


def optional_packages() -> set[str]:
    """Top-level import names of the extras a plain install need not have (not `test`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names: set[str] = set()
    for extra, deps in project.get("optional-dependencies", {}).items():
        if extra in ("test", "dev"):
            continue
        for dep in deps:
            name = re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0]
            names.add(name.lower().replace("-", "_"))
    return names


def check_imports() -> None:
    optional = optional_packages()
    broken: list[str] = []
    count = 0
    for top in PACKAGES:
        package = importlib.import_module(top)
        for module in pkgutil.walk_packages(package.__path__, top + "."):
            if ".migrations" in module.name or module.name.endswith(".__main__"):
                continue  # run by Alembic, or programs: importing them would run them
            count += 1
            try:
                importlib.import_module(module.name)
            except ModuleNotFoundError as exc:
                if (exc.name or "").split(".")[0].lower() not in optional:
                    broken.append(f"{module.name}: {exc}")
            except Exception as exc:
                broken.append(f"{module.name}: {type(exc).__name__}: {exc}")
    if broken:
        raise SystemExit("modules that do not import on the plain install:\n" + "\n".join(broken))
    say(f"all {count} modules import on the plain install")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def check_demo(duration_s: int = 20) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    demo = subprocess.Popen(
        [FREESEAT, "demo", "--port", str(port), "--duration", str(duration_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    try:
        health: dict[str, object] = {}
        deadline = started + 60
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                status, body = get(base + "/api/health")
                health = json.loads(body) if status == 200 else {}
                if health.get("status") == "ok":
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        if health.get("status") != "ok":
            output = demo.stdout.read() if demo.poll() is not None and demo.stdout else ""
            raise SystemExit(f"the demo's /api/health never said ok: {health}\n{output}")
        say(f"demo answered /api/health ok after {time.monotonic() - started:.1f} s: {health}")
        status, page = get(base + "/")
        if status != 200 or "floor-map" not in page:
            raise SystemExit(f"/ did not serve the floor map (HTTP {status})")
        say("/ serves the floor map")
        output, _ = demo.communicate(timeout=duration_s + 60)
    finally:
        if demo.poll() is None:
            demo.kill()
    if demo.returncode != 0 or "Dashboard: http://" not in output or "Traceback" in output:
        raise SystemExit(f"the demo ended with code {demo.returncode}:\n{output}")
    say(f"demo printed its dashboard URL and stopped cleanly after {duration_s} s")


def command_paths() -> list[list[str]]:
    """Every command and command group of `freeseat`, as argument lists."""
    import typer.main

    from server.cli import app

    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def check_help() -> None:
    paths = command_paths()
    for path in paths:
        done = subprocess.run(
            [FREESEAT, *path, "--help"], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0 or "Usage:" not in done.stdout:
            shown = " ".join(["freeseat", *path, "--help"])
            raise SystemExit(f"`{shown}` failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    say(f"--help works for all {len(paths)} commands and groups")


def main() -> None:
    check_imports()
    check_demo()
    check_help()


if __name__ == "__main__":
    main()
