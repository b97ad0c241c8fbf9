// Keeps "find me a seat" honest: follows the live feed of every floor that has a suggested
// desk and says the moment one of them stops being free, so the list drops it at once.

import { liveFeedUrl } from "./api.js";
import { LiveFeed } from "./live.js";

/** Watches desks (id → floor id); onTaken(deskId) once a watched desk is anything but free. */
export class SuggestionWatch {
  #feeds = [];
  #desks;
  #onTaken;

  constructor(desks, onTaken) {
    this.#desks = new Map(desks);
    this.#onTaken = onTaken;
    for (const floorId of new Set(this.#desks.values())) {
      const feed = new LiveFeed(liveFeedUrl(floorId), {
        floorId,
        onSnapshot: (msg) => this.#look(msg.desks, true),
        onDelta: (msg) => this.#look(msg.desks, false),
        onStatus: () => {},
      });
      feed.start();
      this.#feeds.push(feed);
    }
  }

  stop() {
    for (const feed of this.#feeds) feed.stop();
    this.#feeds = [];
  }

  #look(states, whole) {
    for (const [id] of [...this.#desks]) {
      const next = states?.[id];
      // A snapshot that leaves a desk out says it is unknown: no longer a seat to offer.
      if ((next && next.state && next.state !== "free") || (whole && !next)) {
        this.#desks.delete(id);
        this.#onTaken(id);
      }
    }
    if (!this.#desks.size) this.stop();
  }
}
