// The six desk states, their order, and the glyph each is drawn with.
// Every view (floor map, legend, lobby board later) draws states from here so a
// state always has the same colour *and* shape: colour is never the only signal.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Desk states in display order (most useful to a seat-seeker first). */
export const DESK_STATES = Object.freeze(["free", "held", "occupied", "away", "unknown", "blocked"]);

/** The glyph id for a state; states this build does not know are drawn as unknown. */
export function glyphId(state) {
  return `desk-glyph-${DESK_STATES.includes(state) ? state : "unknown"}`;
}

// Each glyph fits a 1.2 m desk centred on (0, 0), in metres.
const SQUARE = 'x="-0.5" y="-0.5" width="1" height="1" rx="0.12"';
const GLYPHS = {
  // Open outline, nothing inside: a seat you can take.
  free: `<rect ${SQUARE} fill="#ffffff" stroke="#15803d" stroke-width="0.14"/>`,
  // Amber square with a clock: reserved for someone on their way.
  held:
    `<rect ${SQUARE} fill="#fef3c7" stroke="#b45309" stroke-width="0.14"/>` +
    '<circle r="0.27" fill="none" stroke="#92400e" stroke-width="0.08"/>' +
    '<path d="M0 -0.16 V0 L0.12 0.09" fill="none" stroke="#92400e" stroke-width="0.08" stroke-linecap="round"/>',
  // Filled dark square with a person: taken.
  occupied:
    `<rect ${SQUARE} fill="#b42318" stroke="#7a1610" stroke-width="0.08"/>` +
    '<circle cy="-0.16" r="0.14" fill="#ffffff"/>' +
    '<path d="M-0.27 0.32 Q-0.27 0.02 0 0.02 Q0.27 0.02 0.27 0.32 Z" fill="#ffffff"/>',
  // Hollow amber circle with a pause sign: assigned, briefly absent.
  away:
    '<circle r="0.5" fill="#fffbeb" stroke="#b45309" stroke-width="0.14"/>' +
    '<rect x="-0.17" y="-0.18" width="0.11" height="0.36" fill="#92400e"/>' +
    '<rect x="0.06" y="-0.18" width="0.11" height="0.36" fill="#92400e"/>',
  // Grey dashed outline with "?": the sensor is offline or stale.
  unknown:
    `<rect ${SQUARE} fill="#f3f4f6" stroke="#6b7280" stroke-width="0.1" stroke-dasharray="0.2 0.12"/>` +
    '<text y="0.03" text-anchor="middle" dominant-baseline="central" font-size="0.72" font-weight="700" ' +
    'font-family="system-ui, sans-serif" fill="#374151">?</text>',
  // Hatched, struck-through square: out of service.
  blocked:
    `<rect ${SQUARE} fill="#e5e7eb" stroke="#374151" stroke-width="0.12"/>` +
    '<path d="M-0.5 0 L0 -0.5 M-0.5 0.5 L0.5 -0.5 M0 0.5 L0.5 0" stroke="#374151" stroke-width="0.09"/>',
};

/**
 * Add a hidden sprite <svg> holding one <g> per state glyph, once per document,
 * so any <svg> on the page can draw a state with <use href="#desk-glyph-...">.
 */
export function installDeskGlyphs(doc = document) {
  if (doc.getElementById("desk-glyphs")) return;
  const sprite = doc.createElementNS(SVG_NS, "svg");
  sprite.id = "desk-glyphs";
  sprite.setAttribute("aria-hidden", "true");
  sprite.setAttribute("focusable", "false");
  // Not display:none: Chrome drops some referenced content from undisplayed SVGs.
  sprite.setAttribute("width", "0");
  sprite.setAttribute("height", "0");
  sprite.style.position = "absolute";
  const defs = DESK_STATES.map((s) => `<g id="desk-glyph-${s}">${GLYPHS[s]}</g>`).join("");
  sprite.innerHTML = `<defs>${defs}</defs>`;
  doc.body.prepend(sprite);
}

/** A small standalone <svg> showing one state's glyph, for legends and panels. */
export function glyphIcon(state, doc = document) {
  const svg = doc.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "-0.62 -0.62 1.24 1.24");
  svg.setAttribute("class", "glyph-icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = doc.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#${glyphId(state)}`);
  svg.append(use);
  return svg;
}
