"""The city's-IT parts: directory sign-in, single sign-on, personal tokens, staff sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from firmware_config.site import Site
from server.adapters.caldav_calendar import CaldavRoomCalendars
from server.adapters.calendar_link_store import SqlCalendarLinks
from server.adapters.ldap_directory import LdapDirectory
from server.adapters.oidc_client import OidcClient, PendingSignIns
from server.adapters.room_repository import SqlRoomStore
from server.adapters.staff_lifecycle_store import SqlStaffLifecycle
from server.adapters.token_store import SqlTokenStore
from server.services.calendar_sync import CalendarSync
from server.services.people import IdentityProvider, PeopleStore
from server.services.personal_tokens import PersonalTokens
from server.services.ports import Clock
from server.services.single_sign_on import ClaimRules, SingleSignOn
from server.services.staff_directory import DirectorySignIn, StaffSync
from server.settings import Settings


def directory_providers(
    settings: Settings, engine: Engine, people: PeopleStore
) -> list[IdentityProvider]:
    """Sign-in providers beyond local accounts: the LDAP / AD directory when configured."""
    if not settings.ldap.enabled:
        return []
    return [DirectorySignIn(LdapDirectory(settings.ldap), SqlStaffLifecycle(engine), people)]


def personal_tokens(engine: Engine) -> PersonalTokens:
    return PersonalTokens(SqlTokenStore(engine))


@dataclass(frozen=True)
class SsoParts:
    """What the single sign-on routes need."""

    client: OidcClient
    people: SingleSignOn
    pending: PendingSignIns
    redirect_url: str | None


def single_sign_on(
    settings: Settings, engine: Engine, people: PeopleStore, secret: bytes
) -> SsoParts | None:
    """OpenID Connect when FREESEAT_OIDC_ISSUER is set; `secret` signs sign-ins in progress."""
    oidc = settings.oidc
    if not oidc.enabled:
        return None
    rules = ClaimRules(
        staff_id_claim=oidc.staff_id_claim,
        department_claim=oidc.department_claim,
        groups_claim=oidc.groups_claim,
        group_roles=dict(oidc.group_roles),
        departments=dict(oidc.departments),
    )
    return SsoParts(
        client=OidcClient(oidc),
        people=SingleSignOn(rules, SqlStaffLifecycle(engine), people),
        pending=PendingSignIns(secret),
        redirect_url=oidc.redirect_url,
    )


def staff_sync(settings: Settings) -> StaffSync:
    """`freeseat staff sync` over the configured directory and database (schema upgraded)."""
    from server.adapters.database import make_engine, upgrade

    if not settings.ldap.enabled:
        raise DirectoryNotConfigured(
            "no directory is configured: set FREESEAT_LDAP_URL, FREESEAT_LDAP_BASE_DN and the "
            "service account (FREESEAT_LDAP_BIND_DN / _BIND_PASSWORD); see "
            "docs/deployment-directory.md"
        )
    from server.adapters.system_clock import SystemClock
    from server.composition.accounts import account_admin

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    admin = account_admin(settings, engine, SystemClock())
    return StaffSync(
        LdapDirectory(settings.ldap),
        SqlStaffLifecycle(engine),
        on_disabled=lambda leavers: admin.disabled_elsewhere(leavers, "staff sync"),
    )


class DirectoryNotConfigured(RuntimeError):
    """A directory command ran without FREESEAT_LDAP_URL; the message says what to set."""


def room_calendar_sync(
    settings: Settings, site: Site, engine: Engine, clock: Clock
) -> CalendarSync | None:
    """Two-way sync of every room with its CalDAV calendar, when FREESEAT_CALDAV_* is set."""
    caldav = settings.caldav
    if not caldav.enabled:
        return None
    names = {room.id: room.name for floor in site.floors() for room in floor.rooms}
    zone = ZoneInfo(site.site.timezone)
    return CalendarSync(
        [room for room in names if caldav.calendar_url(room)],
        SqlRoomStore(engine),
        CaldavRoomCalendars(caldav, names),
        SqlCalendarLinks(engine),
        SqlStaffLifecycle(engine),
        clock,
        horizon=timedelta(days=caldav.horizon_days),
        local=lambda when: when.astimezone(zone),
    )
