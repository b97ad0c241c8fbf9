"""Working remotely today over HTTP (signed in; PUT and DELETE need `X-CSRF-Token`).

- `GET /api/me/remote` — `{"day": "YYYY-MM-DD", "remote": bool}` for today (site time).
- `PUT /api/me/remote` — mark today as working remotely; 409 `remote_while_seated` while the
  person holds a desk today.
- `DELETE /api/me/remote` — unmark it.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from server.api.auth import current_person
from server.api.deps import runtime
from server.composition.runtime import Runtime
from server.domain.people import Person
from server.services.remote_work import RemoteDay

router = APIRouter(prefix="/api/me/remote", tags=["remote work"])
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[Person, Depends(current_person)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Missing or wrong X-CSRF-Token"},
    409: {"description": "The person holds a desk today: release it first"},
}


class RemoteDayOut(BaseModel):
    day: date
    remote: bool

    @classmethod
    def of(cls, day: RemoteDay) -> "RemoteDayOut":
        return cls(day=day.day, remote=day.remote)


@router.get("", responses=ERRORS)
def my_remote_day(rt: Rt, person: Me) -> RemoteDayOut:
    """Whether I marked today as working remotely."""
    return RemoteDayOut.of(rt.insight.remote.today(person))


@router.put("", responses=ERRORS)
def mark_remote(rt: Rt, person: Me) -> RemoteDayOut:
    """Mark today as working remotely (office demand and the facilities figures count it)."""
    return RemoteDayOut.of(rt.insight.remote.mark(person))


@router.delete("", responses=ERRORS)
def unmark_remote(rt: Rt, person: Me) -> RemoteDayOut:
    """I am in the office today after all."""
    return RemoteDayOut.of(rt.insight.remote.unmark(person))
