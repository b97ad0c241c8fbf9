"""Opt-in personal location: share today, report the laptop's BSSID, find a colleague, audit.

A person is findable only after turning sharing on, only until the end of that local day, and
only at zone level (the AP's zone); every lookup is recorded and the person can read them.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from contracts.macs import normalise_mac
from server.api.auth import current_person
from server.api.deps import runtime
from server.api.wifi import wifi_of
from server.composition.runtime import Runtime
from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.services.wifi_presence import Lookup, Share

router = APIRouter(prefix="/api/presence", tags=["location"])
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[Person, Depends(current_person)]


class ShareOut(BaseModel):
    sharing: bool
    until: datetime | None = Field(description="Sharing ends by itself at this moment")
    floor: str | None = None
    zone: str | None = None
    reported_at: datetime | None = None


class WhereAmIIn(BaseModel):
    bssid: str = Field(
        max_length=64, description="The BSSID the laptop is associated with, e.g. from iw/netsh"
    )


class ColleagueOut(BaseModel):
    staff_id: str
    found: bool
    detail: str
    floor: str | None = None
    zone: str | None = None
    reported_at: datetime | None = None


class LookupOut(BaseModel):
    at: datetime
    viewer: str
    outcome: str
    detail: str


def _share(share: Share | None) -> ShareOut:
    if share is None:
        return ShareOut(sharing=False, until=None)
    return ShareOut(
        sharing=True,
        until=share.expires_at,
        floor=share.floor,
        zone=share.zone,
        reported_at=share.reported_at,
    )


@router.get("/share")
def my_share(rt: Rt, me: Me) -> ShareOut:
    """Whether I am findable today, and where my laptop last said I was."""
    return _share(wifi_of(rt).current_share(me.staff_id))


@router.post("/share")
def start_sharing(rt: Rt, me: Me) -> ShareOut:
    """Make me findable by colleagues until the end of today (zone level only)."""
    return _share(wifi_of(rt).start_sharing(me.staff_id))


@router.delete("/share")
def stop_sharing(rt: Rt, me: Me) -> ShareOut:
    """Stop sharing now; the reported place is deleted at once."""
    wifi_of(rt).stop_sharing(me.staff_id)
    return _share(None)


@router.post(
    "/whereami",
    responses={409: {"description": "Sharing is off"}, 422: {"description": "Unknown BSSID"}},
)
def where_am_i(body: WhereAmIIn, rt: Rt, me: Me) -> ShareOut:
    """Report the BSSID my laptop is on; only the AP's zone is kept, never the address."""
    bssid = normalise_mac(body.bssid)
    if bssid is None:
        raise Refusal(RefusalCode.BSSID_INVALID)
    return _share(wifi_of(rt).report_bssid(me.staff_id, bssid))


@router.get("/colleagues/{staff_id}")
def find_colleague(staff_id: str, rt: Rt, me: Me) -> ColleagueOut:
    """Where a colleague is, if they share it today; the lookup is recorded for them to see."""
    lookup, share = wifi_of(rt).find(staff_id[:64], me.staff_id)
    if lookup.outcome != "found" or share is None:
        return ColleagueOut(staff_id=staff_id, found=False, detail=lookup.detail)
    return ColleagueOut(
        staff_id=staff_id,
        found=True,
        detail=lookup.detail,
        floor=share.floor,
        zone=share.zone,
        reported_at=share.reported_at,
    )


@router.get("/lookups")
def my_lookups(rt: Rt, me: Me) -> list[LookupOut]:
    """Who looked me up in the last 30 days, newest first."""
    return [_lookup(item) for item in wifi_of(rt).lookups_of(me.staff_id)]


def _lookup(item: Lookup) -> LookupOut:
    return LookupOut(at=item.at, viewer=item.viewer, outcome=item.outcome, detail=item.detail)
