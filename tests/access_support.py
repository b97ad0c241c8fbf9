"""A site with every capability, and people of each role with real (argon2) passwords."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from firmware_config.site import Site
from server.adapters.database import make_engine, upgrade
from server.adapters.people_repository import Argon2Hasher, SqlPeopleStore
from server.domain.people import Person, Role
from server.services.people import LocalAccounts
from tests.room_support import room_site
from tests.signin import sign_in
from tests.wifi_support import wifi_site

PASSWORD = "a long enough password"
ROLES = ("anonymous", "staff", "facilities", "admin")
PEOPLE = {
    "staff": Person("t-staff", "Tanaka Ken", "tax", Role.STAFF, name_ja="田中 健"),
    "facilities": Person("w-facilities", "Watanabe Mai", "welfare", Role.FACILITIES),
    "admin": Person("a-admin", "Abe Shota", None, Role.ADMIN),
}


def full_site() -> Site:
    """The small site with Wi-Fi APs on each floor and a monitor in each meeting room."""
    return room_site(wifi_site())


def seed_accounts(database_url: str, people: list[Person] | None = None) -> None:
    """Local accounts (no demo people) with PASSWORD, before the server starts."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        store = SqlPeopleStore(engine)
        chosen = people if people is not None else list(PEOPLE.values())
        store.upsert(chosen, demo=False)
        local = LocalAccounts(store, Argon2Hasher())
        for person in chosen:
            local.set_password(person.staff_id, PASSWORD)
    finally:
        engine.dispose()


@contextmanager
def client_as_role(base_url: str, role: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in as the seeded person of `role` ("anonymous": nobody)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        if role != "anonymous":
            sign_in(client, PEOPLE[role].staff_id, PASSWORD)
        yield client
