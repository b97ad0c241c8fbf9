"""The people capability as the server holds it: directory, session signer, sign-in throttle."""

import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from server.adapters.people_repository import Argon2Hasher, SqlPeopleStore
from server.adapters.session_signer import SessionSigner
from server.composition.directory import (
    SsoParts,
    directory_providers,
    personal_tokens,
    single_sign_on,
)
from server.services.people import (
    DEMO_OPERATORS,
    DemoPicker,
    Directory,
    IdentityProvider,
    LocalAccounts,
    parse_staff_csv,
)
from server.services.personal_tokens import PersonalTokens
from server.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class SignInThrottle:
    """At most `limit` failed sign-ins per staff id within `window`; then 429 until it passes."""

    limit: int = 10
    window: timedelta = timedelta(minutes=5)
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)

    def blocked(self, staff_id: str, now: datetime) -> bool:
        recent = self._failures.get(staff_id)
        if not recent:
            return False
        while recent and now - recent[0] > self.window:
            recent.popleft()
        return len(recent) >= self.limit

    def failed(self, staff_id: str, now: datetime) -> None:
        if len(self._failures) > 100_000:  # bounded memory under a spray of made-up ids
            self._failures.clear()
        self._failures.setdefault(staff_id, deque()).append(now)

    def succeeded(self, staff_id: str) -> None:
        self._failures.pop(staff_id, None)


@dataclass
class Accounts:
    """What the sign-in routes and the `current_person` dependency need."""

    directory: Directory
    local: LocalAccounts
    signer: SessionSigner
    demo_mode: bool
    cookie_secure: bool
    tokens: PersonalTokens | None = None
    sso: SsoParts | None = None
    throttle: SignInThrottle = field(default_factory=SignInThrottle)


def open_accounts(settings: Settings, engine: Engine) -> Accounts:
    """Build the directory; in demo mode load the demo staff (and two operators) once."""
    store = SqlPeopleStore(engine)
    local = LocalAccounts(store, Argon2Hasher())
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
    return Accounts(
        directory=Directory(store, providers),
        local=local,
        signer=SessionSigner(secret, settings.session_max_age_s),
        demo_mode=settings.demo_mode,
        cookie_secure=settings.cookie_secure,
        tokens=personal_tokens(engine),
        sso=single_sign_on(settings, engine, store, secret),
    )
