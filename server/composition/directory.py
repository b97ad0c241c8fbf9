"""The city's-IT parts: directory sign-in, single sign-on, personal tokens, staff sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from server.adapters.ldap_directory import LdapDirectory
from server.adapters.staff_lifecycle_store import SqlStaffLifecycle
from server.adapters.token_store import SqlTokenStore
from server.services.people import IdentityProvider, PeopleStore
from server.services.personal_tokens import PersonalTokens
from server.services.staff_directory import DirectorySignIn, StaffSync
from server.settings import Settings

if TYPE_CHECKING:
    from server.adapters.oidc_client import OidcClient


def directory_providers(
    settings: Settings, engine: Engine, people: PeopleStore
) -> list[IdentityProvider]:
    """Sign-in providers beyond local accounts: the LDAP / AD directory when configured."""
    if not settings.ldap.enabled:
        return []
    return [DirectorySignIn(LdapDirectory(settings.ldap), SqlStaffLifecycle(engine), people)]


def personal_tokens(engine: Engine) -> PersonalTokens:
    return PersonalTokens(SqlTokenStore(engine))


def oidc_client(settings: Settings) -> OidcClient | None:
    """The OpenID Connect client when FREESEAT_OIDC_ISSUER is set."""
    if not settings.oidc.enabled:
        return None
    from server.adapters.oidc_client import OidcClient

    return OidcClient(settings.oidc)


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
