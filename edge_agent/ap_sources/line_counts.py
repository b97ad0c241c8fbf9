"""What one AP source's lines came to, so an admin never just sees zero stations.

Each line is parsed (it reported an association or a reset), ignored (a line of a Wi-Fi program
the parser knows, with nothing to count) or unparsed (not a format the agent reads); each
observation is this AP's, another AP's or unattributed (attribution.py). Samples of unparsed
lines, addresses redacted, are logged at most once per `sample_every_s` per source.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from edge_agent.ap_sources.association import Parsed
from edge_agent.ap_sources.attribution import Attribution
from edge_agent.station_hash import redact

log = logging.getLogger(__name__)

SAMPLE_CHARS = 200


class LineCounts:
    """Counters of one source, and its rate-limited log of what it could not read."""

    def __init__(
        self,
        name: str,
        *,
        sample_every_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.lines: Counter[str] = Counter()  # parsed / ignored / unparsed
        self.observations: Counter[Attribution] = Counter()
        self._sample_every_s = sample_every_s
        self._monotonic = monotonic
        self._next_sample = 0.0
        self._unsampled = 0
        self._next_unattributed = 0.0

    def line(self, text: str, parsed: Parsed) -> None:
        """Count one line by what its parser made of it; log an unparsed one now and then."""
        if parsed is None:
            self.lines["unparsed"] += 1
            now = self._monotonic()
            if now < self._next_sample:
                self._unsampled += 1
                return
            self._next_sample = now + self._sample_every_s
            more = f" ({self._unsampled} more since the last sample)" if self._unsampled else ""
            self._unsampled = 0
            log.warning(
                "%s: a line in no format the AP agent reads%s: %s",
                self.name,
                more,
                redact(text[:SAMPLE_CHARS]),
            )
        else:
            self.lines["parsed" if parsed else "ignored"] += 1

    def observed(self, attribution: Attribution) -> None:
        """Count one observation by whose it turned out to be."""
        self.observations[attribution] += 1
        if attribution != "unattributed" or self.observations["this_ap"]:
            return
        now = self._monotonic()
        if now >= self._next_unattributed:
            self._next_unattributed = now + self._sample_every_s
            log.warning(
                "%s: %d association(s) named no AP this agent knows as its own and none did; "
                "list the AP's bssids, ap_names or interfaces in the agent config, or set "
                "scope: this_ap if this source carries only this AP's lines",
                self.name,
                self.observations["unattributed"],
            )
