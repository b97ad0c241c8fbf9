// The live state of one floor: its plan, every desk's current state, per-state
// counts and the feed version. Plain data, no DOM, so the floor map, legend,
// lobby board and facilities views can all read the same store.

/** One floor's plan plus live desk states, updated from snapshots and deltas. */
export class FloorState {
  /** Build from the GET /api/floors/{id} body. */
  constructor(floor) {
    this.floor = floor;
    this.id = floor.id;
    this.version = floor.version ?? null;
    this.zones = new Map((floor.zones ?? []).map((z) => [z.id, z]));
    this.desks = new Map();
    this.counts = new Map();
    for (const d of floor.desks ?? []) {
      const desk = { ...d, state: d.state ?? "unknown", since: d.since ?? null, reason: d.reason ?? null };
      this.desks.set(desk.id, desk);
      this.#bump(desk.state, 1);
    }
  }

  /** How many desks are in state (0 if none). */
  count(state) {
    return this.counts.get(state) ?? 0;
  }

  /** The zone a desk belongs to, or undefined. */
  zoneOf(desk) {
    return this.zones.get(desk.zone);
  }

  /**
   * Replace every desk's state with a snapshot's; desks the snapshot leaves out
   * become unknown (never free). Returns the ids whose state, since or reason changed.
   */
  applySnapshot(version, deskStates) {
    this.version = version;
    const changed = [];
    for (const [id, desk] of this.desks) {
      const next = deskStates?.[id] ?? { state: "unknown", since: null, reason: null };
      if (this.#apply(desk, next)) changed.push(id);
    }
    return changed;
  }

  /** Apply a delta's changed desks; ids not on this floor are ignored. Returns the changed ids. */
  applyDelta(version, deskStates) {
    this.version = version;
    const changed = [];
    for (const [id, next] of Object.entries(deskStates ?? {})) {
      const desk = this.desks.get(id);
      if (desk && next && this.#apply(desk, next)) changed.push(id);
    }
    return changed;
  }

  #apply(desk, next) {
    const state = next.state ?? desk.state;
    const since = "since" in next ? next.since : desk.since;
    const reason = "reason" in next ? next.reason : desk.reason;
    if (state === desk.state && since === desk.since && reason === desk.reason) return false;
    if (state !== desk.state) {
      this.#bump(desk.state, -1);
      this.#bump(state, 1);
    }
    desk.state = state;
    desk.since = since;
    desk.reason = reason;
    return true;
  }

  #bump(state, by) {
    this.counts.set(state, (this.counts.get(state) ?? 0) + by);
  }
}
