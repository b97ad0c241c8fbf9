"""The sign-in throttle over failures kept in the database (shared by every replica).

The policy and its arithmetic are in server.domain.sign_in_throttle; this applies it to the
failures the store holds, for one client: a staff id as typed, the address it came from, and
the browser's known-device mark (empty when it has none for that id).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from server.domain.sign_in_throttle import (
    FailureCount,
    ThrottlePolicy,
    client_wait,
    site_wait,
)


@dataclass(frozen=True, slots=True)
class SignInClient:
    """Who is trying to sign in, as far as the throttle can tell."""

    staff_id: str
    address: str
    device: str = ""

    @property
    def known(self) -> bool:
        """This browser signed in as this person before (it holds their device mark)."""
        return bool(self.device)


class FailureStore(Protocol):
    def client_failures(self, client: SignInClient, since: datetime) -> FailureCount: ...
    def site_failures(self, since: datetime) -> FailureCount: ...
    def add_failure(self, client: SignInClient, at: datetime) -> None: ...
    def clear_failures(self, client: SignInClient) -> None: ...
    def purge_failures(self, before: datetime) -> int: ...


class SignInGuard:
    """Says how long a client must wait, and records how its attempts went."""

    def __init__(self, store: FailureStore, policy: ThrottlePolicy | None = None) -> None:
        self._store = store
        self.policy = policy or ThrottlePolicy()

    def wait(self, client: SignInClient, now: datetime) -> timedelta:
        """How long `client` must still wait before its password is checked (0: go ahead)."""
        policy = self.policy
        mine = client_wait(self._store.client_failures(client, now - policy.window), now, policy)
        if client.known:
            return mine
        site = site_wait(self._store.site_failures(now - policy.site_window), now, policy)
        return max(mine, site)

    def failed(self, client: SignInClient, now: datetime) -> None:
        self._store.add_failure(client, now)

    def succeeded(self, client: SignInClient) -> None:
        self._store.clear_failures(client)

    def purge(self, now: datetime) -> int:
        """Forget failures no window looks at any more."""
        return self._store.purge_failures(now - max(self.policy.window, self.policy.site_window))
