"""Site files as an admin writes them, for the tests of the loader and of what reads it."""

SMALL_SITE = """\
site: {id: tiny, name: Tiny Office, name_ja: 小さな事務所}
departments:
  - {id: ops, name: Operations, name_ja: 運用課}
  - {id: it, name: IT}
buildings:
  - id: hq
    name: HQ
    floors:
      - id: f1
        name: 1F
        level: 1
        width: 20
        height: 10
        zones:
          - {id: z-ops, name: Ops, department: ops, rect: {x: 0, y: 0, w: 10, h: 10}}
        rooms:
          - id: room-101
            name: Room 101
            capacity: 6
            rect: {x: 12, y: 0, w: 6, h: 5}
            monitor: {size_in: 55}
        access_points:
          - {id: ap-1, x: 10, y: 5, bssids: ["02:00:00:00:00:01"]}
        desks:
          - {id: desk-1, zone: z-ops, x: 2, y: 2}
          - {id: desk-2, zone: z-ops, x: 4, y: 2, equipment: [monitor]}
      - id: f2
        name: 2F
        level: 2
        width: 20
        height: 10
        zones:
          - {id: z-it, name: IT, department: it, rect: {x: 0, y: 0, w: 10, h: 10}}
        desks:
          - {id: desk-3, zone: z-it, x: 2, y: 2}
devices:
  - {id: gw-1, kind: desk, sensor: mmwave, desks: [desk-1, desk-2]}
  - {id: gw-2, kind: desk, sensor: pir, desks: [desk-3]}
  - {id: mon-101, kind: room, room: room-101}
  - {id: apd-1, kind: ap, access_point: ap-1}
"""
