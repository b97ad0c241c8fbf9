"""Load a large site file in a child process, so a long-lived server keeps the model only.

Parsing YAML builds a node tree and a plain copy of the data, several times the size of the
model they end in: 50,000 desks took 230 MB of the server's heap, and the freed pieces stayed
scattered over memory the process could not give back. The child parses and checks the file,
then hands the validated site over as JSON, which pydantic reads straight into the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from pydantic import BaseModel

from firmware_config.loader import SiteError, SiteProblem, load_site
from firmware_config.site import Site

# Below this a site loads in well under a second and its parse costs a few MB: not worth a
# process start (the demo city hall is ~100 KB).
LARGE_SITE_BYTES = 1_000_000
_PROBLEMS = b"problems:"


def load_site_lean(path: Path) -> Site:
    """`load_site(path)`, parsed in a child process when the file is large; same errors."""
    try:
        large = path.stat().st_size >= LARGE_SITE_BYTES
    except OSError:
        large = False  # load_site names the file and why it cannot be read
    if not large:
        return load_site(path)
    # A fresh interpreter, not multiprocessing: nothing of the caller (its main module, its
    # threads) is copied or re-imported.
    child = subprocess.run(
        [sys.executable, "-m", __name__, str(path)], capture_output=True, check=False
    )
    if child.returncode != 0:
        raise RuntimeError(f"loading {path} failed:\n{child.stderr.decode(errors='replace')}")
    answer = child.stdout
    if answer.startswith(_PROBLEMS):
        found = json.loads(answer[len(_PROBLEMS) :])
        raise SiteError([SiteProblem(**p) for p in found["problems"]], found["omitted"])
    site = Site.model_validate_json(answer)
    _share_field_sets(site, {})
    return site


def _share_field_sets(model: BaseModel, shared: dict[frozenset[str], set[str]]) -> None:
    """One set of set-field names per shape instead of one per model (frozen, so never changed).

    Each desk carried its own: 728 of its ~1,200 bytes.
    """
    names = frozenset(model.__pydantic_fields_set__)
    object.__setattr__(model, "__pydantic_fields_set__", shared.setdefault(names, set(names)))
    for value in model.__dict__.values():
        if isinstance(value, BaseModel):
            _share_field_sets(value, shared)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, BaseModel):
                    _share_field_sets(item, shared)


def _write_validated(path: Path) -> None:
    try:
        answer = load_site(path).model_dump_json().encode()
    except SiteError as exc:
        problems = {"problems": [asdict(p) for p in exc.problems], "omitted": exc.omitted}
        answer = _PROBLEMS + json.dumps(problems).encode()
    sys.stdout.buffer.write(answer)


if __name__ == "__main__":
    _write_validated(Path(sys.argv[1]))
