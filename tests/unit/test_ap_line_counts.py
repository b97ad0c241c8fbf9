"""Lines an AP agent cannot read are counted, and a sample is logged now and then, redacted."""

import logging

import pytest

from edge_agent.ap_sources.association import Association
from edge_agent.ap_sources.line_counts import LineCounts


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_unparsed_lines_are_sampled_at_most_once_a_minute_without_addresses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    counts = LineCounts("syslog /var/log/aps.log", monotonic=clock)
    caplog.set_level(logging.WARNING)
    for n in range(5):
        counts.line(f"mystery 3c:22:fb:12:34:5{n} happened", None)
        clock.now += 10
    counts.line("stm: ok", [])
    counts.line("hostapd: ...", [Association("3c:22:fb:12:34:56", True)])
    assert counts.lines == {"unparsed": 5, "ignored": 1, "parsed": 1}
    assert len(caplog.records) == 1
    clock.now = 61
    counts.line("mystery 3c:22:fb:12:34:59 again", None)
    samples = [r.getMessage() for r in caplog.records]
    assert len(samples) == 2
    assert "(4 more since the last sample)" in samples[1]
    assert all("3c:22" not in s and "<mac>" in s for s in samples)


def test_only_unattributed_associations_ask_for_the_ap_s_names(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counts = LineCounts("syslog udp 0.0.0.0:514", monotonic=Clock())
    caplog.set_level(logging.WARNING)
    counts.observed("unattributed")
    counts.observed("unattributed")
    assert len(caplog.records) == 1
    assert "list the AP's bssids, ap_names or interfaces" in caplog.records[0].getMessage()
    assert counts.observations == {"unattributed": 2}
