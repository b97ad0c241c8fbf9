"""Rebuilding desk state from the sensor log keeps today's holds (they live outside the log)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.database import make_engine, upgrade
from server.adapters.repository import SqlStore
from server.composition.commands import rebuild_state
from server.domain.occupancy import DeskState, DeskTransition, assign
from server.services.ingest import Ingest
from server.services.ingest_batch import Inbound
from server.services.site_index import SiteIndex
from tests.support import small_site

AT = datetime(2026, 11, 30, 9, tzinfo=UTC)
HELD, SEATED = "desk-f1-a-01-01", "desk-f1-a-01-02"


def presence(seq: int, desk: str, present: bool) -> Inbound:
    event = DeskPresenceChanged(
        device="gw-f1-a",
        epoch=1,
        seq=seq,
        at=AT + timedelta(minutes=seq),
        desk=desk,
        present=present,
        sensor="mmwave",
    )
    topic = build_topic("testhall", "desk", "gw-f1-a", "event")
    return Inbound(topic, encode(event), AT + timedelta(minutes=seq))


def test_rebuild_keeps_holds_and_repairs_only_what_the_log_contradicts(database_url: str) -> None:
    site = small_site()
    index = SiteIndex.from_site(site)
    upgrade(database_url)
    engine = make_engine(database_url)
    store = SqlStore(engine)
    try:
        store.seed_desks(index.desk_floor, AT)
        Ingest(index, store).apply_batch(
            [presence(1, HELD, True), presence(2, HELD, False), presence(3, SEATED, True)]
        )
        with store.transaction() as tx:
            free = tx.desk(HELD)
            assert free is not None and free.state is DeskState.FREE
            held = assign(free, "s-0001", AT + timedelta(minutes=5))
            assert isinstance(held, DeskTransition)
            tx.save_desk(held.after)
            # The live projection drifts from the log for the other desk (a lost write).
            seated = tx.desk(SEATED)
            assert seated is not None
            tx.save_desk(replace(seated, state=DeskState.FREE, present=False))

        result = rebuild_state(database_url, site, write=True)

        assert [rebuilt.desk for _, rebuilt in result.report.differences] == [SEATED]
        desks = {status.desk: status for status in store.all_desks()}
        assert desks[SEATED].state is DeskState.OCCUPIED  # repaired from the log
        assert desks[HELD].state is DeskState.HELD and desks[HELD].holder == "s-0001"
        assert rebuild_state(database_url, site, write=False).report.differences == []
    finally:
        engine.dispose()
