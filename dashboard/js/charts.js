// Small SVG charts for the facilities views: bars, lines and a heatmap, each in a
// <figure> with a title, a "no data yet" state and a CSV export of exactly the data drawn.
// Charts draw in a fixed viewBox and scale with their container, so text keeps its
// proportion from a laptop to a 4K wall screen.

const SVG_NS = "http://www.w3.org/2000/svg";
const W = 640;
const PAD = { top: 16, right: 16, bottom: 44, left: 56 };
const FONT = 15;
// Okabe–Ito palette: told apart by people with the common colour-vision deficiencies.
export const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];

function svgEl(name, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One CSV field, quoted when it holds a comma, quote or line break. */
function csvField(value) {
  if (value === null || value === undefined) return "";
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text (RFC 4180, CRLF) from a header row and data rows. */
export function toCsv(header, rows) {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least max. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/**
 * A chart slot: <figure data-chart=id> with caption, CSV button, body and empty note.
 * Call update(...) on the returned object with new data whenever it changes.
 */
class Chart {
  constructor(container, { id, title, csvName, emptyText, describe }) {
    this.id = id;
    this.csvName = csvName ?? id;
    this.describe = describe;
    this.figure = document.createElement("figure");
    this.figure.className = "chart";
    this.figure.dataset.chart = id;
    const caption = document.createElement("figcaption");
    this.titleEl = document.createElement("span");
    this.titleEl.className = "chart-title";
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = "chart-csv";
    this.button.dataset.csv = id;
    this.button.addEventListener("click", () => this.download());
    caption.append(this.titleEl, this.button);
    this.body = document.createElement("div");
    this.body.className = "chart-body";
    this.empty = document.createElement("p");
    this.empty.className = "chart-empty";
    this.figure.append(caption, this.body, this.empty);
    container.append(this.figure);
    this.csv = { header: [], rows: [] };
    this.setText({ title, emptyText, csvLabel: "CSV" });
  }

  /** Title, "no data" text and CSV button label, e.g. after a language switch. */
  setText({ title, emptyText, csvLabel }) {
    if (title !== undefined) this.titleEl.textContent = title;
    if (emptyText !== undefined) this.empty.textContent = emptyText;
    if (csvLabel !== undefined) {
      this.button.textContent = csvLabel;
      this.button.setAttribute("aria-label", `${csvLabel}: ${this.titleEl.textContent}`);
    }
  }

  /** Show the SVG, or the empty note when there is nothing to draw. */
  show(svg, hasData) {
    this.figure.dataset.state = hasData ? "data" : "empty";
    this.empty.hidden = hasData;
    this.button.disabled = !hasData;
    this.body.replaceChildren(...(hasData && svg ? [svg] : []));
  }

  setCsv(header, rows) {
    this.csv = { header, rows };
  }

  csvText() {
    return toCsv(this.csv.header, this.csv.rows);
  }

  download() {
    const blob = new Blob(["\ufeff", this.csvText()], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `${this.csvName}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  svg(height, label) {
    const svg = svgEl("svg", { viewBox: `0 0 ${W} ${height}`, class: "chart-svg", role: "img" });
    svg.setAttribute("aria-label", label || this.titleEl.textContent);
    return svg;
  }
}

function yAxis(svg, height, max, format) {
  const plotH = height - PAD.top - PAD.bottom;
  const g = svgEl("g", { class: "axis axis-y" });
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    const y = PAD.top + plotH - (plotH * i) / 4;
    g.append(svgEl("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: i ? "grid" : "baseline" }));
    g.append(svgEl("text", { x: PAD.left - 6, y: y + FONT / 3, "text-anchor": "end", "font-size": FONT }, format(value)));
  }
  svg.append(g);
}

/**
 * A target drawn across the plot: a dashed line with its label, so it reads without colour.
 * `at` is the line's position along the value axis, in SVG units; `vertical` for bars laid flat.
 */
function targetLine(svg, { at, from, to, label, vertical = false }) {
  const g = svgEl("g", { class: "target", "data-target": label });
  const line = vertical
    ? svgEl("line", { x1: at, x2: at, y1: from, y2: to })
    : svgEl("line", { x1: from, x2: to, y1: at, y2: at });
  line.setAttribute("class", "target-line");
  g.append(line);
  // Labelled at the start of the line, where data points crowd least.
  const text = vertical
    ? svgEl("text", { x: at + 4, y: from - 2, "font-size": FONT, class: "target-label" }, label)
    : svgEl("text", { x: from + 6, y: at - 5, "font-size": FONT, class: "target-label" }, label);
  g.append(text);
  svg.append(g);
}

/** The axis top for values that cannot exceed `cap` (e.g. 1 for shares): nice, at most cap. */
export function cappedMax(values, cap) {
  const known = values.filter((v) => v !== null && v !== undefined);
  return Math.min(cap, niceMax(Math.max(0, ...known)));
}

/** max as given; "share" for values in 0..1 (a nice bound, at most 1); else a nice bound. */
function axisTop(max, values) {
  if (max === "share") return cappedMax(values, 1);
  return max ?? niceMax(Math.max(...values));
}

function ellipsis(text, chars) {
  const s = String(text);
  return s.length > chars ? `${s.slice(0, chars - 1)}…` : s;
}

/**
 * Bars: data [{key, label, value, color?}]; value null draws no bar ("no data").
 * Many categories are drawn as horizontal bars so every label stays readable.
 */
export class BarChart extends Chart {
  update(data, { format = (v) => String(v), max, csvHeader = ["label", "value"], csvRow, horizontal, target } = {}) {
    const known = data.filter((d) => d.value !== null && d.value !== undefined);
    this.setCsv(csvHeader, data.map((d) => (csvRow ? csvRow(d) : [d.label, d.value])));
    if (!known.length) return this.show(null, false);
    const top = Math.max(axisTop(max, known.map((d) => d.value)), target?.value ?? 0);
    if (horizontal ?? data.length > 12) return this.#horizontal(data, top, format, target);
    const height = 300;
    const svg = this.svg(height);
    yAxis(svg, height, top, format);
    const plotW = W - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const slot = plotW / data.length;
    const barW = Math.min(80, Math.max(2, slot * 0.7));
    const every = Math.ceil((data.length * FONT * 3.2) / plotW);
    data.forEach((d, i) => {
      const x = PAD.left + i * slot + (slot - barW) / 2;
      if (d.value !== null && d.value !== undefined) {
        const h = (plotH * Math.min(d.value, top)) / top;
        const bar = svgEl("rect", {
          x, y: PAD.top + plotH - h, width: barW, height: Math.max(h, 0.5),
          fill: d.color ?? PALETTE[0], class: "bar", "data-key": d.key ?? d.label, "data-value": d.value,
        });
        bar.append(svgEl("title", {}, `${d.label}: ${format(d.value)}`));
        svg.append(bar);
        if (data.length <= 12) {
          svg.append(svgEl("text", { x: x + barW / 2, y: PAD.top + plotH - h - 4, "text-anchor": "middle", "font-size": FONT, class: "bar-value" }, format(d.value)));
        }
      }
      if (i % every === 0) {
        svg.append(svgEl("text", { x: x + barW / 2, y: height - PAD.bottom + FONT + 6, "text-anchor": "middle", "font-size": FONT, class: "tick" }, d.label));
      }
    });
    if (target) targetLine(svg, { at: PAD.top + plotH - (plotH * target.value) / top, from: PAD.left, to: W - PAD.right, label: target.label });
    this.show(svg, true);
  }

  #horizontal(data, top, format, target) {
    const rowH = 26;
    const left = 250;
    const right = 64;
    const height = PAD.top + data.length * rowH + 34;
    const svg = this.svg(height);
    const plotW = W - left - right;
    const g = svgEl("g", { class: "axis axis-x" });
    for (let i = 0; i <= 4; i++) {
      const x = left + (plotW * i) / 4;
      g.append(svgEl("line", { x1: x, x2: x, y1: PAD.top, y2: PAD.top + data.length * rowH, class: i ? "grid" : "baseline" }));
      g.append(svgEl("text", { x, y: height - 10, "text-anchor": "middle", "font-size": FONT, class: "tick" }, format((top * i) / 4)));
    }
    svg.append(g);
    data.forEach((d, i) => {
      const y = PAD.top + i * rowH;
      const label = svgEl("text", { x: left - 8, y: y + rowH / 2 + FONT / 3, "text-anchor": "end", "font-size": FONT, class: "tick" }, ellipsis(d.label, 27));
      label.append(svgEl("title", {}, d.label));
      svg.append(label);
      if (d.value === null || d.value === undefined) return;
      const w = (plotW * Math.min(d.value, top)) / top;
      const bar = svgEl("rect", {
        x: left, y: y + 4, width: Math.max(w, 0.5), height: rowH - 8,
        fill: d.color ?? PALETTE[0], class: "bar", "data-key": d.key ?? d.label, "data-value": d.value,
      });
      bar.append(svgEl("title", {}, `${d.label}: ${format(d.value)}`));
      svg.append(bar, svgEl("text", { x: left + w + 6, y: y + rowH / 2 + FONT / 3, "font-size": FONT, class: "bar-value" }, format(d.value)));
    });
    if (target) targetLine(svg, { at: left + (plotW * target.value) / top, from: PAD.top, to: PAD.top + data.length * rowH, label: target.label, vertical: true });
    this.show(svg, true);
  }
}

/** Lines over a shared x axis: series [{name, points: [{x, label, y}]}]; y null breaks the line. */
export class LineChart extends Chart {
  update(series, { format = (v) => String(v), max, xLabels = [], csvHeader, csvRows, target } = {}) {
    const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y !== null && y !== undefined);
    this.setCsv(csvHeader ?? ["x", ...series.map((s) => s.name)], csvRows ?? []);
    if (!ys.length) return this.show(null, false);
    const height = 300;
    const top = Math.max(axisTop(max, ys), target?.value ?? 0);
    const svg = this.svg(height);
    yAxis(svg, height, top, format);
    const plotW = W - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const n = Math.max(2, xLabels.length || Math.max(...series.map((s) => s.points.length)));
    const xAt = (i) => PAD.left + (plotW * i) / (n - 1);
    const yAt = (y) => PAD.top + plotH - (plotH * Math.min(y, top)) / top;
    const every = Math.ceil((n * FONT * 2.4) / plotW);
    xLabels.forEach((label, i) => {
      if (i % every === 0) svg.append(svgEl("text", { x: xAt(i), y: height - PAD.bottom + FONT + 6, "text-anchor": "middle", "font-size": FONT, class: "tick" }, label));
    });
    const markers = ["circle", "rect", "diamond"];
    series.forEach((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length];
      let d = "";
      let pen = false;
      const g = svgEl("g", { class: "series", "data-series": s.name });
      s.points.forEach((p, i) => {
        if (p.y === null || p.y === undefined) {
          pen = false;
          return;
        }
        d += `${pen ? "L" : "M"}${xAt(i).toFixed(1)} ${yAt(p.y).toFixed(1)}`;
        pen = true;
        // A marker shape per series, so lines are told apart without colour.
        const m = markers[si % markers.length];
        const cx = xAt(i);
        const cy = yAt(p.y);
        const point =
          m === "circle" ? svgEl("circle", { cx, cy, r: 3.5 })
          : m === "rect" ? svgEl("rect", { x: cx - 3.5, y: cy - 3.5, width: 7, height: 7 })
          : svgEl("path", { d: `M${cx} ${cy - 5}L${cx + 5} ${cy}L${cx} ${cy + 5}L${cx - 5} ${cy}Z` });
        point.setAttribute("fill", color);
        point.setAttribute("class", "point");
        point.append(svgEl("title", {}, `${s.name} ${p.label ?? xLabels[i] ?? i}: ${format(p.y)}`));
        g.append(point);
      });
      g.prepend(svgEl("path", { d, fill: "none", stroke: color, "stroke-width": 2.5, class: "line" }));
      svg.append(g);
    });
    if (target) targetLine(svg, { at: yAt(target.value), from: PAD.left, to: W - PAD.right, label: target.label });
    if (series.length > 1) {
      series.forEach((s, si) => {
        svg.append(svgEl("text", { x: PAD.left + 8 + si * 160, y: PAD.top + FONT, "font-size": FONT, fill: s.color ?? PALETTE[si % PALETTE.length] }, s.name));
      });
    }
    this.show(svg, true);
  }
}

/** A colour ramp from pale to dark blue: lightness carries the value, not hue. */
function heatColour(v) {
  const t = Math.max(0, Math.min(1, v));
  const l = 96 - t * 66;
  return `hsl(210 80% ${l}%)`;
}

/** A grid of rows × columns; values 0..1 (null = no data, drawn hatched-grey). */
export class Heatmap extends Chart {
  update({ rows, cols, value, format = (v) => String(v), csvHeader, csvRows }) {
    const all = rows.flatMap((_, r) => cols.map((_, c) => value(r, c)));
    this.setCsv(csvHeader, csvRows);
    if (!all.some((v) => v !== null && v !== undefined)) return this.show(null, false);
    // The ramp spans 0..top so a quiet building still shows its pattern; the legend says top.
    const top = cappedMax(all, 1);
    const colour = (v) => heatColour(v / top);
    // Wide enough for the longest row label (zone names), within a third of the chart.
    const left = Math.min(W / 3, Math.max(64, 10 + Math.max(...rows.map((r) => String(r).length)) * FONT * 0.55));
    const cellW = (W - left - PAD.right) / cols.length;
    const cellH = 30;
    const height = PAD.top + rows.length * cellH + 30 + 34;
    const svg = this.svg(height);
    rows.forEach((rowLabel, r) => {
      const y = PAD.top + r * cellH;
      svg.append(svgEl("text", { x: left - 8, y: y + cellH / 2 + FONT / 3, "text-anchor": "end", "font-size": FONT, class: "tick" }, rowLabel));
      cols.forEach((_, c) => {
        const v = value(r, c);
        const cell = svgEl("rect", {
          x: left + c * cellW + 0.5, y: y + 0.5, width: cellW - 1, height: cellH - 1,
          fill: v === null || v === undefined ? "url(#heat-none)" : colour(v),
          class: "cell", "data-row": r, "data-col": c, "data-value": v ?? "",
        });
        cell.append(svgEl("title", {}, `${rowLabel} ${cols[c]}: ${v === null || v === undefined ? "–" : format(v)}`));
        svg.append(cell);
      });
    });
    const every = Math.ceil((cols.length * FONT * 1.6) / (W - left));
    cols.forEach((label, c) => {
      if (c % every === 0) svg.append(svgEl("text", { x: left + c * cellW + cellW / 2, y: PAD.top + rows.length * cellH + FONT + 4, "text-anchor": "middle", "font-size": FONT, class: "tick" }, label));
    });
    // Legend: the ramp from 0 to 100 %, and the "no data" swatch.
    const ly = height - 22;
    for (let i = 0; i <= 10; i++) {
      svg.append(svgEl("rect", { x: left + i * 22, y: ly, width: 22, height: 14, fill: heatColour(i / 10) }));
    }
    svg.append(svgEl("text", { x: left - 8, y: ly + 12, "text-anchor": "end", "font-size": FONT - 2 }, format(0)));
    svg.append(svgEl("text", { x: left + 11 * 22 + 6, y: ly + 12, "font-size": FONT - 2 }, format(top)));
    const defs = svgEl("defs");
    const pattern = svgEl("pattern", { id: "heat-none", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    pattern.append(svgEl("rect", { width: 6, height: 6, fill: "#f1f5f9" }), svgEl("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#cbd5e1", "stroke-width": 2 }));
    defs.append(pattern);
    svg.prepend(defs);
    this.show(svg, true);
  }
}

/**
 * A table in a chart slot (title, CSV, "no data" note): columns [{key, label, format?, num?}],
 * rows of plain objects; the CSV holds the raw values of the same columns unless given.
 */
export class TableChart extends Chart {
  update(rows, { columns, csvHeader, csvRows, rowAttrs } = {}) {
    this.setCsv(csvHeader ?? columns.map((c) => c.key), csvRows ?? rows.map((r) => columns.map((c) => r[c.key])));
    if (!rows.length) return this.show(null, false);
    const table = document.createElement("table");
    table.className = "data-table";
    const head = table.createTHead().insertRow();
    for (const column of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = column.label;
      if (column.num) th.className = "num";
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const [name, value] of Object.entries(rowAttrs?.(row) ?? {})) tr.dataset[name] = value;
      for (const column of columns) {
        const td = tr.insertCell();
        const value = row[column.key];
        td.textContent = value === null || value === undefined ? "–" : column.format ? column.format(value, row) : String(value);
        if (column.num) td.className = "num";
      }
    }
    // A wide table scrolls sideways in its slot: keyboard users must be able to reach it.
    this.body.tabIndex = 0;
    this.body.setAttribute("role", "region");
    this.body.setAttribute("aria-label", this.titleEl.textContent);
    this.show(table, true);
  }
}
