"""The people capability as the server holds it: directory, sessions, sign-in throttle, audit."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, inspect

from server.adapters.database import make_engine
from server.adapters.people_repository import Argon2Hasher, SqlPeopleStore
from server.adapters.security_store import SqlSecurityStore
from server.adapters.session_signer import SessionSigner
from server.composition.directory import (
    SsoParts,
    directory_providers,
    personal_tokens,
    single_sign_on,
)
from server.services.account_admin import AccountAdmin
from server.services.people import (
    DEMO_OPERATORS,
    DemoPicker,
    Directory,
    IdentityProvider,
    LocalAccounts,
    parse_staff_csv,
)
from server.services.personal_tokens import PersonalTokens
from server.services.ports import Clock
from server.services.security_audit import SecurityAudit
from server.services.sessions import Sessions
from server.services.sign_in import SignInGuard
from server.settings import Settings

log = logging.getLogger(__name__)


class RealAccountsInDemo(RuntimeError):
    """Demo mode was asked for on a database with real accounts; the message says what to do."""


@dataclass
class Accounts:
    """What the sign-in routes and the `current_person` dependency need."""

    directory: Directory
    local: LocalAccounts
    signer: SessionSigner
    demo_mode: bool
    cookie_secure: bool
    sessions: Sessions
    guard: SignInGuard
    audit: SecurityAudit
    admin: AccountAdmin
    tokens: PersonalTokens | None = None
    sso: SsoParts | None = None


def security_parts(
    settings: Settings, engine: Engine, clock: Clock
) -> tuple[Sessions, SignInGuard, SecurityAudit]:
    """Sessions, the sign-in throttle and the audit log over one database."""
    store = SqlSecurityStore(engine)
    audit = SecurityAudit(store, clock, timedelta(days=settings.security_audit_retention_days))
    return Sessions(store, audit, settings.session_check_s), SignInGuard(store), audit


def account_admin(settings: Settings, engine: Engine, clock: Clock) -> AccountAdmin:
    """Password, role and disabling changes that end sessions and are audited."""
    store = SqlPeopleStore(engine)
    sessions, _, audit = security_parts(settings, engine, clock)
    local = LocalAccounts(store, Argon2Hasher())
    return AccountAdmin(store, local, sessions, audit, clock, personal_tokens(engine))


def check_demo_database(settings: Settings, store: SqlPeopleStore | None = None) -> None:
    """Refuse demo mode on a database that holds real accounts, unless that is meant.

    Without `store` it looks at `settings.database_url` itself (before anything is migrated).
    """
    if not settings.demo_mode or settings.demo_with_real_accounts:
        return
    if store is not None:
        real = store.real_accounts()
    else:
        engine = make_engine(settings.database_url)
        try:
            has_people = inspect(engine).has_table("people")
            real = SqlPeopleStore(engine).real_accounts() if has_people else 0
        finally:
            engine.dispose()
    if real:
        raise RealAccountsInDemo(
            f"demo mode is on (FREESEAT_DEMO_MODE) but the database holds {real} real "
            "account(s): demo mode lets visitors sign in without a password, so it does not "
            "start next to them. Unset FREESEAT_DEMO_MODE, use another database, or set "
            "FREESEAT_DEMO_WITH_REAL_ACCOUNTS=true (real accounts keep needing their passwords)"
        )


def open_accounts(settings: Settings, engine: Engine, clock: Clock) -> Accounts:
    """Build the directory; in demo mode load the demo staff (and two operators) once."""
    store = SqlPeopleStore(engine)
    check_demo_database(settings, store)
    local = LocalAccounts(store, Argon2Hasher(settings.sign_in_hashing))
    # Local accounts first: an admin's local password works while the directory is down.
    providers: list[IdentityProvider] = [local, *directory_providers(settings, engine, store)]
    if settings.demo_mode:
        providers.append(DemoPicker(store))
        if not store.search("", 1, demo_only=True):
            from firmware_config.paths import demo_staff_path

            path = demo_staff_path()
            # Not checked against the site's departments: demo mode may run on any site.
            people = parse_staff_csv(path.read_text(encoding="utf-8"), str(path))
            store.upsert([*people, *DEMO_OPERATORS], demo=True)
            log.info("demo mode: loaded %d demo people from %s", len(people), path)
    if settings.session_secret:
        secret = settings.session_secret.get_secret_value().encode()
    else:
        # Sessions then last as long as this process; replicas must share a configured secret.
        secret = secrets.token_bytes(32)
    sessions, guard, audit = security_parts(settings, engine, clock)
    tokens = personal_tokens(engine)
    return Accounts(
        directory=Directory(store, providers),
        local=local,
        signer=SessionSigner(secret, settings.session_max_age_s),
        demo_mode=settings.demo_mode,
        cookie_secure=settings.cookie_secure,
        sessions=sessions,
        guard=guard,
        audit=audit,
        admin=AccountAdmin(store, local, sessions, audit, clock, tokens),
        tokens=tokens,
        sso=single_sign_on(settings, engine, store, secret),
    )
