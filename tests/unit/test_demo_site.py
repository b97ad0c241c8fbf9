"""The shipped demo site (Aoba City Hall): loads, has the promised size, matches its generator."""

import csv
import re
from collections import Counter
from itertools import combinations, pairwise

import pytest

from contracts import is_valid_id
from firmware_config.demo_site import render_site_yaml
from firmware_config.demo_staff import render_staff_csv
from firmware_config.loader import load_site
from firmware_config.paths import demo_site_path, demo_staff_path
from firmware_config.site import Rect, Site

STAFF_NEEDS = {"accessible", "dual-monitor", "standing"}


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(demo_site_path())


@pytest.fixture(scope="module")
def staff() -> list[dict[str, str]]:
    with demo_staff_path().open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def overlap(a: Rect, b: Rect) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_the_shipped_files_are_what_the_generator_makes_now() -> None:
    # If this fails, run `python -m firmware_config.demo_site` and commit the result.
    assert demo_site_path().read_text(encoding="utf-8") == render_site_yaml()
    assert demo_staff_path().read_text(encoding="utf-8") == render_staff_csv()


def test_it_is_a_city_hall_with_several_office_floors(site: Site) -> None:
    assert site.site.id == "cityhall"
    assert site.site.name_ja
    assert len(site.buildings) == 1
    assert len(site.floors()) >= 6


def test_it_has_about_1600_desks_and_a_busy_floor_of_at_least_300(site: Site) -> None:
    per_floor = [len(floor.desks) for floor in site.floors()]

    assert 1_550 <= sum(per_floor) <= 1_650
    assert max(per_floor) >= 300


def test_desk_ids_follow_the_floor_zone_row_seat_pattern(site: Site) -> None:
    for floor, desk in site.desks():
        assert is_valid_id(desk.id)
        assert re.fullmatch(rf"desk-{desk.zone}-\d\d-\d\d", desk.id), desk.id
        assert desk.zone.startswith(f"{floor.id}-")


def test_every_zone_belongs_to_one_of_twelve_or_more_departments(site: Site) -> None:
    departments = {d.id for d in site.departments}

    assert len(departments) >= 12
    assert all(d.name and d.name_ja for d in site.departments)
    zones = [zone for floor in site.floors() for zone in floor.zones]
    assert all(zone.department in departments for zone in zones)
    assert {zone.department for zone in zones} == departments


def test_zones_and_rooms_do_not_overlap_and_desks_sit_inside_their_zone(site: Site) -> None:
    for floor in site.floors():
        rects = [z.rect for z in floor.zones] + [r.rect for r in floor.rooms]
        for a, b in combinations(rects, 2):
            assert not overlap(a, b), (floor.id, a, b)
        zone_rects = {zone.id: zone.rect for zone in floor.zones}
        for desk in floor.desks:
            rect = zone_rects[desk.zone]
            assert rect.x < desk.x < rect.x + rect.w, desk.id
            assert rect.y < desk.y < rect.y + rect.h, desk.id


def test_desks_stand_at_a_realistic_pitch(site: Site) -> None:
    for floor in site.floors():
        positions = sorted((desk.y, desk.x) for desk in floor.desks)
        for (y1, x1), (y2, x2) in pairwise(positions):
            if y1 == y2:
                assert x2 - x1 >= 1.6 - 1e-9, (floor.id, x1, x2, y1)


def test_some_desks_carry_each_kind_of_equipment(site: Site) -> None:
    counts = Counter(item for _, desk in site.desks() for item in desk.equipment)

    for item in ("monitor", "dual-monitor", "dock", "standing", "accessible"):
        assert counts[item] > 0, item
    assert sum(1 for _, desk in site.desks() if not desk.equipment) > 0


def test_there_are_30_or_more_meeting_rooms_each_with_a_monitor(site: Site) -> None:
    rooms = [room for floor in site.floors() for room in floor.rooms]

    assert len(rooms) >= 30
    assert all(room.capacity >= 1 and room.monitor.size_in >= 10 for room in rooms)
    assert all(room.name_ja for room in rooms)


def test_every_floor_has_two_or_more_access_points_with_distinct_bssids(site: Site) -> None:
    bssids = [b for floor in site.floors() for ap in floor.access_points for b in ap.bssids]

    assert all(len(floor.access_points) >= 2 for floor in site.floors())
    assert len(bssids) == len(set(bssids))
    assert all(re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", b) for b in bssids)


def test_every_desk_is_served_by_exactly_one_device(site: Site) -> None:
    served = Counter(desk for device in site.devices for desk in device.desks)

    assert set(served) == {desk.id for _, desk in site.desks()}
    assert set(served.values()) == {1}


def test_each_zone_room_and_access_point_has_its_own_device(site: Site) -> None:
    by_kind = Counter(device.kind for device in site.devices)
    floors = site.floors()

    assert by_kind["desk"] == sum(len(f.zones) for f in floors)
    assert {d.room for d in site.devices if d.kind == "room"} == {
        room.id for f in floors for room in f.rooms
    }
    assert {d.access_point for d in site.devices if d.kind == "ap"} == {
        ap.id for f in floors for ap in f.access_points
    }
    sensors = Counter(d.sensor for d in site.devices if d.kind == "desk")
    assert sensors.most_common(1)[0][0] == "mmwave"
    assert {"pir", "pressure"} <= set(sensors)


def test_the_staff_directory_has_2000_unique_people_in_the_sites_departments(
    site: Site, staff: list[dict[str, str]]
) -> None:
    departments = {d.id for d in site.departments}

    assert len(staff) == 2_000
    assert list(staff[0]) == ["staff_id", "name", "name_ja", "department", "needs", "email"]
    assert len({row["staff_id"] for row in staff}) == 2_000
    assert len({row["email"] for row in staff}) == 2_000
    assert {row["department"] for row in staff} == departments
    assert all(row["name"] and row["name_ja"] for row in staff)


def test_staff_per_department_follows_its_desks(site: Site, staff: list[dict[str, str]]) -> None:
    zone_department = {z.id: str(z.department) for f in site.floors() for z in f.zones}
    desks = Counter(zone_department[desk.zone] for _, desk in site.desks())
    people = Counter(row["department"] for row in staff)

    for department, count in desks.items():
        expected = 2_000 * count / sum(desks.values())
        assert abs(people[department] - expected) <= 1, department


def test_a_few_staff_have_seating_needs(staff: list[dict[str, str]]) -> None:
    needs = [row["needs"].split(";") for row in staff if row["needs"]]

    assert all(set(n) <= STAFF_NEEDS for n in needs)
    assert 20 <= len(needs) <= 200
    assert {item for n in needs for item in n} == STAFF_NEEDS
