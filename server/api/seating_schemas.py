"""HTTP schemas of the seating API: desks as listed, holders, suggestions, claims and seats."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.api.inputs import Metres
from server.domain.occupancy import DeskReason

DeskStateName = Literal["free", "held", "occupied", "away", "unknown", "blocked"]


class DeskListed(BaseModel):
    id: str
    floor: str
    zone: str
    zone_department: str | None
    x: float
    y: float
    equipment: list[str]
    state: DeskStateName
    since: str | None
    reason: DeskReason | None = Field(description="why, as a kind; never who")
    walk_in: bool = Field(description="Someone sits there without a claim: shown as taken")
    mine: bool = Field(description="The signed-in person holds this desk today")


class HolderOut(BaseModel):
    desk: str
    held: bool = Field(description="Someone holds the desk today")
    named: bool = Field(description="The site's policy lets you see who; the read is logged")
    policy: Literal["none", "team", "all"] = Field(description="The site's `policy.names`")
    staff_id: str | None = None
    name: str | None = None
    name_ja: str | None = None
    department: str | None = None


class ReasonOut(BaseModel):
    code: str = Field(
        description="needs, needs_missing, team_zone, team_floor, consolidation, busy_zone, "
        "nearby, kept_for_needs, familiar, or free_here when nothing else speaks for the desk"
    )
    text: str = Field(description="the reason in words, in the reader's language")
    facts: dict[str, str | int | list[str]] = Field(
        description="zone, floor (ids), metres, equipment: what the words are made of"
    )


class SuggestionOut(BaseModel):
    desk: str
    label: str = Field(description="the desk as people read it, e.g. 3F A-04-04")
    floor: str
    zone: str
    rank: int
    x: float
    y: float
    equipment: list[str]
    reasons: list[ReasonOut]


class Near(BaseModel):
    """Where the person is; sent only when they chose to share it, never stored."""

    floor: str = Field(max_length=24)
    x: Metres
    y: Metres


class SuggestRequest(BaseModel):
    floor: str | None = Field(default=None, description="Only desks on this floor")
    zone: str | None = Field(default=None, description="Only desks in this zone")
    equipment: list[str] = Field(default_factory=list, description="Desks must have all of these")
    near: Near | None = Field(default=None, description="Share where you are to rank by distance")
    use_shared_location: bool = Field(
        default=False,
        description="Rank by distance from where your laptop last reported today, when you "
        "share your location (POST /api/presence/share); ignored when `near` is given",
    )
    limit: int = Field(default=5, ge=1, le=50)


class SuggestResponse(BaseModel):
    suggestions: list[SuggestionOut]
    anti_fixation: str = Field(description="The rule as it applies to this person today")
    max_same_desk_days: int = Field(description="anti-fixation: working days in a row at a desk")
    streak_desk: str | None = Field(description="the desk of the person's last working day")
    streak_days: int = Field(description="working days in a row the person sat there")


class ClaimRequest(BaseModel):
    desk: str = Field(min_length=1, max_length=24)


class CheckInRequest(BaseModel):
    desk: str = Field(min_length=1, max_length=24)
    how: Literal["qr", "app"] = "qr"


class SeatOut(BaseModel):
    desk: str
    floor: str | None
    zone: str | None
    day: date
    state: Literal["held", "checked_in"]
    claimed_at: datetime
    check_in_by: datetime | None = Field(description="Released as a no-show unless checked in")
    checked_in_at: datetime | None
    check_in_how: str | None
    releases_at: datetime = Field(description="End of the working day: every desk is released")
    waiting_for: str | None = Field(
        default=None,
        description="A scan that did not count as arrival yet: what will check you in ('desk "
        "sensor', once it sees you at the desk)",
    )


class MySeat(BaseModel):
    seat: SeatOut | None
    holds_until: datetime = Field(
        description="when today's holds end (the site's end of day); claims wait for tomorrow after"
    )
    claims_open: bool = Field(description="a desk can be claimed now (before holds_until)")


class Released(BaseModel):
    released: str
    reason: DeskReason


class RotationOut(BaseModel):
    department: str | None
    suppressed: bool = Field(description="Fewer than 5 people: no figure is given")
    people: int | None
    working_days: int | None
    same_desk_as_before: int | None
    rotation: float | None = Field(description="Share of days at a different desk; None if <5")
    longest_streak: int | None


class AutoSeat(BaseModel):
    seat: SeatOut
    suggestion: SuggestionOut = Field(description="Why this desk was chosen")
