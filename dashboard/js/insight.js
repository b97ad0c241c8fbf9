// Facilities insight on the facilities page: the city's paperless headline first (with the
// 70 % line and a month picker), then rotation, ghost meetings, seat planning, dark zones,
// utilisation by zone, no-show and away rates, office against remote, desks away too long.
// Every figure is for facilities staff only; the API leaves out departments under 5 people.

import { ApiError, getJSON } from "./api.js";
import { BarChart, Heatmap, LineChart, PALETTE, TableChart } from "./charts.js";
import { lang, t } from "./i18n.js";
import { deskLabel, departmentName, floorName, roomName, zoneName } from "./labels.js";

const TARGET = 0.7;
const $ = (id) => document.getElementById(id);
const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);
const num = (v) => (v === null || v === undefined ? "–" : Number.isInteger(v) ? v.toLocaleString() : v.toFixed(1));
const signed = (v) => (v > 0 ? `+${v}` : String(v));

/** GET a facilities figure: {denied: true} when this visitor may not read it. */
async function facilitiesOnly(path) {
  try {
    return await getJSON(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return { denied: true };
    throw err;
  }
}

/** "2026-11" in words: "November 2026" / "2026年11月". */
export function monthName(month) {
  const [year, m] = month.split("-").map(Number);
  const date = new Date(Date.UTC(year, m - 1, 1));
  return new Intl.DateTimeFormat(lang() === "ja" ? "ja-JP" : "en-GB", { year: "numeric", month: "long", timeZone: "UTC" }).format(date);
}

/**
 * The month a report opens on: the latest month that has ended and had meetings (the city
 * reports whole months), else the latest month with meetings, else this month.
 */
export function defaultMonth(trend) {
  const held = trend.filter((r) => r.departments_with_meetings > 0);
  const ended = held.filter((r) => r.month !== trend.at(-1)?.month);
  return (ended.at(-1) ?? held.at(-1) ?? trend.at(-1))?.month ?? null;
}

/** The trend from its first month with meetings on (a new site has no history before it). */
export function heldMonths(trend) {
  const first = trend.findIndex((r) => r.departments_with_meetings > 0);
  return first < 0 ? [] : trend.slice(first);
}

/** "Nov" / "11月": a month on a chart's axis (January also says the year). */
export function monthTick(month) {
  const [year, m] = month.split("-").map(Number);
  const options = m === 1 ? { year: "2-digit", month: "short" } : { month: "short" };
  return new Intl.DateTimeFormat(lang() === "ja" ? "ja-JP" : "en-GB", { ...options, timeZone: "UTC" }).format(new Date(Date.UTC(year, m - 1, 1)));
}

export class FacilitiesInsight {
  /**
   * @param {HTMLElement} headlineCharts where the KPI's charts go (inside the headline panel)
   * @param {HTMLElement} grid where the other figures go
   */
  constructor(headlineCharts, grid) {
    this.names = { departmentName, zoneName, floorName, deskLabel };
    this.data = {};
    this.month = null;
    this.charts = {
      trend: new LineChart(headlineCharts, { id: "paperless-trend" }),
      departments: new BarChart(headlineCharts, { id: "paperless-by-department" }),
      pages: new BarChart(headlineCharts, { id: "pages-not-printed" }),
      rotation: new BarChart(grid, { id: "rotation-by-department" }),
      ghosts: new TableChart(grid, { id: "ghost-meetings" }),
      planning: new TableChart(grid, { id: "seat-planning" }),
      darkZones: new BarChart(grid, { id: "dark-zones" }),
      zoneUse: new Heatmap(grid, { id: "utilisation-by-zone" }),
      rates: new TableChart(grid, { id: "department-rates" }),
      office: new LineChart(grid, { id: "office-vs-remote" }),
      away: new TableChart(grid, { id: "away-too-long" }),
    };
    this.planningForm = this.#planningForm();
    this.charts.planning.figure.querySelector("figcaption").after(this.planningForm);
    $("month-select").addEventListener("change", () => this.#pickMonth($("month-select").value));
  }

  /** Fetch every figure for the last `days` days (the KPI by month). */
  async load(days) {
    const q = new URLSearchParams({ days: String(days) });
    const [trend, rotation, ghosts, planning, darkZones, zoneUse, rates, office, away] = await Promise.all([
      facilitiesOnly("/api/analytics/paperless/trend?months=12"),
      facilitiesOnly(`/api/seats/rotation?days=${days}`),
      facilitiesOnly("/api/bookings/ghosts"),
      facilitiesOnly(`/api/analytics/planning?${this.#planningQuery()}`),
      facilitiesOnly(`/api/analytics/dark-zones?${q}`),
      facilitiesOnly(`/api/analytics/zones?${q}`),
      facilitiesOnly(`/api/analytics/departments?${q}`),
      facilitiesOnly(`/api/analytics/office?${q}`),
      facilitiesOnly("/api/analytics/away-too-long"),
    ]);
    Object.assign(this.data, { trend, rotation, ghosts, planning, darkZones, zoneUse, rates, office, away });
    if (!this.month || !trend?.some?.((r) => r.month === this.month)) this.month = this.#latestMonth();
    this.render();
  }

  render() {
    this.#relabel();
    this.#renderHeadline();
    this.#renderRotation();
    this.#renderGhosts();
    this.#renderPlanning();
    this.#renderDarkZones();
    this.#renderZoneUse();
    this.#renderRates();
    this.#renderOffice();
    this.#renderAway();
  }

  // ---- the headline

  #months() {
    return Array.isArray(this.data.trend) ? this.data.trend : [];
  }

  #latestMonth() {
    return defaultMonth(this.#months());
  }

  #pickMonth(month) {
    this.month = month;
    this.#renderHeadline();
  }

  #renderHeadline() {
    const denied = this.data.trend?.denied;
    $("headline").dataset.state = denied ? "denied" : "data";
    const select = $("month-select");
    select.disabled = Boolean(denied);
    select.replaceChildren(...[...this.#months()].reverse().map((r) => new Option(monthName(r.month), r.month)));
    if (this.month) select.value = this.month;
    const report = this.#months().find((r) => r.month === this.month);
    $("report-link").href = `/facilities/report?month=${this.month ?? ""}&lang=${lang()}`;
    if (denied || !report) {
      $("headline-value").textContent = "–";
      $("headline-text").textContent = t(denied ? "chart.signInFacilities" : "chart.paperlessEmpty");
      $("headline-note").textContent = "";
    } else {
      $("headline-value").textContent = pct(report.headline_share);
      $("headline").dataset.met = String((report.headline_share ?? 0) >= TARGET);
      $("headline-text").textContent = t("insight.headlineText", {
        at: report.departments_at_threshold,
        of: report.departments_with_meetings,
        target: pct(report.threshold),
        month: monthName(report.month),
      });
      $("headline-note").textContent = t("insight.headlineNote", {
        meetings: num(report.meetings),
        paperless: num(report.paperless_meetings),
        pages: num(report.pages_not_printed),
      });
    }
    const target = { value: TARGET, label: t("insight.target", { target: pct(TARGET) }) };
    const months = heldMonths(this.#months());
    const labels = months.map((r) => monthTick(r.month));
    this.charts.trend.setText({ emptyText: this.#empty(this.data.trend, "chart.paperlessEmpty") });
    this.charts.trend.update(
      [{ name: t("insight.headlineSeries"), points: months.map((r, i) => ({ y: r.headline_share, label: labels[i] })) }],
      {
        format: pct,
        max: 1,
        xLabels: labels,
        target,
        csvHeader: ["month", "departments_with_meetings", "departments_at_target", "headline_share", "meetings", "paperless_meetings", "pages_not_printed"],
        csvRows: months.map((r) => [r.month, r.departments_with_meetings, r.departments_at_threshold, r.headline_share, r.meetings, r.paperless_meetings, r.pages_not_printed]),
      },
    );
    const departments = report?.departments ?? [];
    this.charts.departments.setText({
      title: t("insight.byDepartment", { month: this.month ? monthName(this.month) : "" }),
      emptyText: this.#empty(this.data.trend, "chart.paperlessEmpty"),
    });
    this.charts.departments.update(
      departments.map((d) => ({
        key: d.department,
        label: d.suppressed ? `${this.names.departmentName(d.department)} (${t("insight.suppressed")})` : this.names.departmentName(d.department),
        value: d.share,
        d,
      })),
      {
        format: pct,
        max: 1,
        horizontal: true,
        target,
        csvHeader: ["department", "department_name", "meetings", "paperless_meetings", "paperless_share", "pages_not_printed"],
        csvRow: (x) => [x.key, this.names.departmentName(x.key), x.d.meetings, x.d.paperless_meetings, x.d.share, x.d.pages_not_printed],
      },
    );
    this.charts.pages.setText({ emptyText: this.#empty(this.data.trend, "chart.paperlessEmpty") });
    this.charts.pages.update(
      months.map((r, i) => ({ key: r.month, label: labels[i], value: r.meetings ? r.pages_not_printed : null, color: PALETTE[2] })),
      { format: num, csvHeader: ["month", "pages_not_printed"], csvRow: (x) => [x.key, x.value] },
    );
  }

  // ---- rotation and ghosts

  #renderRotation() {
    const rows = Array.isArray(this.data.rotation) ? this.data.rotation : [];
    this.charts.rotation.setText({ emptyText: this.#empty(this.data.rotation, "insight.noRotation") });
    this.charts.rotation.update(
      rows.map((r) => ({ key: r.department ?? "-", label: this.names.departmentName(r.department), value: r.rotation, r })),
      {
        format: pct,
        max: 1,
        horizontal: true,
        csvHeader: ["department", "department_name", "people", "working_days", "same_desk_as_before", "rotation"],
        csvRow: (x) => [x.key, x.label, x.r.people, x.r.working_days, x.r.same_desk_as_before, x.r.rotation],
      },
    );
  }

  #renderGhosts() {
    const rows = Array.isArray(this.data.ghosts) ? this.data.ghosts : [];
    this.charts.ghosts.setText({ emptyText: this.#empty(this.data.ghosts, "insight.noGhosts") });
    this.charts.ghosts.update(rows, {
      columns: [
        { key: "title", label: t("insight.col.title") },
        { key: "room", label: t("insight.col.room"), format: (v) => roomName(v) },
        { key: "department", label: t("insight.col.department"), format: (v) => this.names.departmentName(v) },
        { key: "released", label: t("insight.col.released"), num: true, format: (v, r) => `${v} / ${r.occurrences}` },
      ],
      csvHeader: ["series", "title", "room", "department", "occurrences", "released", "last_released_at"],
      csvRows: rows.map((g) => [g.series, g.title, g.room, g.department, g.occurrences, g.released, g.last_released_at]),
    });
  }

  // ---- planning

  #planningForm() {
    const form = document.createElement("form");
    form.className = "planning-form";
    form.id = "planning-form";
    const field = (name, value, attrs) => {
      const label = document.createElement("label");
      const span = document.createElement("span");
      span.dataset.i18n = `insight.param.${name}`;
      const input = document.createElement("input");
      Object.assign(input, { name, value, type: "number", ...attrs });
      label.append(span, input);
      return label;
    };
    form.append(
      field("weeks", "8", { min: 1, max: 52, step: 1 }),
      field("percentile", "95", { min: 50, max: 100, step: 1 }),
      field("target_fill", "0.85", { min: 0.3, max: 1, step: 0.05 }),
      field("telework_share", "", { min: 0, max: 0.95, step: 0.05, placeholder: "–" }),
      field("staff", "", { min: 1, step: 1, placeholder: "–" }),
    );
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "chart-csv";
    button.dataset.i18n = "insight.recalculate";
    form.append(button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      this.data.planning = await facilitiesOnly(`/api/analytics/planning?${this.#planningQuery()}`);
      this.#renderPlanning();
    });
    return form;
  }

  #planningQuery() {
    const params = new URLSearchParams();
    for (const input of this.planningForm?.querySelectorAll("input") ?? []) {
      if (input.value !== "") params.set(input.name, input.value);
    }
    if (!params.has("weeks")) params.set("weeks", "8");
    return params;
  }

  #renderPlanning() {
    for (const el of this.planningForm.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    const report = this.data.planning;
    const rows = report?.rows ?? [];
    const order = { site: 0, floor: 1, department: 2, zone: 3 };
    const sorted = [...rows].sort((a, b) => order[a.kind] - order[b.kind]);
    const name = (r) =>
      r.kind === "site" ? t("insight.wholeSite")
      : r.kind === "floor" ? this.names.floorName(r.id)
      : r.kind === "department" ? this.names.departmentName(r.id)
      : this.names.zoneName(r.id);
    const flat = sorted.map((r) => ({ ...r, ...r.need, name: name(r), kindLabel: t(`insight.kind.${r.kind}`) }));
    this.charts.planning.setText({ emptyText: this.#empty(report, "chart.empty") });
    this.charts.planning.update(flat, {
      columns: [
        { key: "kindLabel", label: t("insight.col.kind") },
        { key: "name", label: t("insight.col.name") },
        { key: "desks", label: t("insight.col.desks"), num: true },
        { key: "peak", label: t("insight.col.peak"), num: true, format: num },
        { key: "needed", label: t("insight.col.needed"), num: true },
        { key: "change", label: t("insight.col.change"), num: true, format: signed },
        { key: "remote_share", label: t("insight.col.remote"), num: true, format: pct },
        { key: "what_if_needed", label: t("insight.col.whatIf"), num: true },
        { key: "what_if_change", label: t("insight.col.whatIfChange"), num: true, format: signed },
      ],
      rowAttrs: (r) => ({ kind: r.kind, change: r.change > 0 ? "add" : r.change < 0 ? "release" : "keep" }),
      csvHeader: ["kind", "id", "name", "desks", "staff", "remote_share", "peak_in_use", "desks_needed", "change", "what_if_peak", "what_if_needed", "what_if_change"],
      csvRows: flat.map((r) => [r.kind, r.id, r.name, r.desks, r.staff, r.remote_share, r.peak, r.needed, r.change, r.what_if_peak, r.what_if_needed, r.what_if_change]),
    });
    const note = report?.window
      ? t("insight.planningNote", { percentile: report.percentile, fill: pct(report.target_fill), days: report.window.workdays })
      : "";
    this.charts.planning.empty.dataset.note = note;
    this.planningForm.title = note;
  }

  // ---- desks over time

  #renderDarkZones() {
    const report = this.data.darkZones;
    const zones = report?.zones ?? [];
    const title = report?.zones
      ? t("insight.darkZonesTitle", { perDay: num(report.dark_zone_hours_per_day ?? 0), kwh: num(report.kwh_per_day ?? 0) })
      : t("insight.darkZones");
    this.charts.darkZones.setText({ title, emptyText: this.#empty(report, "chart.empty") });
    this.charts.darkZones.update(
      zones.map((z) => ({ key: z.zone, label: this.names.zoneName(z.zone), value: z.dark_hours, z, color: "#334155" })),
      {
        format: num,
        horizontal: true,
        csvHeader: ["zone", "zone_name", "floor", "department", "desks", "working_hours", "dark_hours", "dark_share", "lighting_w", "hvac_w", "kwh"],
        csvRow: (x) => [x.key, x.label, x.z.floor, x.z.department, x.z.desks, x.z.working_hours, x.z.dark_hours, x.z.dark_share, x.z.lighting_w, x.z.hvac_w, x.z.kwh],
      },
    );
  }

  #renderZoneUse() {
    const report = this.data.zoneUse;
    const zones = report?.zones ?? [];
    const days = zones[0]?.days.map((d) => d.date) ?? [];
    this.charts.zoneUse.setText({ emptyText: this.#empty(report, "chart.empty") });
    this.charts.zoneUse.update({
      rows: zones.map((z) => this.names.zoneName(z.zone)),
      cols: days.map((d) => d.slice(8)),
      value: (r, c) => zones[r]?.days[c]?.utilisation ?? null,
      format: pct,
      csvHeader: ["zone", "zone_name", "date", "utilisation", "peak_in_use"],
      csvRows: zones.flatMap((z) => z.days.map((d) => [z.zone, this.names.zoneName(z.zone), d.date, d.utilisation, d.peak_in_use])),
    });
  }

  #renderRates() {
    const report = this.data.rates;
    const rows = (report?.departments ?? []).map((d) => ({ ...d, name: this.names.departmentName(d.department) }));
    this.charts.rates.setText({ emptyText: this.#empty(report, "chart.noShowsEmpty") });
    this.charts.rates.update(rows, {
      columns: [
        { key: "name", label: t("insight.col.department"), format: (v, r) => (r.suppressed ? `${v} (${t("insight.suppressed")})` : v) },
        { key: "claims", label: t("insight.col.claims"), num: true, format: num },
        { key: "no_show_rate", label: t("insight.col.noShowRate"), num: true, format: pct },
        { key: "away_rate", label: t("insight.col.awayRate"), num: true, format: pct },
        { key: "away_too_long", label: t("insight.col.awayTooLong"), num: true, format: num },
      ],
      csvHeader: ["department", "department_name", "claims", "no_shows", "no_show_rate", "checked_in_hours", "away_hours", "away_rate", "away_too_long"],
      csvRows: rows.map((d) => [d.department, d.name, d.claims, d.no_shows, d.no_show_rate, d.checked_in_hours, d.away_hours, d.away_rate, d.away_too_long]),
    });
  }

  #renderOffice() {
    const report = this.data.office;
    const days = report?.days ?? [];
    const labels = days.map((d) => d.date.slice(5));
    this.charts.office.setText({ emptyText: this.#empty(report, "chart.empty") });
    this.charts.office.update(
      [
        { name: t("insight.inOffice"), points: days.map((d) => ({ y: d.in_office })) },
        { name: t("insight.remote"), points: days.map((d) => ({ y: d.remote })), color: PALETTE[1] },
      ],
      {
        format: num,
        xLabels: labels,
        csvHeader: ["date", "in_office_peak", "remote"],
        csvRows: days.map((d) => [d.date, d.in_office, d.remote]),
      },
    );
  }

  #renderAway() {
    const rows = Array.isArray(this.data.away) ? this.data.away : [];
    this.charts.away.setText({ emptyText: this.#empty(this.data.away, "insight.noneAway") });
    this.charts.away.update(rows, {
      columns: [
        { key: "desk", label: t("insight.col.desk"), format: (v) => this.names.deskLabel(v) },
        { key: "floor", label: t("insight.col.floor"), format: (v) => this.names.floorName(v) },
        { key: "minutes", label: t("insight.col.awayFor"), num: true, format: (v) => t("insight.minutes", { n: v }) },
        { key: "released_at_limit", label: t("insight.col.action"), format: (v) => t(v ? "insight.willRelease" : "insight.flagged") },
      ],
      csvHeader: ["desk", "floor", "away_since", "minutes", "released_at_limit"],
      csvRows: rows.map((r) => [r.desk, r.floor, r.away_since, r.minutes, r.released_at_limit]),
    });
  }

  // ---- words

  #empty(body, key) {
    return t(body?.denied ? "chart.signInFacilities" : key);
  }

  #relabel() {
    const titles = {
      trend: "insight.trend",
      departments: "insight.byDepartment",
      pages: "insight.pages",
      rotation: "insight.rotation",
      ghosts: "insight.ghosts",
      planning: "insight.planning",
      darkZones: "insight.darkZones",
      zoneUse: "insight.zoneUse",
      rates: "insight.rates",
      office: "insight.office",
      away: "insight.away",
    };
    for (const [name, key] of Object.entries(titles)) {
      this.charts[name].setText({ title: t(key, { month: this.month ? monthName(this.month) : "" }), csvLabel: t("chart.csv") });
    }
  }
}
