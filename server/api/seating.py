"""Seating over HTTP: find desks, get suggestions, claim, check in, release; the QR page.

- `GET /api/desks?floor=&zone=&state=&equipment=` desks with their live state (the map's view).
- `POST /api/seats/suggest` ranked free desks, each with the reasons it was chosen.
- `POST /api/seats/auto` "find me a seat": claims the best suggestion still free (201), same
  body as suggest; 409 when no free desk matches.
- `POST /api/seats` `{"desk": ID}` claims a desk (201); `Idempotency-Key` header makes a retry
  return the first answer. 409 with a refusal `code` (server.api.refusals) when the desk is
  taken, the person already holds a desk today, or anti-fixation refuses it.
- `GET /api/me/seat`, `POST /api/me/seat/check-in` `{"desk": ID, "how": "qr"}`,
  `DELETE /api/me/seat` (release by hand).
- `GET /api/seats/rotation?days=` per-department rotation (facilities, admin).
- `GET /api/desks/{desk_id}` one desk with its live state.
- `GET /api/desks/{desk_id}/holder` (signed in) who holds it today, named only as the site's
  `policy.names` allows; each read that names someone is logged for them.
- `GET /checkin/{desk_id}` the page a desk's QR code opens (dashboard/checkin.html).

All commands need sign-in (server.api.auth) and the CSRF header; the desk's new live state goes
to the live feed once the transaction has committed.
"""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import FileResponse

from server.api.auth import current_person, optional_person
from server.api.deps import runtime
from server.api.floors import known_floor
from server.api.pages import dashboard_page
from server.api.refusals import language
from server.api.seat_reasons import reason_words
from server.api.seating_schemas import (
    AutoSeat,
    CheckInRequest,
    ClaimRequest,
    DeskListed,
    DeskStateName,
    HolderOut,
    MySeat,
    ReasonOut,
    Released,
    RotationOut,
    SeatOut,
    SuggestionOut,
    SuggestRequest,
    SuggestResponse,
)
from server.composition.runtime import Runtime
from server.domain.occupancy import DeskReason, DeskState
from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.domain.seat_policy import DeskOption, Seeker, Spot, Suggestion, fixation_streak
from server.services.seating import ANOTHER_DESK_MAY_DO, SeatOutcome, SeatView
from server.services.seating_ports import IdempotencyKey

router = APIRouter(tags=["seating"])
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[Person, Depends(current_person)]

_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Missing or wrong X-CSRF-Token"},
    404: {"description": "No such desk, or no seat to act on"},
    409: {"description": "Taken, already holding a desk today, or refused by anti-fixation"},
}
TAKEN_STATES = frozenset({DeskState.HELD, DeskState.AWAY, DeskState.OCCUPIED})


def _held_by_another(rt: Runtime, me: Person, desk_id: str) -> bool:
    option = rt.seating.site.options.get(desk_id)
    if option is None:
        return False
    state = rt.hub.state_of(option.floor, desk_id)
    return state in TAKEN_STATES and rt.seating.holder_elsewhere(desk_id, me.staff_id)


def _check_floor(rt: Runtime, floor: str | None) -> None:
    if floor is not None:
        known_floor(rt.site, floor)


def _seat(view: SeatView) -> SeatOut:
    hold = view.hold
    return SeatOut(
        desk=hold.desk,
        floor=view.option.floor if view.option else None,
        zone=view.option.zone if view.option else None,
        day=hold.day,
        state="checked_in" if view.checked_in else "held",
        claimed_at=hold.claimed_at,
        check_in_by=view.check_in_by,
        checked_in_at=hold.checked_in_at,
        check_in_how=hold.check_in_how or ("desk sensor" if view.checked_in else None),
        releases_at=view.releases_at,
        waiting_for=view.waiting_for,
    )


async def _run(rt: Runtime, command: Any, *args: Any) -> SeatOutcome:
    outcome: SeatOutcome = await asyncio.to_thread(command, *args)
    rt.live.publish(outcome.changes)  # after the commit, on the loop thread the hub lives on
    return outcome


@router.get("/api/desks")
async def list_desks(
    rt: Rt,
    person: Annotated[Person | None, Depends(optional_person)],
    floor: str | None = None,
    zone: str | None = None,
    state: Annotated[list[DeskStateName] | None, Query(description="Any of these states")] = None,
    equipment: Annotated[list[str] | None, Query(description="All of these")] = None,
) -> list[DeskListed]:
    """Desks with their live state, filtered; the same state the floor map shows."""
    _check_floor(rt, floor)
    mine = await _my_desk(rt, person)
    wanted_states = set(state or [])
    wanted_equipment = set(equipment or [])
    out = []
    for option in rt.seating.site.options.values():
        if (floor and option.floor != floor) or (zone and option.zone != zone):
            continue
        if not wanted_equipment <= option.equipment:
            continue
        listed = _listed(rt, option, mine)
        if wanted_states and listed.state not in wanted_states:
            continue
        out.append(listed)
    return out


