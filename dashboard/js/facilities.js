// The facilities view: occupancy now and over time, seat ratio, no-shows,
// paperless meetings and sensor health, each chart with its own CSV export.

import { ApiError, fetchFloor, fetchFloors, getJSON } from "./api.js";
import { BarChart, Heatmap, LineChart, PALETTE } from "./charts.js";
import { FacilitiesInsight } from "./insight.js";
import { setupLanguageSwitch } from "./chrome.js";
import { loadSession, session } from "./session.js";
import { renderSignIn } from "./sign_in.js";
import { formatTime, lang, localName, t } from "./i18n.js";
import { deviceLabel } from "./labels.js";

const NOW_REFRESH_MS = 15_000;
const HISTORY_REFRESH_MS = 120_000;
const IN_USE = ["occupied", "away"];

const $ = (id) => document.getElementById(id);
const grid = $("charts");
const scopeSelect = $("scope-select");
const daysSelect = $("days-select");

const pct = (v) => (v > 0 && v < 0.1 ? `${(v * 100).toFixed(1)}%` : `${Math.round(v * 100)}%`);
const num = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

const charts = {
  nowFloors: new BarChart(grid, { id: "now-by-floor" }),
  nowZones: new BarChart(grid, { id: "now-by-zone" }),
  byHour: new LineChart(grid, { id: "utilisation-by-hour" }),
  heatmap: new Heatmap(grid, { id: "weekday-hour-heatmap" }),
  dailyPeaks: new BarChart(grid, { id: "daily-peak" }),
  seatRatio: new BarChart(grid, { id: "seat-ratio" }),
  noShows: new BarChart(grid, { id: "no-show-rate" }),
  sensors: new BarChart(grid, { id: "sensor-health" }),
};
const insight = new FacilitiesInsight($("headline-charts"), $("insight-charts"));
const CHART_KEYS = {
  nowFloors: "chart.nowFloors",
  nowZones: "chart.nowZones",
  byHour: "chart.byHour",
  heatmap: "chart.heatmap",
  dailyPeaks: "chart.dailyPeaks",
  seatRatio: "chart.seatRatio",
  noShows: "chart.noShows",
  sensors: "chart.sensors",
};
const EMPTY_KEYS = { noShows: "chart.noShowsEmpty" };

/** Everything last fetched, so a language switch can redraw without refetching. */
const data = {
  floors: [],
  details: new Map(),
  now: null,
  occupancy: null,
  perFloor: new Map(),
  sensors: null,
  noShows: null,
};

function scope() {
  return scopeSelect.value || null;
}

function days() {
  return Number(daysSelect.value) || 7;
}

// ---- fetching

/**
 * GET a figure another part of freeseat provides: null when it does not exist (yet),
 * {denied: true} when it needs a sign-in or role this visitor lacks.
 */
async function optional(path) {
  try {
    return await getJSON(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 503)) return null;
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return { denied: true };
    throw err;
  }
}

async function loadFloors() {
  data.floors = await fetchFloors();
  const details = await Promise.all(data.floors.map((f) => fetchFloor(f.id)));
  data.details = new Map(details.map((d) => [d.id, d]));
  renderScopeOptions();
}

async function loadNow() {
  data.now = await getJSON("/api/analytics/now");
  renderNow();
  stamp();
}

async function loadHistory() {
  const floor = scope();
  const q = (params) => new URLSearchParams({ days: String(days()), ...params }).toString();
  // The insight figures load alongside; their failure is reported once the rest is in.
  const figures = insight.load(days()).catch((err) => err);
  const [occupancy, sensors, noShows, ...perFloor] = await Promise.all([
    getJSON(`/api/analytics/occupancy?${q(floor ? { floor } : {})}`),
    getJSON("/api/analytics/sensors"),
    optional(`/api/analytics/no-shows?${q(floor ? { floor } : {})}`),
    ...data.floors.map((f) => getJSON(`/api/analytics/occupancy?${q({ floor: f.id })}`)),
  ]);
  const failed = await figures;
  if (failed instanceof Error) throw failed;
  data.occupancy = occupancy;
  data.sensors = sensors;
  data.noShows = noShows;
  data.perFloor = new Map(perFloor.map((r) => [r.floor, r]));
  renderHistory();
  stamp();
  $("facilities").dataset.loaded = "true";
}

// ---- rendering

function floorName(id) {
  const floor = data.details.get(id) ?? data.floors.find((f) => f.id === id);
  return floor ? localName(floor) : id;
}

function zoneName(floorId, zoneId) {
  const zone = data.details.get(floorId)?.zones.find((z) => z.id === zoneId);
  return zone ? localName(zone) : zoneId;
}

function inUse(counts) {
  return IN_USE.reduce((n, s) => n + (counts[s] ?? 0), 0);
}

function renderScopeOptions() {
  const current = scope() ?? new URLSearchParams(location.search).get("floor") ?? "";
  scopeSelect.replaceChildren(
    new Option(t("facilities.allFloors"), ""),
    ...data.floors.map((f) => new Option(floorName(f.id), f.id)),
  );
  scopeSelect.value = data.floors.some((f) => f.id === current) ? current : "";
}

