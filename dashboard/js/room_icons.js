// Icons for the room screen and viewer, drawn as SVG: emoji fonts are missing on many room
// computers and phones, where they show as empty boxes.

const SVG_NS = "http://www.w3.org/2000/svg";
const PATHS = {
  // A clipboard: the agenda.
  agenda: "M7 3h6v2h3v13H4V5h3zM7 8h6M7 11h6M7 14h4",
  // A page with a folded corner: a material.
  material: "M5 2h7l4 4v12H5zM12 2v4h4",
  // A triangle: on the screen now.
  showing: "M6 4l10 6-10 6z",
};

/** An inline SVG icon (decorative: the text next to it says what it means). */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", PATHS[name]);
  path.setAttribute("fill", name === "showing" ? "currentColor" : "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.6");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
