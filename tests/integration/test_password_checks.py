"""Password checks with the real argon2: the same work for ids that do not exist, and a bound on
how many run at once (24 wrong sign-ins must not take every core)."""

import threading
import time
from collections.abc import Callable

from server.adapters.database import make_engine
from server.adapters.people_repository import Argon2Hasher, SqlPeopleStore
from server.adapters.tables import Base
from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.services.people import HashingBusy, LocalAccounts


def _fastest(check: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        check()
        times.append(time.perf_counter() - started)
    return min(times)


def test_an_unknown_id_costs_a_full_password_check() -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    store = SqlPeopleStore(engine)
    store.upsert([Person("t001", "Tanaka", "tax")], demo=False)
    accounts = LocalAccounts(store, Argon2Hasher())
    accounts.set_password("t001", "correct horse")
    accounts.authenticate("nobody", "warm-up")  # the decoy hash is made once
    known = _fastest(lambda: accounts.authenticate("t001", "wrong horse"))
    unknown = _fastest(lambda: accounts.authenticate("nobody", "wrong horse"))
    assert accounts.authenticate("nobody", "x") == Refusal(RefusalCode.BAD_CREDENTIALS)
    # Both are one argon2 check: no timing tells whether the id exists.
    assert known > 0.01 and unknown > 0.5 * known


def test_checks_beyond_the_bound_wait_and_then_are_refused_not_run() -> None:
    hasher = Argon2Hasher(concurrency=1, wait_s=0)
    stored = hasher.hash("correct horse")
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def check() -> None:
        start.wait()
        try:
            outcomes.append(str(hasher.verify(stored, "wrong")))
        except HashingBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["False", "busy", "busy", "busy"]