function renderNow() {
  const now = data.now ?? [];
  charts.nowFloors.update(
    now.map((f) => ({ key: f.floor, label: floorName(f.floor), value: f.desks ? inUse(f.counts) / f.desks : null, f })),
    {
      format: pct,
      max: "share",
      csvHeader: ["floor", "desks", "in_use", "free", "unknown", "utilisation", "floor_id"],
      csvRow: (d) => [d.label, d.f.desks, inUse(d.f.counts), d.f.counts.free ?? 0, d.f.counts.unknown ?? 0, d.value?.toFixed(4), d.key],
    },
  );
  const floors = scope() ? now.filter((f) => f.floor === scope()) : now;
  const groups = scope() ? zoneGroups(floors) : departmentGroups(floors);
  charts.nowZones.setText({ title: t(scope() ? "chart.nowZones" : "chart.nowDepartments") });
  charts.nowZones.update(
    groups.map((g) => ({ key: g.key, label: g.label, value: g.desks ? g.inUse / g.desks : null, g })),
    {
      format: pct,
      max: "share",
      csvHeader: [scope() ? "zone" : "department", "desks", "in_use", "free", "utilisation", scope() ? "zone_id" : "department_id"],
      csvRow: (d) => [d.label, d.g.desks, d.g.inUse, d.g.free, d.value?.toFixed(4), d.key],
    },
  );
  const all = now.reduce((acc, f) => [acc[0] + inUse(f.counts), acc[1] + f.desks], [0, 0]);
  const shown = floors.reduce((acc, f) => [acc[0] + inUse(f.counts), acc[1] + f.desks], [0, 0]);
  const [used, total] = scope() ? shown : all;
  kpi("in-use", total ? `${used} / ${total}` : "–");
}

/** Zones of the shown floors, each with its desks, in use and free now. */
function zoneGroups(floors) {
  return floors.flatMap((f) =>
    f.zones.map((z) => ({ key: z.zone, label: zoneName(f.floor, z.zone), desks: z.desks, inUse: inUse(z.counts), free: z.counts.free ?? 0 })),
  );
}

/** Zones summed per department across the shown floors (zones without one are "other"). */
function departmentGroups(floors) {
  const groups = new Map();
  for (const f of floors) {
    for (const z of f.zones) {
      const zone = data.details.get(f.floor)?.zones.find((x) => x.id === z.zone);
      const key = zone?.department ?? "-";
      const label = (lang() === "ja" && zone?.department_name_ja) || zone?.department_name || t("facilities.otherDept");
      const g = groups.get(key) ?? groups.set(key, { key, label, desks: 0, inUse: 0, free: 0 }).get(key);
      g.desks += z.desks;
      g.inUse += inUse(z.counts);
      g.free += z.counts.free ?? 0;
    }
  }
  return [...groups.values()];
}

function weekdayNames() {
  const fmt = new Intl.DateTimeFormat(lang() === "ja" ? "ja-JP" : "en-GB", { weekday: "short", timeZone: "UTC" });
  // 2024-01-01 was a Monday; the API numbers weekdays from Monday = 0.
  return Array.from({ length: 7 }, (_, i) => fmt.format(new Date(Date.UTC(2024, 0, 1 + i))));
}

function renderHistory() {
  const occ = data.occupancy;
  if (!occ) return;
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
  charts.byHour.update([{ name: t("chart.utilisation"), points: occ.by_hour.map((p) => ({ y: p.utilisation, label: hours[p.hour] })) }], {
    format: pct,
    max: "share",
    xLabels: hours,
    csvHeader: ["hour", "utilisation"],
    csvRows: occ.by_hour.map((p) => [p.hour, p.utilisation]),
  });
  const cells = new Map(occ.heatmap.map((c) => [`${c.weekday}:${c.hour}`, c.utilisation]));
  charts.heatmap.update({
    rows: weekdayNames(),
    cols: hours,
    value: (r, c) => cells.get(`${r}:${c}`) ?? null,
    format: pct,
    csvHeader: ["weekday", "hour", "utilisation"],
    csvRows: occ.heatmap.map((c) => [c.weekday, c.hour, c.utilisation]),
  });
  charts.dailyPeaks.update(
    occ.daily_peaks.map((d) => ({ key: d.date, label: d.date.slice(5), value: d.peak_people, d })),
    { format: num, csvHeader: ["date", "peak_people"], csvRow: (x) => [x.d.date, x.d.peak_people] },
  );
  charts.seatRatio.update(
    data.floors.map((f) => {
      const r = data.perFloor.get(f.id);
      return { key: f.id, label: floorName(f.id), value: r?.seat_ratio ?? null, r };
    }),
    {
      format: num,
      csvHeader: ["floor", "desks", "peak_people", "seat_ratio", "floor_id"],
      csvRow: (d) => [d.label, d.r?.desks, d.r?.peak_people, d.r?.seat_ratio, d.key],
    },
  );
  kpi("peak", occ.peak_people ? String(occ.peak_people) : "–", occ.peak_at ? formatTime(occ.peak_at) : "");
  kpi("seat-ratio", occ.seat_ratio ? occ.seat_ratio.toFixed(2) : "–");
  renderNoShows();
  renderSensors();
}

