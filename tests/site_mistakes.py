"""A small site file edited into mistakes, and what the loader says about them: the helpers the
site loader's tests share."""

import re

import pytest

from firmware_config.loader import SiteError, SiteProblem, parse_site
from tests.site_files import SMALL_SITE

FILE = "office.yaml"


LINE_FORMAT = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): (?P<msg>.+)$"
)


def edited(*replacements: tuple[str, str]) -> str:
    """SMALL_SITE with each `old` fragment (which must occur exactly once) replaced by `new`."""
    text = SMALL_SITE
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} must occur once in the test site"
        text = text.replace(old, new)
    return text


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only line containing `fragment`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} is on lines {lines}"
    return lines[0]


def column_of(text: str, fragment: str, on: str | None = None) -> int:
    """The 1-based column of `fragment` on the only line containing `on` (default: `fragment`)."""
    line = text.splitlines()[line_of(text, on or fragment) - 1]
    return line.index(fragment) + 1


def problems_of(text: str) -> list[SiteProblem]:
    with pytest.raises(SiteError) as caught:
        parse_site(text, FILE)
    error = caught.value
    # The rendered error lists exactly the problems, one per line, in FILE:LINE:COL form.
    assert str(error).splitlines() == [str(p) for p in error.problems]
    return error.problems


def only_problem(text: str) -> SiteProblem:
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]
