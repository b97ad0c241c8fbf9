// The SVG floor map: draws a floor's outline, zones, rooms, access points and
// desks once per floor, then updates only the desks whose state changed.
// Coordinates are metres from the floor's top-left corner.

import { glyphId } from "./desk_states.js";
import { formatTime, lang, localName, t, termLabel } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MARGIN_M = 1.5;
const ZONE_TINTS = ["#e0f2fe", "#ede9fe", "#dcfce7", "#fef9c3", "#fce7f3", "#e0e7ff", "#ccfbf1", "#ffedd5"];

/** Squeeze a label into `width` metres when it would spill out of its box (text stays whole). */
function fitText(text, width) {
  text.removeAttribute("textLength");
  text.removeAttribute("lengthAdjust");
  if (!text.isConnected || width <= 0) return;
  if (text.getComputedTextLength() > width) {
    text.setAttribute("textLength", String(width));
    text.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The Japanese variant of a field (e.g. department_name_ja) in Japanese, when the server sends one. */
function localField(obj, field) {
  return (lang() === "ja" && obj?.[`${field}_ja`]) || obj?.[field] || "";
}

/** The floor map inside an existing <svg id="floor-map">. */
export class FloorMap {
  #svg;
  #state = null;
  #deskEls = new Map();
  #labels = [];
  #layers = {};
  #selectedId = null;
  #tabStopId = null;
  #onDeskActivate;
  #onDeskFocus;

  /**
   * @param {SVGSVGElement} svg
   * @param {object} options onDeskActivate(deskId) on click/Enter/Space;
   *   onDeskFocus(desk) when keyboard focus lands on a desk.
   */
  constructor(svg, { onDeskActivate, onDeskFocus } = {}) {
    this.#svg = svg;
    this.#onDeskActivate = onDeskActivate;
    this.#onDeskFocus = onDeskFocus;
    svg.addEventListener("click", (e) => {
      const desk = e.target.closest?.("[data-desk]");
      if (desk) this.#onDeskActivate?.(desk.dataset.desk);
    });
    svg.addEventListener("keydown", (e) => this.#onKeyDown(e));
    svg.addEventListener("focusin", (e) => this.#onFocusIn(e));
    svg.addEventListener("focusout", () => this.#moveRing(this.#layers.focusRing, null));
  }

  /** The content box (floor plus margin) in metres, for pan/zoom. */
  get baseBox() {
    const f = this.#state?.floor ?? { width: 60, height: 36 };
    return { x: -MARGIN_M, y: -MARGIN_M, w: f.width + 2 * MARGIN_M, h: f.height + 2 * MARGIN_M };
  }

  /** The <g> drawn for a desk id, or undefined. */
  deskElement(id) {
    return this.#deskEls.get(id);
  }

  /** Draw a whole floor from a FloorState, replacing whatever was drawn. */
  render(state) {
    this.#state = state;
    this.#deskEls.clear();
    this.#labels = [];
    this.#selectedId = null;
    const floor = state.floor;
    const svg = this.#svg;
    svg.replaceChildren();
    svg.dataset.floor = floor.id;
    this.setVersion(state.version);

    const layer = (cls) => svg.appendChild(el("g", { class: cls }));
    const L = (this.#layers = {
      floor: layer("layer-floor"),
      zones: layer("layer-zones"),
      rooms: layer("layer-rooms"),
      aps: layer("layer-access-points"),
      desks: layer("layer-desks"),
      marks: layer("layer-marks"),
      overlay: layer("layer-overlay"),
    });

    L.floor.append(el("rect", { class: "floor-outline", x: 0, y: 0, width: floor.width, height: floor.height, rx: 0.3 }));
    (floor.zones ?? []).forEach((zone, i) => L.zones.append(this.#zone(zone, i)));
    for (const room of floor.rooms ?? []) L.rooms.append(this.#room(room));
    for (const ap of floor.access_points ?? []) L.aps.append(this.#accessPoint(ap));

    // Reading order (rows, then left to right) decides which desk Tab reaches first.
    const desks = [...state.desks.values()].sort((a, b) => Math.round(a.y - b.y) || a.x - b.x);
    const fragment = document.createDocumentFragment();
    for (const desk of desks) {
      const g = el("g", {
        class: "desk",
        "data-desk": desk.id,
        transform: `translate(${desk.x} ${desk.y})`,
        tabindex: "-1",
        role: "button",
      });
      // Glyphs are drawn 1 m wide; back-to-back desk rows can be 0.8 m apart, so draw them at
      // 0.75 m to keep neighbours from overlapping (and clicks from landing on the wrong desk).
      // The glyph is small on a phone; a transparent pad as wide as the seat pitch (and as
      // deep as the gap to the row behind) takes the tap, so a finger finds the desk.
      g.append(
        el("title"),
        el("rect", { class: "desk-hit", x: -0.7, y: -0.4, width: 1.4, height: 0.8 }),
        el("use", { href: `#${glyphId(desk.state)}`, transform: "scale(0.75)" }),
      );
      this.#deskEls.set(desk.id, g);
      this.#writeDesk(g, desk);
      fragment.append(g);
    }
    L.desks.append(fragment);
    this.#tabStopId = desks[0]?.id ?? null;
    if (this.#tabStopId) this.#deskEls.get(this.#tabStopId).setAttribute("tabindex", "0");

    L.selectionRing = el("rect", { class: "desk-ring desk-ring-selected", x: -0.8, y: -0.8, width: 1.6, height: 1.6, rx: 0.3, visibility: "hidden" });
    L.focusRing = el("rect", { class: "desk-ring desk-ring-focus", x: -0.85, y: -0.85, width: 1.7, height: 1.7, rx: 0.35, visibility: "hidden" });
    L.overlay.append(L.selectionRing, L.focusRing);
    this.relabel();
  }

  /** Redraw only the given desks from the state store (cheap: a few attribute writes each). */
  updateDesks(ids) {
    for (const id of ids) {
      const g = this.#deskEls.get(id);
      const desk = this.#state?.desks.get(id);
      if (g && desk) this.#writeDesk(g, desk);
    }
  }

  setVersion(version) {
    this.#svg.dataset.version = version ?? "";
  }

  /** Re-apply every text in the current language (after a language switch). */
  relabel() {
    const state = this.#state;
    if (!state) return;
    const floor = state.floor;
    this.#svg.setAttribute("aria-label", t("map.label", { floor: localName(floor), desks: state.desks.size }));
    for (const fn of this.#labels) fn();
    for (const [id, g] of this.#deskEls) this.#writeDesk(g, state.desks.get(id), true);
  }

  /** Show the selection ring on a desk (null clears it). */
  select(id) {
    this.#selectedId = id;
    const g = id ? this.#deskEls.get(id) : null;
    for (const other of this.#svg.querySelectorAll('.desk[aria-pressed="true"]')) other.removeAttribute("aria-pressed");
    g?.setAttribute("aria-pressed", "true");
    this.#moveRing(this.#layers.selectionRing, g ? this.#state.desks.get(id) : null);
  }

  /**
   * Mark suggested desks (ids in rank order) with a numbered ring, and the person's own desk
   * with a double ring and a star; both survive live updates. Shape and number, not colour.
   */
  mark({ suggested = [], mine = null } = {}) {
    const overlay = this.#layers.marks;
    if (!overlay) return;
    overlay.replaceChildren();
    for (const g of this.#svg.querySelectorAll("[data-suggested], [data-mine]")) {
      delete g.dataset.suggested;
      delete g.dataset.mine;
    }
    suggested.forEach((id, i) => {
      const desk = this.#state.desks.get(id);
      const g = this.#deskEls.get(id);
      if (!desk || !g) return;
      g.dataset.suggested = String(i + 1);
      const mark = el("g", { class: "desk-mark desk-mark-suggested", transform: `translate(${desk.x} ${desk.y})` });
      mark.append(
        el("circle", { r: 0.85 }),
        el("circle", { class: "mark-badge", cx: 0.7, cy: -0.7, r: 0.38 }),
        el("text", { class: "mark-rank", x: 0.7, y: -0.7, "text-anchor": "middle", "dominant-baseline": "central" }, String(i + 1)),
      );
      overlay.append(mark);
    });
    const desk = mine ? this.#state.desks.get(mine) : null;
    if (desk) {
      this.#deskEls.get(mine).dataset.mine = "true";
      const mark = el("g", { class: "desk-mark desk-mark-mine", transform: `translate(${desk.x} ${desk.y})` });
      mark.append(
        el("circle", { r: 0.8 }),
        el("circle", { r: 1.0 }),
        el("text", { class: "mark-star", x: -0.75, y: -0.75, "text-anchor": "middle", "dominant-baseline": "central" }, "★"),
      );
      overlay.append(mark);
    }
  }

  /** Move keyboard focus to a desk (and make it the map's tab stop). */
  focusDesk(id) {
    const g = this.#deskEls.get(id);
    if (!g) return;
    this.#setTabStop(id);
    g.focus();
  }

  #writeDesk(g, desk, labelsOnly = false) {
    if (!labelsOnly) {
      g.dataset.state = desk.state;
      g.lastChild.setAttribute("href", `#${glyphId(desk.state)}`);
    }
    const stateLabel = termLabel("state", desk.state);
    const label = desk.label ?? desk.id;
    g.firstChild.textContent = t("desk.title", { id: label, state: stateLabel, since: formatTime(desk.since) });
    g.setAttribute("aria-label", t("desk.aria", { id: label, state: stateLabel }));
  }

  #zone(zone, index) {
    const { x, y, w, h } = zone.rect;
    const g = el("g", { class: "zone", "data-zone": zone.id });
    g.append(el("rect", { class: "zone-area", x, y, width: w, height: h, rx: 0.4, fill: ZONE_TINTS[index % ZONE_TINTS.length] }));
    const label = el("text", { class: "zone-label", x: x + 0.4, y: y + 0.95 });
    const name = el("tspan", { class: "zone-name" });
    const dept = el("tspan", { class: "zone-dept", dx: "0.6" });
    label.append(name, dept);
    g.append(label);
    this.#labels.push(() => {
      name.textContent = localName(zone);
      dept.textContent = localField(zone, "department_name") || zone.department || "";
      fitText(label, w - 0.8);
    });
    return g;
  }

  #room(room) {
    const { x, y, w, h } = room.rect;
    const g = el("g", { class: "room", "data-room": room.id });
    const title = el("title");
    g.append(title, el("rect", { class: "room-area", x, y, width: w, height: h, rx: 0.25 }));
    const name = el("text", { class: "room-name", x: x + w / 2, y: y + h / 2 - 0.2, "text-anchor": "middle" });
    const capacity = el("text", { class: "room-capacity", x: x + w / 2, y: y + h / 2 + 0.8, "text-anchor": "middle" });
    g.append(name, capacity);
    this.#labels.push(() => {
      name.textContent = localName(room);
      capacity.textContent = room.capacity ? t("room.capacity", { n: room.capacity }) : "";
      fitText(name, w - 0.4);
      fitText(capacity, w - 0.4);
      title.textContent = t("room.label", { name: localName(room), capacity: room.capacity ?? "?" });
    });
    return g;
  }

  #accessPoint(ap) {
    const g = el("g", { class: "access-point", "data-access-point": ap.id, transform: `translate(${ap.x} ${ap.y})` });
    const title = el("title");
    g.append(
      title,
      el("circle", { class: "ap-ring", r: 0.45 }),
      el("circle", { class: "ap-dot", r: 0.16 }),
    );
    this.#labels.push(() => (title.textContent = t("ap.label", { id: ap.id })));
    return g;
  }

  #moveRing(ring, desk) {
    if (!ring) return;
    if (!desk) {
      ring.setAttribute("visibility", "hidden");
      return;
    }
    ring.setAttribute("transform", `translate(${desk.x} ${desk.y})`);
    ring.setAttribute("visibility", "visible");
  }

  #setTabStop(id) {
    if (this.#tabStopId === id) return;
    this.#deskEls.get(this.#tabStopId)?.setAttribute("tabindex", "-1");
    this.#deskEls.get(id)?.setAttribute("tabindex", "0");
    this.#tabStopId = id;
  }

  #onFocusIn(event) {
    const g = event.target.closest?.("[data-desk]");
    if (!g) return;
    const desk = this.#state.desks.get(g.dataset.desk);
    this.#setTabStop(desk.id);
    // Keyboard focus gets a ring; a mouse click already shows the selection ring.
    if (g.matches(":focus-visible")) this.#moveRing(this.#layers.focusRing, desk);
    this.#onDeskFocus?.(desk);
  }

  #onKeyDown(event) {
    const g = event.target.closest?.("[data-desk]");
    if (!g || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this.#onDeskActivate?.(g.dataset.desk);
      return;
    }
    const dir = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
    if (!dir) return;
    event.preventDefault();
    const next = this.#nearestDesk(this.#state.desks.get(g.dataset.desk), dir);
    if (next) this.focusDesk(next.id);
  }

  /** The nearest desk from `from` in direction dir, favouring desks in line with it. */
  #nearestDesk(from, [dx, dy]) {
    let best = null;
    let bestScore = Infinity;
    for (const desk of this.#state.desks.values()) {
      const vx = desk.x - from.x;
      const vy = desk.y - from.y;
      const along = vx * dx + vy * dy;
      if (along <= 0.2) continue;
      const across = Math.abs(vx * dy - vy * dx);
      const score = along + 2.5 * across;
      if (score < bestScore) {
        bestScore = score;
        best = desk;
      }
    }
    return best;
  }
}
