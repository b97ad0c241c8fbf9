"""Helpers for the city's-IT tests: settings pointing at the test servers, a running freeseat."""

from pathlib import Path

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
