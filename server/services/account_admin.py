"""Account changes that must end the person's sessions and leave an audit entry.

A changed password, a changed role or a disabled person must not keep a session that was
opened under the old facts: each change here ends every session of that person (on every
replica, see server.services.sessions) and records who did it. A changed password, a disabled
person and "sign out everywhere" also revoke the person's personal tokens (laptops), which may
have been issued to whoever knew the old password.
"""

from server.domain.people import Role
from server.services.people import LocalAccounts, PeopleStore
from server.services.personal_tokens import PersonalTokens
from server.services.ports import Clock
from server.services.security_audit import SecurityAudit, SecurityEvent
from server.services.sessions import Sessions


class AccountAdmin:
    """Passwords, roles, disabling and signing someone out everywhere."""

    def __init__(
        self,
        store: PeopleStore,
        local: LocalAccounts,
        sessions: Sessions,
        audit: SecurityAudit,
        clock: Clock,
        tokens: PersonalTokens | None = None,
    ) -> None:
        self._store = store
        self._local = local
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self._tokens = tokens

    def set_password(self, staff_id: str, password: str, actor: str) -> bool:
        """Set a local password; raises ValueError for a too-short one; False: unknown id."""
        if not self._local.set_password(staff_id, password):
            return False
        self._audit.record(SecurityEvent.PASSWORD_CHANGED, subject=staff_id, actor=actor)
        self._end_sessions(staff_id, "password changed", actor, tokens=True)
        return True

    def set_role(self, staff_id: str, role: Role, actor: str) -> bool:
        before = self._store.person(staff_id)
        if not self._store.set_role(staff_id, role):
            return False
        was = before.role.value if before else "?"
        self._audit.record(
            SecurityEvent.ROLE_CHANGED, subject=staff_id, actor=actor, detail=f"{was} -> {role}"
        )
        self._end_sessions(staff_id, "role changed", actor)
        return True

    def disable(self, staff_id: str, actor: str) -> bool:
        """The person can no longer sign in, and their sessions end; their history stays."""
        if not self._store.set_disabled(staff_id, self._clock.now()):
            return False
        self._audit.record(SecurityEvent.PERSON_DISABLED, subject=staff_id, actor=actor)
        self._end_sessions(staff_id, "person disabled", actor, tokens=True)
        return True

    def disabled_elsewhere(self, staff_ids: list[str], actor: str) -> None:
        """People another part disabled (the directory sync's leavers): audited, signed out."""
        for staff_id in staff_ids:
            self._audit.record(SecurityEvent.PERSON_DISABLED, subject=staff_id, actor=actor)
            self._end_sessions(staff_id, "person disabled", actor, tokens=True)

    def enable(self, staff_id: str, actor: str) -> bool:
        if not self._store.set_disabled(staff_id, None):
            return False
        self._audit.record(SecurityEvent.PERSON_ENABLED, subject=staff_id, actor=actor)
        return True

    def sign_out_everywhere(self, staff_id: str, actor: str) -> int:
        """End every session and personal token of `staff_id` (a lost laptop); returns how
        many sessions ended."""
        return self._end_sessions(staff_id, "signed out everywhere", actor, tokens=True)

    def _end_sessions(self, staff_id: str, reason: str, actor: str, *, tokens: bool = False) -> int:
        now = self._clock.now()
        if tokens and self._tokens is not None:
            revoked = self._tokens.revoke_all(staff_id, now)
            if revoked:
                self._audit.record(
                    SecurityEvent.SESSIONS_ENDED,
                    subject=staff_id,
                    actor=actor,
                    detail=f"{revoked} personal token(s): {reason}",
                )
        return self._sessions.end_all_of(staff_id, now, reason, actor)
