"""No person on anonymous views, names only as the site allows (and logged), no small groups.

Issue 16, points 1 and 3: a desk's reason is a kind on every view; who holds it is said only to
signed-in people under `policy.names`, and each such read shows up in the named person's own
log; busy-ness figures and seat suggestions never let a group under five be told apart.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import create_engine, select
from websockets.sync.client import connect

from contracts import DeskPresenceChanged, build_topic, encode
from firmware_config.site import Policy, Site
from server.adapters.tables import DeskTransitionRow
from server.api.app import create_app
from server.composition.runtime import Runtime
from server.domain.people import Person, Role
from server.services.ingest_batch import Inbound
from server.settings import Settings
from tests.access_support import PASSWORD, PEOPLE, full_site, seed_accounts
from tests.fakes import FakeClock
from tests.signin import sign_in
from tests.support import ServerThread
from tests.wifi_support import report_stations

DESK = "desk-f1-a-01-01"
TANAKA = PEOPLE["staff"]  # tax
SATO = Person("t-sato", "Sato Yui", "tax", Role.STAFF)  # tax, the same team
ITO = Person("w-ito", "Ito Ren", "welfare", Role.STAFF)  # another department
EVERYONE = [*PEOPLE.values(), SATO, ITO]


def site_with_names(names: str) -> Site:
    site = full_site()
    return site.model_copy(update={"policy": Policy(names=names)})


@contextmanager
def serving(database_url: str, clock: FakeClock, site: Site) -> Iterator[ServerThread]:
    seed_accounts(database_url, EVERYONE)
    settings = Settings(database_url=database_url, enable_mqtt=False)
    with ServerThread(create_app(settings, clock=clock, site=site)) as server:
        yield server


@contextmanager
def signed_in(server: ServerThread, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        sign_in(client, person.staff_id, PASSWORD)
        yield client


def test_who_holds_a_desk_is_on_no_anonymous_view_and_history_keeps_it_apart(
    database_url: str, clock: FakeClock
) -> None:
    with serving(database_url, clock, full_site()) as server:
        with signed_in(server, TANAKA) as tanaka:
            assert tanaka.post("/api/seats", json={"desk": DESK}).status_code == 201
        with httpx.Client(base_url=server.url, timeout=30) as anonymous:
            floor = anonymous.get("/api/floors/f1")
            desks = anonymous.get("/api/desks", params={"floor": "f1"})
            one = anonymous.get(f"/api/desks/{DESK}")
            with connect(f"{server.ws_url}/ws/live?floor=f1") as live:
                snapshot = str(live.recv(timeout=10))
        for body in (floor.text, desks.text, one.text, snapshot):
            assert TANAKA.staff_id not in body and TANAKA.name not in body
        assert one.json()["reason"] == "held"  # its sensor never reported: still unknown
        # The live feed's delta of a release says the kind, not who gave the desk back.
        with connect(f"{server.ws_url}/ws/live?floor=f1") as live:
            live.recv(timeout=10)
            with signed_in(server, TANAKA) as tanaka:
                assert tanaka.delete("/api/me/seat").status_code == 200
            delta = str(live.recv(timeout=10))
        assert '"reason":"released_by_hand"' in delta and TANAKA.staff_id not in delta

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(DeskTransitionRow.reason, DeskTransitionRow.person)
            .where(DeskTransitionRow.desk == DESK)
            .order_by(DeskTransitionRow.id)
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows][-2:] == [
        ("held", TANAKA.staff_id),
        ("released_by_hand", TANAKA.staff_id),
    ]


@pytest.mark.parametrize(
    ("names", "named_for"),
    [("none", set()), ("team", {SATO.staff_id}), ("all", {SATO.staff_id, ITO.staff_id})],
)
def test_signed_in_people_see_a_name_only_as_the_policy_allows_and_each_read_is_logged(
    database_url: str, clock: FakeClock, names: str, named_for: set[str]
) -> None:
    with serving(database_url, clock, site_with_names(names)) as server:
        with signed_in(server, TANAKA) as tanaka:
            assert tanaka.post("/api/seats", json={"desk": DESK}).status_code == 201
            mine = tanaka.get(f"/api/desks/{DESK}/holder").json()
            assert (mine["named"], mine["staff_id"]) == (True, TANAKA.staff_id)
        for viewer in (SATO, ITO):
            with signed_in(server, viewer) as client:
                answer = client.get(f"/api/desks/{DESK}/holder").json()
            assert answer["held"] is True and answer["policy"] == names
            if viewer.staff_id in named_for:
                assert (answer["named"], answer["name"]) == (True, TANAKA.name)
            else:
                assert answer["named"] is False and answer["staff_id"] is None
        with signed_in(server, TANAKA) as tanaka:
            log = tanaka.get("/api/presence/lookups").json()
        # Reading one's own desk is not logged; every read that named Tanaka to someone is.
        assert {entry["viewer"] for entry in log} == named_for
        assert all(entry["outcome"] == "named" and DESK in entry["detail"] for entry in log)
        anonymous = httpx.get(f"{server.url}/api/desks/{DESK}/holder", timeout=30)
        assert anonymous.status_code == 401


def free_desks_of_zone_a(rt: Runtime, clock: FakeClock) -> None:
    """The f1-a gateway says nobody sits at any of its desks: they show free."""
    batch = []
    for seq in range(1, 5):
        event = DeskPresenceChanged(
            device="gw-f1-a",
            epoch=1,
            seq=seq,
            at=clock.now(),
            desk=f"desk-f1-a-01-{seq:02d}",
            present=False,
            sensor="mmwave",
        )
        topic = build_topic("testhall", "desk", "gw-f1-a", "event")
        batch.append(Inbound(topic, encode(event), clock.now()))
    rt.ingest.apply_batch(batch)
    rt.hub.publish(rt.store.all_desks())


@pytest.mark.parametrize(("zone_a_people", "busy"), [(3, False), (8, True)])
def test_a_zone_whose_count_is_hidden_is_never_called_busy(
    database_url: str, clock: FakeClock, zone_a_people: int, busy: bool
) -> None:
    with serving(database_url, clock, full_site()) as server:
        rt: Runtime = server.app.state.runtime
        # Zone f1-a (4 desks, Tanaka's team) has 3 people: hidden, and so is f1-b, since the
        # floor's 23 minus f1-b's 20 would give f1-a's 3. With 8 it is shown, and busy.
        free_desks_of_zone_a(rt, clock)
        report_stations(rt.ingest, clock.now(), {"ap-f1-1": zone_a_people, "ap-f1-2": 20})
        zones = {
            z["zone"]: z["people"]
            for z in httpx.get(f"{server.url}/api/floors/f1/busyness").json()["zones"]
        }
        assert (zones["f1-a"] is not None) is busy
        with signed_in(server, TANAKA) as tanaka:
            found = tanaka.post("/api/seats/suggest", json={"floor": "f1", "zone": "f1-a"}).json()
        assert found["suggestions"], "the zone's four free desks are suggested"
        codes = {r["code"] for s in found["suggestions"] for r in s["reasons"]}
        assert ("busy_zone" in codes) is busy