/** The "no data" text for a figure: denied (sign in) or not there yet. */
function emptyText(body, name) {
  return t(body?.denied ? "chart.signInFacilities" : EMPTY_KEYS[name]);
}

function departmentName(id) {
  for (const floor of data.details.values()) {
    const zone = floor.zones.find((z) => z.department === id);
    if (zone) return (lang() === "ja" && zone.department_name_ja) || zone.department_name || id;
  }
  return id;
}

function renderNoShows() {
  charts.noShows.setText({ emptyText: emptyText(data.noShows, "noShows") });
  const days = data.noShows?.days ?? [];
  const rows = days.map((d) => ({ key: d.date, label: d.date.slice(5), value: d.claims ? d.rate : null, d }));
  charts.noShows.update(rows, {
    format: pct,
    max: "share",
    csvHeader: ["date", "claims", "no_shows", "no_show_rate"],
    csvRow: (x) => [x.d.date, x.d.claims, x.d.no_shows, x.d.rate],
  });
}

function renderSensors() {
  const s = data.sensors;
  if (!s) return;
  const order = ["online", "offline", "stale", "never_seen"];
  const colors = { online: PALETTE[2], offline: PALETTE[5], stale: PALETTE[1], never_seen: "#6b7280" };
  const rows = order.map((k) => ({ key: k, label: t(`health.${k}`), value: s.counts[k] ?? 0, color: colors[k] }));
  rows.push({ key: "low_battery", label: t("health.lowBattery"), value: s.low_battery, color: PALETTE[3] });
  charts.sensors.update(rows, { format: num, csvHeader: ["status", "devices"], csvRow: (d) => [d.key, d.value] });
  kpi("sensors", String(s.attention.length));
  const body = document.querySelector("#attention-table tbody");
  body.replaceChildren(
    ...s.attention.slice(0, 50).map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.device = d.id;
      tr.dataset.status = d.status;
      const battery = d.battery === null ? "–" : `${Math.round(d.battery)}%${d.low_battery ? ` ⚠ ${t("health.low")}` : ""}`;
      for (const text of [deviceLabel(d.id), t(`device.${d.kind}`), t(`health.${d.status}`), d.last_seen ? formatTime(d.last_seen) : t("health.never"), battery]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
  $("attention-table").hidden = s.attention.length === 0;
  $("attention-empty").hidden = s.attention.length !== 0;
}

function kpi(name, value, hint = "") {
  const el = document.querySelector(`[data-kpi="${name}"]`);
  el.querySelector(".kpi-value").textContent = value;
  el.title = hint;
}

function stamp() {
  $("updated-at").textContent = t("facilities.updated", { time: formatTime(new Date().toISOString()) });
}

function relabelCharts() {
  for (const [name, chart] of Object.entries(charts)) {
    chart.setText({
      title: t(CHART_KEYS[name]),
      emptyText: t(EMPTY_KEYS[name] ?? "chart.empty"),
      csvLabel: t("chart.csv"),
    });
  }
}

function showNotice(text) {
  const el = $("notice");
  el.textContent = text;
  el.hidden = !text;
}

async function guarded(fn) {
  try {
    await fn();
    showNotice("");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      // Every figure here is for facilities staff: say so and offer the sign-in.
      showNotice(t("facilities.signInNeeded"));
      $("facilities-me-panel").open = true;
      // Loaded as far as this visitor may see: the page says so and waits for a sign-in.
      $("facilities").dataset.loaded = "true";
      return;
    }
    showNotice(t("error.analytics", { detail: err.message }));
  }
}

// ---- sign-in: figures about people (paperless, planning, rates) need the facilities role

async function renderMe() {
  const s = session();
  const name = s?.person ? (lang() === "ja" && s.person.name_ja) || s.person.name : null;
  $("facilities-me-summary").textContent = name ? t("facilities.signedInAs", { name }) : t("facilities.signIn");
  await renderSignIn($("facilities-me"), async () => {
    if (session()?.signed_in) $("facilities-me-panel").open = false;
    await renderMe();
    await Promise.all([guarded(loadNow), guarded(loadHistory)]);
  });
}

// ---- start

setupLanguageSwitch(() => {
  relabelCharts();
  insight.render();
  renderScopeOptions();
  renderNow();
  renderHistory();
  renderMe();
});
relabelCharts();

scopeSelect.addEventListener("change", () => {
  const url = new URL(location.href);
  if (scope()) url.searchParams.set("floor", scope());
  else url.searchParams.delete("floor");
  history.replaceState(null, "", url);
  renderNow();
  guarded(loadHistory);
});
daysSelect.addEventListener("change", () => guarded(loadHistory));

async function start() {
  await guarded(loadSession);
  renderMe();
  await guarded(loadFloors);
  await Promise.all([guarded(loadNow), guarded(loadHistory)]);
  setInterval(() => !document.hidden && guarded(loadNow), NOW_REFRESH_MS);
  setInterval(() => !document.hidden && guarded(loadHistory), HISTORY_REFRESH_MS);
}

start();
