"""Away too long (released with the reason, or flagged, per site policy) and "working remotely
today", on a real database: the desk's sensor through the ingest handler, the seating sweep
on an injected clock."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from contracts import DeskPresenceChanged, build_topic, encode
from firmware_config.site import Policy
from server.composition.runtime import Runtime
from server.domain.occupancy import DeskReason, DeskStatus
from server.domain.people import Person
from server.domain.planning import WhatIf
from server.domain.refusals import Refusal, RefusalCode
from server.services.ingest_batch import Inbound
from server.settings import Settings
from tests.fakes import FakeClock
from tests.seating_support import seed_people, staff
from tests.support import small_site

T0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
DESK = "desk-f1-a-01-01"
GATEWAY = "gw-f1-a"


class Desk:
    """The desk's sensor, as its gateway reports it."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.seq = 0

    def sense(self, present: bool, at: datetime) -> None:
        self.seq += 1
        event = DeskPresenceChanged(
            device=GATEWAY,
            epoch=1,
            seq=self.seq,
            at=at,
            desk=DESK,
            present=present,
            sensor="mmwave",
        )
        topic = build_topic("testhall", "desk", GATEWAY, "event")
        assert self.rt.ingest.apply_batch([Inbound(topic, encode(event), at)]).applied == 1


@pytest.fixture(params=["release", "flag"])
def running(
    request: pytest.FixtureRequest, tmp_path: object
) -> Iterator[tuple[Runtime, FakeClock]]:
    url = f"sqlite:///{tmp_path}/away.db"
    seed_people(url, [*staff(6, "tax", "t"), *staff(3, "welfare", "w")])
    site = small_site().model_copy(
        update={"policy": Policy(away_limit_min=90, away_action=request.param)}
    )
    clock = FakeClock(T0)
    rt = Runtime.open(Settings(database_url=url, enable_mqtt=False), clock, site)
    try:
        yield rt, clock
    finally:
        rt.close()


def desk_now(rt: Runtime) -> DeskStatus:
    return next(d for d in rt.store.all_desks() if d.desk == DESK)


def person(rt: Runtime, staff_id: str = "t0001") -> Person:
    found = rt.accounts.directory.person(staff_id)
    assert found is not None
    return found


def test_a_desk_left_away_past_the_limit_is_released_with_the_reason_or_flagged(
    running: tuple[Runtime, FakeClock],
) -> None:
    rt, clock = running
    desk = Desk(rt)
    desk.sense(False, T0)
    rt.seating.claim(person(rt), DESK)
    desk.sense(True, T0 + timedelta(minutes=1))  # arrives: the sensor checks them in
    clock.set(T0 + timedelta(minutes=1))
    rt.ticker_seating.sweep()
    desk.sense(False, T0 + timedelta(hours=1))  # leaves for another building
    clock.set(T0 + timedelta(hours=2, minutes=29))
    rt.ticker_seating.sweep()
    assert desk_now(rt).state.value == "away"
    assert rt.seating.away_too_long() == []
    clock.set(T0 + timedelta(hours=2, minutes=30))
    rt.ticker_seating.sweep()
    status = desk_now(rt)
    if rt.seating.site.away_release:
        assert status.state.value == "free" and status.holder is None
        assert status.reason is DeskReason.AWAY_TOO_LONG
        assert rt.seating.my_seat(person(rt)) is None
    else:
        assert status.state.value == "away" and status.holder == "t0001"
        ((hold, since),) = rt.seating.away_too_long()
        assert hold.desk == DESK and since == T0 + timedelta(hours=1)


def test_working_remotely_today_is_marked_refused_while_holding_a_desk_and_counted(
    running: tuple[Runtime, FakeClock],
) -> None:
    rt, _ = running
    remote = rt.insight.remote
    Desk(rt).sense(False, T0)
    someone, seated = person(rt, "t0002"), person(rt, "t0003")
    assert not remote.today(someone).remote
    assert remote.mark(someone).remote and remote.today(someone).remote
    rt.seating.claim(seated, DESK)
    with pytest.raises(Refusal) as refused:
        remote.mark(seated)
    assert refused.value.code is RefusalCode.REMOTE_WHILE_SEATED
    assert refused.value.facts["desk"] == DESK
    day = rt.seating.today()
    assert [(m.staff_id, m.department, m.day) for m in remote.marks(day, day)] == [
        ("t0002", "tax", day)
    ]
    assert not remote.unmark(someone).remote and remote.marks(day, day) == []


def test_a_department_of_fewer_than_five_people_is_in_no_figure_and_no_total(
    running: tuple[Runtime, FakeClock],
) -> None:
    rt, clock = running
    Desk(rt).sense(False, T0)
    rt.seating.claim(person(rt, "w0001"), "desk-f1-b-01-01")  # welfare: 3 people
    rt.seating.claim(person(rt, "t0001"), DESK)
    clock.set(T0 + timedelta(days=1))
    rt.ticker_seating.sweep()
    insight = rt.insight.desks
    rates = {d.department: d for d in insight.department_rates(1).departments}
    assert rates["welfare"].suppressed and rates["welfare"].claims is None
    assert rates["tax"].claims == 1 and not rates["tax"].suppressed
    plan = insight.planning(1, 95, 0.85, WhatIf())
    assert plan.suppressed_departments == ["welfare"]
    # Welfare's zones are in no row, and the floors and the site count only tax's desks.
    rows = {(r.kind, r.id): r.need.desks for r in plan.rows}
    assert ("department", "welfare") not in rows and ("zone", "f1-b") not in rows
    assert rows[("floor", "f1")] == rows[("zone", "f1-a")] == 4 and rows[("site", "")] == 8
    dark = insight.dark_zones(1)
    assert {z.zone for z in dark.zones} == {"f1-a", "f2-a"}