@router.get("/api/desks/{desk_id}", responses={404: {"description": "No such desk"}})
async def get_desk(
    desk_id: str, rt: Rt, person: Annotated[Person | None, Depends(optional_person)]
) -> DeskListed:
    """One desk with its live state (the check-in page's header)."""
    option = rt.seating.site.options.get(desk_id)
    if option is None:
        raise Refusal(RefusalCode.DESK_UNKNOWN, desk=desk_id)
    return _listed(rt, option, await _my_desk(rt, person))


@router.get("/api/desks/{desk_id}/holder", responses={404: {"description": "No such desk"}})
async def desk_holder(desk_id: str, rt: Rt, me: Me) -> HolderOut:
    """Who holds the desk today: named only as the site's policy allows, and logged for them."""
    if desk_id not in rt.seating.site.options:
        raise Refusal(RefusalCode.DESK_UNKNOWN, desk=desk_id)
    names = rt.desk_names
    found = await asyncio.to_thread(names.holder, desk_id, me)
    person = found.person
    return HolderOut(
        desk=desk_id,
        held=found.held,
        named=person is not None,
        policy=names.policy.value,
        staff_id=person.staff_id if person else None,
        name=person.name if person else None,
        name_ja=person.name_ja if person else None,
        department=person.department if person else None,
    )


async def _my_desk(rt: Runtime, person: Person | None) -> str | None:
    if person is None:
        return None
    seat = await asyncio.to_thread(rt.seating.my_seat, person)
    return seat.hold.desk if seat else None


def _listed(rt: Runtime, option: DeskOption, mine: str | None) -> DeskListed:
    shown = rt.hub.shown(option.floor, option.desk)
    return DeskListed(
        id=option.desk,
        floor=option.floor,
        zone=option.zone,
        zone_department=option.zone_department,
        x=option.x,
        y=option.y,
        equipment=sorted(option.equipment),
        state=shown.state.value if shown else "unknown",
        since=shown.since if shown else None,
        reason=shown.reason if shown else None,
        walk_in=shown.walk_in if shown else False,
        mine=option.desk == mine,
    )


@router.post("/api/seats/suggest", responses=_REFUSALS)
async def suggest_seats(
    request: Request, rt: Rt, me: Me, body: Annotated[SuggestRequest | None, Body()] = None
) -> SuggestResponse:
    """Free desks ranked for the signed-in person, each with the reasons it was chosen.

    Without `floor` the whole building is searched: the person's team zone first, wherever
    it is, then desks on the floors where the team sits."""
    body = body or SuggestRequest()
    seeker = await _seeker(rt, me, body)
    found = _suggestions(rt, seeker, body, exclude=set())
    rules = rt.seating.site.rules
    streak_desk = seeker.recent_desks[0] if seeker.recent_desks else None
    streak = fixation_streak(seeker.recent_desks, streak_desk) if streak_desk else 0
    rule = f"at most {rules.max_same_desk_days} working days in a row at one desk"
    if streak_desk is not None:
        rule += f"; you have sat at {streak_desk} on your last {streak} working day(s)"
    lang = language(request)
    return SuggestResponse(
        suggestions=[_suggestion(rt, s, lang) for s in found],
        anti_fixation=rule,
        max_same_desk_days=rules.max_same_desk_days,
        streak_desk=streak_desk,
        streak_days=streak,
    )


async def _seeker(rt: Runtime, me: Person, body: SuggestRequest) -> Seeker:
    _check_floor(rt, body.floor)
    near = Spot(body.near.floor, body.near.x, body.near.y) if body.near else None
    if near is None and body.use_shared_location:
        near = await asyncio.to_thread(_shared_spot, rt, me)
    return await asyncio.to_thread(rt.seating.finder.seeker, me, near)


def _shared_spot(rt: Runtime, me: Person) -> Spot | None:
    """Where the person's laptop said it was today (its access point), if they share it."""
    position = rt.wifi.own_position(me.staff_id) if rt.wifi is not None else None
    return None if position is None else Spot(*position)


def _suggestions(
    rt: Runtime, seeker: Seeker, body: SuggestRequest, exclude: set[str]
) -> list[Suggestion]:
    # The live map's view of which desks are free: the claim itself is decided by the database.
    hub = rt.hub

    def is_free(option: DeskOption) -> bool:
        return (
            hub.state_of(option.floor, option.desk) is DeskState.FREE
            and option.desk not in exclude
            and not rt.seating.being_claimed(option.desk)
        )

    return rt.seating.finder.suggest(
        seeker,
        is_free,
        body.limit,
        floor=body.floor,
        zone=body.zone,
        equipment=body.equipment,
    )


def _suggestion(rt: Runtime, s: Suggestion, lang: str) -> SuggestionOut:
    option = rt.seating.site.options[s.desk]
    return SuggestionOut(
        desk=s.desk,
        label=rt.labels.desk(s.desk),
        floor=s.floor,
        zone=s.zone,
        rank=s.rank,
        x=option.x,
        y=option.y,
        equipment=sorted(option.equipment),
        reasons=[
            ReasonOut(
                code=r.code,
                text=reason_words(r, lang, rt.labels),
                facts={k: list(v) if isinstance(v, tuple) else v for k, v in r.facts.items()},
            )
            for r in s.reasons
        ],
    )


