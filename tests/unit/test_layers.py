"""Layer rules import-linter cannot see: the domain uses no standard-library I/O either."""

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "server" / "domain"
IO_MODULES = {
    "asyncio",
    "socket",
    "sqlite3",
    "threading",
    "subprocess",
    "os",
    "pathlib",
    "time",
    "logging",
    "io",
    "shutil",
    "urllib",
    "http",
    "ssl",
    "select",
}


def test_domain_imports_no_io_module() -> None:
    offenders = []
    for path in sorted(DOMAIN.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in IO_MODULES]
    assert list(DOMAIN.glob("*.py")), "the domain package moved; update this test"
    assert offenders == []


def test_domain_never_reads_the_clock() -> None:
    for path in DOMAIN.glob("*.py"):
        text = path.read_text()
        assert ".now(" not in text and "utcnow" not in text, f"{path.name} reads the clock"
