"""A replica believes a session for at most `check_s` after another replica ended it."""

from datetime import UTC, datetime, timedelta

from server.adapters.database import make_engine
from server.adapters.security_store import SqlSecurityStore
from server.adapters.tables import Base
from server.services.security_audit import SecurityAudit
from server.services.sessions import Sessions
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_session_ended_elsewhere_stops_counting_here_within_the_check_interval() -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    store = SqlSecurityStore(engine)
    ticks = [0.0]
    audit = SecurityAudit(store, FakeClock(NOW), timedelta(days=365))
    here = Sessions(store, audit, check_s=5, monotonic=lambda: ticks[0])
    elsewhere = Sessions(store, audit, check_s=5)
    here.start("nonce-1", "t001", "local", NOW, timedelta(hours=12), "10.0.0.5")
    assert here.cached("nonce-1") is True

    assert elsewhere.end_all_of("t001", NOW, "password changed", "cli:admin") == 1
    ticks[0] = 4.9
    assert here.cached("nonce-1") is True  # this replica may still believe it, briefly
    ticks[0] = 5.0
    assert here.cached("nonce-1") is None
    assert here.look_up("nonce-1", NOW) is False
    assert here.look_up("nonce-2", NOW) is False  # never started
