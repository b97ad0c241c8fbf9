"""Room calendars on a CalDAV server (RFC 4791): one calendar collection per room.

Reads with a time-range `calendar-query` REPORT (recurring events come back once, as stored),
writes with PUT guarded by `If-Match` / `If-None-Match: *`, so a change a calendar client made
meanwhile is never overwritten blindly. Events are parsed and written with `icalendar`; a
rewrite starts from the event as the server had it, so what freeseat does not manage
(attendees, alarms, a client's own properties) is kept.
"""

from __future__ import annotations

import logging
import ssl
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
import icalendar

from server.directory_settings import CaldavSettings
from server.services.calendar_ports import (
    CalendarEvent,
    CalendarUnreachable,
    EventChanged,
    EventDraft,
)

log = logging.getLogger(__name__)

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
PRODID = "-//freeseat//room calendars//EN"
BOOKING_PROPERTY = "X-FREESEAT-BOOKING"
DECLINED_PROPERTY = "X-FREESEAT-DECLINED"
QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>{name}</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""


class CaldavRoomCalendars:
    """`RoomCalendars` over CalDAV (FREESEAT_CALDAV_*)."""

    def __init__(self, settings: CaldavSettings, room_names: dict[str, str] | None = None) -> None:
        self._settings = settings
        self._names = room_names or {}
        verify: ssl.SSLContext | bool = True
        if settings.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(settings.ca_file))
        auth = None
        if settings.username:
            secret = settings.password.get_secret_value() if settings.password else ""
            auth = httpx.BasicAuth(settings.username, secret)
        self._http = httpx.Client(timeout=settings.timeout_s, verify=verify, auth=auth)
        self._ready: set[str] = set()

    def close(self) -> None:
        self._http.close()

    def has_calendar(self, room: str) -> bool:
        return self._settings.calendar_url(room) is not None

    # -- reading -----------------------------------------------------------------------------

    def events(self, room: str, start: datetime, end: datetime) -> list[CalendarEvent]:
        url = self._collection(room)
        body = QUERY.format(start=_utc_text(start), end=_utc_text(end))
        response = self._send(
            room,
            "REPORT",
            url,
            content=body.encode(),
            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        )
        if response.status_code != 207:
            raise CalendarUnreachable(room, f"REPORT answered {response.status_code}")
        out = []
        for href, etag, data in _multistatus(response.content):
            try:
                event = _event(urljoin(url, href), etag, data)
            except (ValueError, KeyError) as exc:
                log.warning("room %s: event %s cannot be read (%s); left alone", room, href, exc)
                continue
            if event is not None:
                out.append(event)
        return out

    # -- writing -----------------------------------------------------------------------------

    def put(self, room: str, draft: EventDraft, existing: CalendarEvent | None) -> tuple[str, str]:
        if existing is not None:
            href = existing.href
            headers = {"If-Match": existing.etag}
            text = _rewritten(existing.raw, draft)
        else:
            href = urljoin(self._collection(room), quote(draft.uid, safe="@.-_") + ".ics")
            headers = {"If-None-Match": "*"}
            text = _created(draft)
        headers["Content-Type"] = "text/calendar; charset=utf-8"
        response = self._send(room, "PUT", href, content=text.encode(), headers=headers)
        if response.status_code == 412:
            raise EventChanged(href)
        if response.status_code not in (200, 201, 204):
            raise CalendarUnreachable(room, f"PUT {href} answered {response.status_code}")
        etag = response.headers.get("ETag") or self._etag(room, href)
        return href, str(etag)

    def delete(self, room: str, event: CalendarEvent) -> None:
        response = self._send(room, "DELETE", event.href, headers={"If-Match": event.etag})
        if response.status_code == 412:
            raise EventChanged(event.href)
        if response.status_code not in (200, 204, 404):
            raise CalendarUnreachable(room, f"DELETE {event.href} answered {response.status_code}")

    # -- plumbing ----------------------------------------------------------------------------

    def _collection(self, room: str) -> str:
        url = self._settings.calendar_url(room)
        if url is None:
            raise CalendarUnreachable(room, "no calendar configured for this room")
        url = url if url.endswith("/") else url + "/"
        if url not in self._ready:
            self._ensure(room, url)
            self._ready.add(url)
        return url

    def _ensure(self, room: str, url: str) -> None:
        """Make the room's calendar when the server does not have it (if the account may)."""
        found = self._send(room, "PROPFIND", url, headers={"Depth": "0"})
        if found.status_code != 404:
            return
        name = self._names.get(room, room)
        made = self._send(
            room,
            "MKCALENDAR",
            url,
            content=MKCALENDAR.format(name=_xml_text(name)).encode(),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        if made.status_code not in (200, 201):
            raise CalendarUnreachable(room, f"the calendar {url} is missing and MKCALENDAR failed")
        log.info("made the calendar of room %s at %s", room, url)

    def _etag(self, room: str, href: str) -> str:
        response = self._send(room, "HEAD", href)
        return str(response.headers.get("ETag", ""))

    def _send(self, room: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise CalendarUnreachable(room, f"{method} {urlsplit(url).path}: {exc}") from None
        if response.status_code in (401, 403):
            raise CalendarUnreachable(
                room,
                f"{method} refused ({response.status_code}): check "
                "FREESEAT_CALDAV_USERNAME / _PASSWORD and its rights",
            )
        return response


def _multistatus(content: bytes) -> list[tuple[str, str, str]]:
    root = ET.fromstring(content)
    found = []
    for response in root.iter(f"{{{DAV}}}response"):
        href = response.findtext(f"{{{DAV}}}href") or ""
        etag = ""
        data = ""
        for propstat in response.iter(f"{{{DAV}}}propstat"):
            etag = propstat.findtext(f".//{{{DAV}}}getetag") or etag
            data = propstat.findtext(f".//{{{CALDAV}}}calendar-data") or data
        if href and data:
            found.append((href, etag, data))
    return found


def _event(href: str, etag: str, data: str) -> CalendarEvent | None:
    """The master VEVENT of a calendar object (overridden occurrences are not synced)."""
    calendar = icalendar.Calendar.from_ical(data)
    masters = [c for c in calendar.walk("VEVENT") if c.get("RECURRENCE-ID") is None]
    if not masters:
        return None
    event = masters[0]
    start = event.decoded("DTSTART")
    if "DTEND" in event:
        end = event.decoded("DTEND")
    elif "DURATION" in event:
        end = start + event.decoded("DURATION")
    else:
        end = start
    all_day = not isinstance(start, datetime)
    if all_day:
        start, end = _midnight(start), _midnight(end)
    organizer = event.get("ORGANIZER")
    email = ""
    name = ""
    if organizer is not None:
        email = str(organizer).removeprefix("mailto:").removeprefix("MAILTO:")
        if "@" not in email:
            email = ""
        name = str(organizer.params.get("CN", ""))
    rrule = event.get("RRULE")
    return CalendarEvent(
        href=href,
        etag=etag,
        uid=str(event.get("UID", "")),
        title=str(event.get("SUMMARY", "")),
        starts_at=_aware(start),
        ends_at=_aware(end),
        rrule=rrule.to_ical().decode() if rrule is not None else None,
        exdates=tuple(_aware(d) for d in _dates(event, "EXDATE")),
        rdates=tuple(_aware(d) for d in _dates(event, "RDATE")),
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
        organizer_email=email.lower(),
        organizer_name=name,
        booking_key=str(event[BOOKING_PROPERTY]) if BOOKING_PROPERTY in event else None,
        declined=str(event[DECLINED_PROPERTY]) if DECLINED_PROPERTY in event else None,
        all_day=all_day,
        raw=data,
    )


def _dates(event: icalendar.Component, name: str) -> list[datetime]:
    values = event.get(name)
    if values is None:
        return []
    out = []
    for value in values if isinstance(values, list) else [values]:
        for item in value.dts:
            when = item.dt
            if isinstance(when, datetime):
                out.append(when)
    return out


def _created(draft: EventDraft) -> str:
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    event = icalendar.Event()
    event.add("UID", draft.uid)
    event.add("DTSTAMP", datetime.now(UTC))
    _apply(event, draft)
    calendar.add_component(event)
    return str(calendar.to_ical().decode())


def _rewritten(raw: str, draft: EventDraft) -> str:
    calendar = icalendar.Calendar.from_ical(raw)
    for event in calendar.walk("VEVENT"):
        if event.get("RECURRENCE-ID") is None:
            was_declined = DECLINED_PROPERTY in event
            _apply(event, draft)
            if was_declined and not draft.declined and not draft.description:
                event.pop("DESCRIPTION", None)
            break
    return str(calendar.to_ical().decode())


def _apply(event: icalendar.Component, draft: EventDraft) -> None:
    """Set what freeseat manages on `event`, replacing what was there."""
    for name in (
        "SUMMARY",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "EXDATE",
        "RDATE",
        "STATUS",
        BOOKING_PROPERTY,
        DECLINED_PROPERTY,
    ):
        event.pop(name, None)
    event.add("SUMMARY", draft.title)
    event.add("DTSTART", draft.starts_at.astimezone(UTC))
    event.add("DTEND", draft.ends_at.astimezone(UTC))
    if draft.rrule:
        event.add("RRULE", icalendar.vRecur.from_ical(draft.rrule))
    for name, values in (("EXDATE", draft.exdates), ("RDATE", draft.rdates)):
        if values:
            event.add(name, [v.astimezone(UTC) for v in values])
    event.add("STATUS", "CANCELLED" if draft.cancelled else "CONFIRMED")
    sequence = int(event.get("SEQUENCE", 0)) + 1
    event.pop("SEQUENCE", None)
    event.add("SEQUENCE", sequence)
    event.pop("LAST-MODIFIED", None)
    event.add("LAST-MODIFIED", datetime.now(UTC))
    if draft.description:
        event.pop("DESCRIPTION", None)
        event.add("DESCRIPTION", draft.description)
    if draft.location and "LOCATION" not in event:
        event.add("LOCATION", draft.location)
    if draft.organizer_name and "ORGANIZER" not in event:
        organizer = icalendar.vCalAddress(
            f"mailto:{draft.organizer_email}" if draft.organizer_email else "urn:freeseat:host"
        )
        organizer.params["CN"] = draft.organizer_name
        event.add("ORGANIZER", organizer)
    if draft.booking_key:
        event.add(BOOKING_PROPERTY, draft.booking_key)
    if draft.declined:
        event.add(DECLINED_PROPERTY, draft.declined)


def _aware(when: datetime) -> datetime:
    # A floating time (no zone) is read as UTC; calendar clients write zones or UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _utc_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
