"""The security audit log over HTTP (facilities and admins), and its retention on the ticker.

- `GET /api/security/audit?since=&until=&event=&staff_id=&limit=` -> entries, newest first:
  `{at, event, subject, actor, address, detail}`. Events: sign_in_succeeded, sign_in_failed,
  signed_out, sessions_ended, password_changed, role_changed, person_disabled, person_enabled.
"""

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel

from server.api.deps import runtime
from server.composition.runtime import Runtime
from server.services.security_audit import AuditEntry, SecurityEvent

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/security", tags=["security"])
Rt = Annotated[Runtime, Depends(runtime)]
# Purging is cheap and nothing waits for it: once an hour is plenty.
RETENTION_EVERY = timedelta(hours=1)


class AuditEntryOut(BaseModel):
    at: datetime
    event: SecurityEvent
    subject: str | None
    actor: str | None
    address: str | None
    detail: str

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        return cls(
            at=entry.at,
            event=entry.event,
            subject=entry.subject,
            actor=entry.actor,
            address=entry.address,
            detail=entry.detail,
        )


@router.get(
    "/audit",
    responses={401: {"description": "Not signed in"}, 403: {"description": "Facilities only"}},
)
async def security_audit(
    rt: Rt,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    event: SecurityEvent | None = None,
    staff_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntryOut]:
    """Sign-ins, sign-outs, session ends and account changes: who, when, from where (default:
    the last 7 days)."""
    now = rt.clock.now()
    entries = await asyncio.to_thread(
        rt.accounts.audit.read,
        since or now - timedelta(days=7),
        until,
        event=event,
        staff_id=staff_id,
        limit=limit,
    )
    return [AuditEntryOut.of(e) for e in entries]


async def run_jobs_forever(rt: Runtime) -> None:
    """On the ticker: delete audit entries past their retention, ended sessions and old
    sign-in failures."""
    last: datetime | None = None
    while True:
        await asyncio.sleep(rt.settings.sweep_interval_s)
        now = rt.clock.now()
        if not rt.runs_ticker or (last is not None and now - last < RETENTION_EVERY):
            continue
        last = now
        accounts = rt.accounts
        try:
            entries = await asyncio.to_thread(accounts.audit.enforce_retention, now)
            sessions = await asyncio.to_thread(accounts.sessions.purge, now - timedelta(days=1))
            failures = await asyncio.to_thread(accounts.guard.purge, now)
        except Exception:
            log.exception("security retention failed; retrying next interval")
            continue
        if entries or sessions or failures:
            log.info(
                "security retention: %d audit entries, %d sessions, %d failures deleted",
                entries,
                sessions,
                failures,
            )
