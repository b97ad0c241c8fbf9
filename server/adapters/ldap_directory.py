"""The city's LDAP / Active Directory through ldap3: bind as the person, read people and groups.

Every call opens its own connection (StartTLS or LDAPS verified against the configured CA),
so a directory that restarts or fails over needs nothing from us; a directory that does not
answer within the timeout raises `DirectoryUnreachable`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from server.directory_settings import LdapSettings
from server.domain.people import Role
from server.services.people import _STAFF_ID
from server.services.staff_directory import DirectoryEntry, DirectoryUnreachable

log = logging.getLogger(__name__)

# The highest role of a person in several mapped groups wins.
RANK = {Role.STAFF: 0, Role.FACILITIES: 1, Role.ADMIN: 2}
DEPARTMENT_MAX = 24  # people.department is String(24)


class LdapDirectory:
    """A `StaffDirectorySource` over one LDAP URL."""

    def __init__(self, settings: LdapSettings) -> None:
        if not settings.url:
            raise ValueError("FREESEAT_LDAP_URL is not set")
        self._settings = settings
        self.where = settings.url
        self.decides_roles = bool(settings.group_roles)

    def verify(self, staff_id: str, password: str) -> DirectoryEntry | None:
        """Find the person with the service account, then bind as them with `password`."""
        if not password or not _STAFF_ID.match(staff_id):
            return None
        s = self._settings
        with self._connection(s.bind_dn, s.bind_password) as service:
            found = self._search(
                service, s.base_dn, s.user_filter.format(staff_id=escape_filter_chars(staff_id))
            )
            if len(found) != 1:
                return None
            dn, attributes = found[0]
            entry = self._entry(service, dn, attributes)
            if entry is None or entry.disabled:
                return entry
            with self._connection(dn, password, check=False) as own:
                if not own.bound:
                    return None
        return entry

    def entries(self) -> list[DirectoryEntry]:
        """Everyone `people_filter` finds under the base DN, paged (AD serves 1000 a page)."""
        s = self._settings
        out = []
        with self._connection(s.bind_dn, s.bind_password) as service:
            for dn, attributes in self._search(service, s.base_dn, s.people_filter, paged=True):
                entry = self._entry(service, dn, attributes)
                if entry is not None:
                    out.append(entry)
        return out

    # -- reading entries ---------------------------------------------------------------------

    def _entry(
        self, conn: Connection, dn: str, attributes: Mapping[str, Any]
    ) -> DirectoryEntry | None:
        s = self._settings
        staff_id = _first(attributes, s.staff_id_attribute)
        if not staff_id or not _STAFF_ID.match(staff_id):
            log.warning("LDAP entry %s has no usable %s; skipped", dn, s.staff_id_attribute)
            return None
        raw_department = _first(attributes, s.department_attribute)
        department = s.departments.get(raw_department, raw_department) if raw_department else None
        if department is not None and len(department) > DEPARTMENT_MAX:
            log.warning(
                "LDAP department %r of %s is too long; map it in FREESEAT_LDAP_DEPARTMENTS",
                department,
                staff_id,
            )
            department = None
        disabled = bool(s.disabled_filter) and bool(
            self._search(conn, dn, str(s.disabled_filter), scope=BASE)
        )
        return DirectoryEntry(
            staff_id=staff_id,
            name=_first(attributes, s.name_attribute) or _first(attributes, "cn") or staff_id,
            name_ja=_first(attributes, s.name_ja_attribute) if s.name_ja_attribute else "",
            email=_first(attributes, s.email_attribute),
            department=department,
            role=self._role(conn, dn),
            disabled=disabled,
        )

    def _role(self, conn: Connection, dn: str) -> Role:
        role = Role.STAFF
        member = self._settings.group_member_filter.format(dn=escape_filter_chars(dn))
        for group, mapped in self._settings.group_roles.items():
            if RANK[mapped] > RANK[role] and self._search(conn, group, member, scope=BASE):
                role = mapped
        return role

    def _attributes(self) -> list[str]:
        s = self._settings
        wanted = [s.staff_id_attribute, s.name_attribute, "cn", s.email_attribute]
        wanted.append(s.department_attribute)
        if s.name_ja_attribute:
            wanted.append(s.name_ja_attribute)
        return wanted

    def _search(
        self,
        conn: Connection,
        base: str,
        search_filter: str,
        *,
        scope: Literal["BASE", "LEVEL", "SUBTREE"] = SUBTREE,
        paged: bool = False,
    ) -> list[tuple[str, Mapping[str, Any]]]:
        attributes = self._attributes() if scope == SUBTREE else ["1.1"]
        try:
            if paged:
                results = list(
                    conn.extend.standard.paged_search(
                        base, search_filter, SUBTREE, attributes=attributes, paged_size=500
                    )
                )
            else:
                conn.search(base, search_filter, scope, attributes=attributes, size_limit=0)
                results = list(conn.response or [])
        except LDAPException as exc:
            raise DirectoryUnreachable(self.where, f"search failed: {exc}") from None
        code = conn.result.get("result", 0) if conn.result else 0
        if code not in (0, 32):  # 32: noSuchObject, e.g. a group DN that is not there
            raise DirectoryUnreachable(
                self.where, f"search of {base} refused: {conn.result.get('description')}"
            )
        return [
            (str(r["dn"]), r.get("attributes") or {})
            for r in results
            if r.get("type") == "searchResEntry"
        ]

    # -- connections -------------------------------------------------------------------------

    def _server(self) -> Server:
        s = self._settings
        tls = Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=str(s.ca_file) if s.ca_file else None,
        )
        return Server(
            str(s.url),
            use_ssl=str(s.url).lower().startswith("ldaps://"),
            tls=tls,
            get_info=NONE,
            connect_timeout=s.timeout_s,
        )

    @contextmanager
    def _connection(
        self, user: str | None, password: Any, *, check: bool = True
    ) -> Iterator[Connection]:
        """A bound connection; `check=False` yields it unbound when the password is refused."""
        s = self._settings
        secret = password.get_secret_value() if hasattr(password, "get_secret_value") else password
        conn = Connection(
            self._server(),
            user=user,
            password=secret,
            # ldap3 packs it into a socket option: whole seconds only.
            receive_timeout=max(1, math.ceil(s.timeout_s)),
            read_only=True,
            auto_referrals=False,
        )
        try:
            try:
                conn.open()
                if s.start_tls and not conn.start_tls():
                    raise DirectoryUnreachable(self.where, f"StartTLS refused: {conn.result}")
                bound = conn.bind()
            except (LDAPException, OSError) as exc:
                raise DirectoryUnreachable(self.where, _reason(exc)) from None
            if not bound and check:
                raise DirectoryUnreachable(
                    self.where,
                    f"the service account {user or '(anonymous)'} was refused: "
                    f"{conn.result.get('description') if conn.result else '?'}",
                )
            yield conn
        finally:
            with contextlib.suppress(LDAPException, OSError):  # the socket may be gone already
                conn.unbind()


def _first(attributes: Mapping[str, Any], name: str | None) -> str:
    """The first value of an attribute, matched without regard to case; '' when absent."""
    if not name:
        return ""
    wanted = name.lower()
    for key, value in attributes.items():
        if key.lower() == wanted:
            if isinstance(value, list | tuple):
                value = value[0] if value else ""
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            return str(value).strip()
    return ""


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "certificate" in text.lower() or "ssl" in text.lower():
        return f"TLS failed (is FREESEAT_LDAP_CA_FILE the directory's CA?): {text}"
    return text