@router.post("/api/seats/auto", status_code=201, responses=_REFUSALS)
async def find_me_a_seat(
    request: Request,
    rt: Rt,
    me: Me,
    body: Annotated[SuggestRequest | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> AutoSeat:
    """Find me a seat: claim the best suggestion that is still free, in one request.

    Desks taken while trying are skipped; 409 when no free desk matches.
    """
    body = body or SuggestRequest()
    seeker = await _seeker(rt, me, body)
    key = None
    if idempotency_key:
        raw = await request.body()
        key = IdempotencyKey.of(idempotency_key, "POST", request.url.path, raw)
    tried: set[str] = set()
    for _round in range(AUTO_ROUNDS):
        found = _suggestions(rt, seeker, body, exclude=tried)
        if not found:
            break
        for suggestion in found:
            tried.add(suggestion.desk)
            try:
                outcome = await asyncio.to_thread(rt.seating.claim, me, suggestion.desk, key)
            except Refusal as refused:
                if refused.code in ANOTHER_DESK_MAY_DO:
                    continue
                raise
            rt.live.publish(outcome.changes)
            assert outcome.seat is not None
            if outcome.replayed:  # a retry: the seat the first attempt got, reasons not kept
                option = rt.seating.site.options[outcome.seat.hold.desk]
                suggestion = Suggestion(option.desk, option.floor, option.zone, 1, ())
            return AutoSeat(
                seat=_seat(outcome.seat),
                suggestion=_suggestion(rt, suggestion, language(request)),
            )
    raise Refusal(RefusalCode.NO_FREE_DESK)


# Each round re-reads the live map; desks taken meanwhile drop out of it.
AUTO_ROUNDS = 4


@router.post("/api/seats", status_code=201, responses=_REFUSALS)
async def claim_seat(
    request: Request,
    rt: Rt,
    me: Me,
    body: ClaimRequest,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=128,
            description="Send the same key when retrying, to get the first answer back",
        ),
    ] = None,
) -> SeatOut:
    """Claim a desk for today; it shows as held on the map until you check in."""
    key = None
    if idempotency_key:
        raw = await request.body()
        key = IdempotencyKey.of(idempotency_key, "POST", request.url.path, raw)
    elif _held_by_another(rt, me, body.desk):
        # The map and this process agree it is someone else's: no need to queue for the lock.
        raise Refusal(RefusalCode.DESK_HELD, desk=body.desk)
    outcome = await _run(rt, rt.seating.claim, me, body.desk, key)
    assert outcome.seat is not None
    return _seat(outcome.seat)


@router.get("/api/me/seat", responses={401: {"description": "Not signed in"}})
async def my_seat(rt: Rt, me: Me) -> MySeat:
    """The desk the signed-in person holds today, if any."""
    seat = await asyncio.to_thread(rt.seating.my_seat, me)
    until, is_open = rt.seating.claims_window()
    return MySeat(seat=_seat(seat) if seat else None, holds_until=until, claims_open=is_open)


@router.post("/api/me/seat/check-in", responses=_REFUSALS)
async def check_in_seat(rt: Rt, me: Me, body: CheckInRequest) -> SeatOut:
    """Check in at your desk (the QR page calls this); a free desk is claimed at the same time."""
    outcome = await _run(rt, rt.seating.check_in, me, body.desk, body.how)
    assert outcome.seat is not None
    return _seat(outcome.seat)


@router.delete("/api/me/seat", responses=_REFUSALS)
async def release_seat(rt: Rt, me: Me) -> Released:
    """Give today's desk back; it is free for others at once."""
    seat = await asyncio.to_thread(rt.seating.my_seat, me)
    outcome = await _run(rt, rt.seating.release, me)
    desk = seat.hold.desk if seat else (outcome.changes[0].desk if outcome.changes else "")
    return Released(released=desk, reason=DeskReason.RELEASED_BY_HAND)


@router.get(
    "/api/seats/rotation",
    responses={401: {"description": "Not signed in"}, 403: {"description": "Facilities only"}},
)
async def seat_rotation(
    rt: Rt, days: Annotated[int, Query(ge=1, le=366)] = 20
) -> list[RotationOut]:
    """Per department: how often people sat at the same desk as on their previous working day."""
    rows = await asyncio.to_thread(rt.seating.finder.rotation, days)
    return [
        RotationOut(
            department=r.department,
            suppressed=r.suppressed,
            people=r.people,
            working_days=r.working_days,
            same_desk_as_before=r.same_desk_as_before,
            rotation=None if r.rotation is None else round(r.rotation, 3),
            longest_streak=r.longest_streak,
        )
        for r in rows
    ]


@router.get("/checkin/{desk_id}", response_class=FileResponse, include_in_schema=False)
async def checkin_page(desk_id: str, rt: Rt) -> FileResponse:
    """The page a desk's QR code opens: sign in if needed, then one button to check in."""
    known = desk_id in rt.seating.site.options
    # An unknown desk still gets the page: it tells the person so, in their language.
    return dashboard_page("checkin.html", status_code=200 if known else 404)
