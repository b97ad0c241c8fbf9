"""Helpers for the city's-IT tests: settings pointing at the test servers, a running freeseat."""

import re
from pathlib import Path
from urllib.parse import urljoin

import httpx

from server.directory_settings import LdapSettings
from server.domain.people import Role
from tests.directory.servers import (
    ADMINS_GROUP,
    FACILITIES_GROUP,
    PEOPLE_DN,
    SERVICE_DN,
    SERVICE_PASSWORD,
    Slapd,
)


def ldap_settings(slapd: Slapd, *, tls: str = "starttls", ca: Path | None = None) -> LdapSettings:
    """The directory as the city's IT would describe it to freeseat (StartTLS by default)."""
    url = {"starttls": slapd.url, "ldaps": slapd.tls_url, "plain": slapd.url}[tls]
    return LdapSettings(
        url=url,
        start_tls=tls == "starttls",
        ca_file=ca if ca is not None else slapd.ca.ca_cert,
        bind_dn=SERVICE_DN,
        bind_password=SERVICE_PASSWORD,
        base_dn=PEOPLE_DN,
        disabled_filter="(pwdAccountLockedTime=*)",
        departments={"welfare": "welfare", "tax": "tax"},
        group_roles={FACILITIES_GROUP: Role.FACILITIES, ADMINS_GROUP: Role.ADMIN},
        timeout_s=5,
    )


def try_sign_in(client: httpx.Client, staff_id: str, password: str | None) -> httpx.Response:
    """POST /api/session as the sign-in form does (CSRF token first); keeps the cookies."""
    token = client.get("/api/session").json()["csrf_token"]
    body = {"staff_id": staff_id} | ({"password": password} if password is not None else {})
    response = client.post("/api/session", json=body, headers={"X-CSRF-Token": token})
    if response.status_code == 200:
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return response


class CalendarClient:
    """What a person's calendar app does to a room calendar over CalDAV: add, edit, delete."""

    def __init__(self, calendar_url: str, user: str, password: str) -> None:
        self.url = calendar_url
        self._http = httpx.Client(auth=(user, password), timeout=15)

    def close(self) -> None:
        self._http.close()

    def make_calendar(self) -> None:
        """What the city's IT does once per room: a calendar collection."""
        self._http.request("PROPFIND", self.url.rsplit("/", 2)[0] + "/", headers={"Depth": "0"})
        made = self._http.request("MKCALENDAR", self.url)
        assert made.status_code == 201, made.text

    def put(
        self,
        uid: str,
        *,
        summary: str,
        start: str,
        end: str,
        extra: str = "",
        organizer: str = "tanaka@cityhall.example",
        sequence: int = 0,
    ) -> None:
        """An event with local Tokyo times (e.g. 20261201T150000), as clients write them."""
        text = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Calendar app//EN\r\n"
            "BEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261129T000000Z\r\nSEQUENCE:{sequence}\r\n"
            f"SUMMARY:{summary}\r\n"
            f"DTSTART;TZID=Asia/Tokyo:{start}\r\nDTEND;TZID=Asia/Tokyo:{end}\r\n"
            f"ORGANIZER;CN=Organiser:mailto:{organizer}\r\n"
            "ATTENDEE;CN=Guest:mailto:guest@example.org\r\n"
            f"{extra}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        response = self._http.put(
            f"{self.url}{uid}.ics",
            content=text.encode(),
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )
        assert response.status_code in (201, 204), response.text

    def delete(self, href_or_uid: str) -> None:
        url = href_or_uid if href_or_uid.startswith("http") else f"{self.url}{href_or_uid}.ics"
        assert self._http.delete(url).status_code in (200, 204)

    def events(self) -> dict[str, dict[str, str]]:
        """Every event of the calendar: UID -> its properties (first value each), plus href."""
        import icalendar

        listing = self._http.request("PROPFIND", self.url, headers={"Depth": "1"})
        assert listing.status_code == 207, listing.text
        hrefs = [h for h in re.findall(r"<[^>]*href>([^<]+)</", listing.text) if h.endswith(".ics")]
        out = {}
        for href in hrefs:
            body = self._http.get(urljoin(self.url, href)).text
            for component in icalendar.Calendar.from_ical(body).walk("VEVENT"):
                props = {k: _ical(component[k]) for k in component}
                props["href"] = urljoin(self.url, href)
                props["raw"] = body
                out[str(component["UID"])] = props
        return out


def _ical(value: object) -> str:
    if isinstance(value, list):
        return ",".join(_ical(v) for v in value)
    to_ical = getattr(value, "to_ical", None)
    return to_ical().decode() if to_ical else str(value)
