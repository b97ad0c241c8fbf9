// Wi-Fi busy-ness on the floor map: a badge per zone with the estimated number of people,
// from GET /api/floors/{floor}/busyness. Figures under 5 people arrive as null and are shown
// as "fewer than 5"; a floor whose APs are not all reporting shows no badges (a partial count
// would understate it). Text, not colour, carries the figure.
//
// Self-contained: it finds the map (#floor-map), follows its data-floor attribute and redraws
// after the map redraws. Hook it up with one line in index.html (or an import in app.js):
//   <script type="module" src="/static/js/busyness_layer.js"></script>

import { lang, onLanguageChange } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const REFRESH_MS = 60_000;

const TEXT = {
  en: { people: (n) => `≈ ${n} people`, few: "fewer than 5" },
  ja: { people: (n) => `約${n}人`, few: "5人未満" },
};

function label(zone) {
  const words = TEXT[lang()] ?? TEXT.en;
  return zone.suppressed || zone.people === null ? words.few : words.people(zone.people);
}

export class BusynessLayer {
  #svg;
  #floor = null;
  #data = null;
  #timer = null;
  #observer;

  constructor(svg, { refreshMs = REFRESH_MS } = {}) {
    this.#svg = svg;
    // The map replaces its children on every floor change: draw again afterwards.
    this.#observer = new MutationObserver(() => this.#follow());
    this.#observer.observe(svg, { childList: true, attributes: true, attributeFilter: ["data-floor"] });
    this.#timer = setInterval(() => this.refresh(), refreshMs);
    onLanguageChange(() => this.#draw());
    this.#follow();
  }

  /** Fetch the current floor's busy-ness again and redraw the badges. */
  async refresh() {
    const floor = this.#floor;
    if (!floor) return;
    try {
      const response = await fetch(`/api/floors/${encodeURIComponent(floor)}/busyness`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return; // a server without Wi-Fi presence: no badges
      const data = await response.json();
      if (floor === this.#floor) {
        this.#data = data;
        this.#draw();
      }
    } catch {
      // Offline: keep what is drawn; the next refresh tries again.
    }
  }

  stop() {
    clearInterval(this.#timer);
    this.#observer.disconnect();
  }

  #follow() {
    const floor = this.#svg.dataset.floor || null;
    if (floor !== this.#floor) {
      this.#floor = floor;
      this.#data = null;
      this.refresh();
    } else if (this.#data && !this.#svg.querySelector(".busyness-badge")) {
      this.#draw();
    }
  }

  #draw() {
    const data = this.#data;
    if (!data) return;
    if (!data.reporting) {
      this.#svg.querySelectorAll(".busyness-badge").forEach((badge) => badge.remove());
      return;
    }
    for (const zone of data.zones) {
      const group = this.#svg.querySelector(`.zone[data-zone="${CSS.escape(zone.zone)}"]`);
      const area = group?.querySelector(".zone-area");
      if (!area) continue;
      group.querySelector(".busyness-badge")?.remove();
      const x = Number(area.getAttribute("x")) + Number(area.getAttribute("width"));
      const y = Number(area.getAttribute("y")) + Number(area.getAttribute("height"));
      const badge = document.createElementNS(SVG_NS, "text");
      badge.setAttribute("class", "busyness-badge");
      badge.setAttribute("x", String(x - 0.4));
      badge.setAttribute("y", String(y - 0.4));
      badge.setAttribute("text-anchor", "end");
      badge.setAttribute("font-size", "0.8");
      badge.setAttribute("paint-order", "stroke");
      badge.setAttribute("stroke", "#ffffff");
      badge.setAttribute("stroke-width", "0.15");
      badge.dataset.people = zone.people === null ? "" : String(zone.people);
      badge.dataset.suppressed = String(Boolean(zone.suppressed));
      badge.textContent = label(zone);
      group.append(badge);
    }
  }
}

const map = document.getElementById("floor-map");
if (map) window.freeseatBusyness = new BusynessLayer(map);
