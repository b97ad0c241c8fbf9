"""The city's-IT parts: directory sign-in, single sign-on, personal tokens, staff sync."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from server.adapters.ldap_directory import LdapDirectory
from server.adapters.oidc_client import OidcClient, PendingSignIns
from server.adapters.staff_lifecycle_store import SqlStaffLifecycle
from server.adapters.token_store import SqlTokenStore
from server.services.people import IdentityProvider, PeopleStore
from server.services.personal_tokens import PersonalTokens
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
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    return StaffSync(LdapDirectory(settings.ldap), SqlStaffLifecycle(engine))


class DirectoryNotConfigured(RuntimeError):
    """A directory command ran without FREESEAT_LDAP_URL; the message says what to set."""
