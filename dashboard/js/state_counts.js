// Per-state desk counts as text: the legend (glyph, name, meaning, count for
// every state) and the compact chips in the header. Colour is never the only
// signal: each row shows the state's glyph and its name.

import { DESK_STATES, glyphIcon } from "./desk_states.js";
import { t } from "./i18n.js";

/** A list of per-state counts in a <ul>; variant "legend" or "chips". */
export class StateCounts {
  #list;
  #rows = new Map();
  #total = null;
  #lastTotal = 0;

  constructor(list, { variant = "legend" } = {}) {
    this.#list = list;
    const fragment = document.createDocumentFragment();
    for (const state of DESK_STATES) {
      const li = document.createElement("li");
      li.className = variant === "legend" ? "legend-item" : "count-chip";
      li.dataset.forState = state;
      const label = document.createElement("span");
      label.className = "state-label";
      const count = document.createElement("span");
      count.className = "state-count";
      count.dataset.count = state;
      count.textContent = "0";
      li.append(glyphIcon(state));
      if (variant === "legend") {
        const help = document.createElement("span");
        help.className = "state-help";
        li.append(label, count, help);
      } else {
        li.append(count, label);
      }
      this.#rows.set(state, li);
      fragment.append(li);
    }
    if (variant === "chips") {
      this.#total = document.createElement("li");
      this.#total.className = "count-total";
      this.#total.id = "desk-total";
      fragment.append(this.#total);
    }
    list.replaceChildren(fragment);
    this.relabel();
  }

  /** Show counts from a Map or object of state → number (missing means 0), and the total. */
  update(counts) {
    const get = (s) => (counts instanceof Map ? counts.get(s) : counts?.[s]) ?? 0;
    let total = 0;
    for (const [state, li] of this.#rows) {
      const n = get(state);
      total += n;
      const count = li.querySelector(".state-count");
      const text = String(n);
      if (count.textContent !== text) count.textContent = text;
      li.dataset.zero = n === 0 ? "true" : "false";
    }
    // States this build does not draw still belong to the total.
    const entries = counts instanceof Map ? [...counts] : Object.entries(counts ?? {});
    for (const [state, n] of entries) if (!DESK_STATES.includes(state)) total += n;
    if (this.#total) {
      this.#total.dataset.total = String(total);
      this.#total.textContent = t("counts.total", { n: total });
    }
    this.#lastTotal = total;
  }

  /** Re-apply labels in the current language. */
  relabel() {
    for (const [state, li] of this.#rows) {
      li.querySelector(".state-label").textContent = t(`state.${state}`);
      const help = li.querySelector(".state-help");
      if (help) help.textContent = t(`state.help.${state}`);
    }
    if (this.#total) this.#total.textContent = t("counts.total", { n: this.#lastTotal });
  }
}
