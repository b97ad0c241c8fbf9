"""The sender's host name in a syslog line, whatever header wrote it, and the message after it.

Forms seen from APs and controllers (RFC 3164 and 5424 on the wire, or as a syslog server or
the AP itself writes them to a file):

- `<134>1 1647478402.117 MR_device_2 events type=association ...` (RFC 5424; Meraki);
- `<30>Nov 30 09:00:01 U6-Lite-2F hostapd: ...`, `Jun  4 14:49:11 Aruba_MD3 stm[30085]: ...`;
- `<132>WLC001: *apfMsConnTask_6: Sep 06 ...: %APF-...` and `<190>201477: Jan 4 ...: %...`
  (Cisco: an optional sequence number, an optional host, then its own time stamp);
- `Mon Nov 30 09:00:01 2026 daemon.notice hostapd: ...` (OpenWrt `logread`: no host),
  `Nov 18 13:47:49 syslog: wlceventd...` (ASUS local log: no host).

The host is a best guess, used only to match an agent's `ap_names`; when unsure it is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PRI = re.compile(r"^<\d{1,3}>")
_RFC5424 = re.compile(r"^1 \S+ (\S+)(?: (.*))?$", re.S)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_WEEKDAY = re.compile(r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ")
_BSD_TIME = re.compile(
    rf"^\*?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?(?:{_MONTHS}) +\d{{1,2}} "
    r"\d\d:\d\d:\d\d(?:\.\d+)?(?: \d{4})?(?: [A-Z]{2,5})?:? ",
    re.I,
)
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S* ")
_CISCO_LEAD = re.compile(r"^(?:\d+: )?(?:([A-Za-z][\w.-]*): )?")
_HOST = re.compile(r"^[A-Za-z0-9][\w.-]*$")


@dataclass(frozen=True, slots=True)
class SyslogLine:
    """A line split into the host that sent it (when known) and the rest of it."""

    host: str | None
    message: str


def split_header(line: str) -> SyslogLine:
    """Strip the syslog header off `line`, keeping the sender's host name when there is one."""
    text = line.strip()
    pri = _PRI.match(text)
    if pri is not None:
        text = text[pri.end() :]
        rfc5424 = _RFC5424.match(text)
        if rfc5424 is not None:
            return SyslogLine(_host(rfc5424.group(1)), rfc5424.group(2) or "")
        cisco = _CISCO_LEAD.match(text)
        if cisco is not None and cisco.end() and not _BSD_TIME.match(text):
            return SyslogLine(_host(cisco.group(1)), text[cisco.end() :])
    weekday = _WEEKDAY.match(text) is not None
    stamp = _BSD_TIME.match(text) or _ISO_TIME.match(text)
    if stamp is None:
        return SyslogLine(None, text)
    rest = text[stamp.end() :]
    word, _, after = rest.partition(" ")
    if weekday or not after or not _HOST.match(word) or "," in word:
        return SyslogLine(None, rest)  # `daemon.notice`, `syslog:`, `wireless,info`: no host
    return SyslogLine(word, after)


def _host(word: str | None) -> str | None:
    if word is None or word == "-" or not _HOST.match(word):
        return None
    return word
