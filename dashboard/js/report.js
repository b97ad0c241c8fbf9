// The printable monthly report (A4, Japanese or English): the city's paperless headline with
// its 12-month trend and 70 % line, each department's month, and the month's desk figures.
// /facilities/report?month=YYYY-MM&lang=ja|en; facilities staff only, like the figures.

import { ApiError, getJSON } from "./api.js";
import { LineChart } from "./charts.js";
import { setupLanguageSwitch } from "./chrome.js";
import { defaultMonth, heldMonths, monthName, monthTick } from "./insight.js";
import { LANGUAGES, lang, setLanguage, t } from "./i18n.js";
import { departmentName } from "./labels.js";

const TARGET = 0.7;
const $ = (id) => document.getElementById(id);
const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);
const num = (v) => (v === null || v === undefined ? "–" : Number.isInteger(v) ? v.toLocaleString(lang() === "ja" ? "ja-JP" : "en-GB") : v.toFixed(1));

const params = new URLSearchParams(location.search);
if (LANGUAGES.includes(params.get("lang"))) setLanguage(params.get("lang"));

const data = { month: params.get("month") };
const trendChart = new LineChart($("report-trend"), { id: "report-paperless-trend" });

async function load() {
  data.trend = await getJSON("/api/analytics/paperless/trend?months=12");
  if (!data.month) data.month = defaultMonth(data.trend);
  const month = new URLSearchParams({ month: data.month });
  [data.report, data.planning, data.rates, data.dark, data.office] = await Promise.all([
    getJSON(`/api/analytics/paperless?${month}`),
    getJSON(`/api/analytics/planning?${month}&percentile=95&target_fill=0.85`),
    getJSON(`/api/analytics/departments?${month}`),
    getJSON(`/api/analytics/dark-zones?${month}`),
    getJSON(`/api/analytics/office?${month}`),
  ]);
}

function figures(el, items) {
  el.replaceChildren(
    ...items.map(([label, value]) => {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = label;
      dd.textContent = value;
      div.append(dt, dd);
      return div;
    }),
  );
}

function rows(tbody, items) {
  tbody.replaceChildren(
    ...items.map((cells) => {
      const tr = document.createElement("tr");
      for (const [text, numeric] of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        if (numeric) td.className = "num";
        tr.append(td);
      }
      return tr;
    }),
  );
}

function render() {
  const report = data.report;
  if (!report) return;
  document.title = `freeseat · ${t("report.kicker")} · ${monthName(data.month)}`;
  $("report-title").textContent = t("report.title", { month: monthName(data.month) });
  const w = data.planning.window;
  $("report-window").textContent = t("report.window", { first: w.first, last: w.last, days: w.workdays, hours: w.working_hours });
  const select = $("month-select");
  select.replaceChildren(...[...data.trend].reverse().map((r) => new Option(monthName(r.month), r.month)));
  select.value = data.month;

  $("report-headline").textContent = pct(report.headline_share);
  $("report-headline-text").textContent = t("insight.headlineText", {
    at: report.departments_at_threshold,
    of: report.departments_with_meetings,
    target: pct(report.threshold),
    month: monthName(report.month),
  });
  figures($("report-meetings"), [
    [t("report.meetings"), num(report.meetings)],
    [t("report.paperlessMeetings"), num(report.paperless_meetings)],
    [t("report.pages"), num(report.pages_not_printed)],
  ]);
  const months = heldMonths(data.trend).filter((r) => r.month <= data.month);
  const labels = months.map((r) => monthTick(r.month));
  trendChart.setText({ title: t("insight.trend"), emptyText: t("chart.paperlessEmpty") });
  trendChart.update([{ name: t("insight.headlineSeries"), points: months.map((r) => ({ y: r.headline_share })) }], {
    format: pct,
    max: 1,
    xLabels: labels,
    target: { value: TARGET, label: t("insight.target", { target: pct(TARGET) }) },
  });
  rows(
    $("report-departments").tBodies[0],
    report.departments.map((d) => [
      [d.suppressed ? `${departmentName(d.department)} (${t("insight.suppressed")})` : departmentName(d.department)],
      [num(d.meetings), true],
      [pct(d.share), true],
      [d.share === null ? "–" : d.share >= report.threshold ? `✓ ${t("report.yes")}` : t("report.no")],
      [num(d.pages_not_printed), true],
    ]),
  );

  const site = data.planning.rows.find((r) => r.kind === "site");
  figures($("report-desks"), [
    [t("report.peakInUse"), site ? `${num(site.need.peak)} / ${num(site.need.desks)}` : "–"],
    [t("report.desksNeeded"), site ? `${num(site.need.needed)} (${site.need.change > 0 ? "+" : ""}${site.need.change})` : "–"],
    [t("report.darkHours"), `${num(data.dark.dark_zone_hours_per_day ?? 0)} ${t("report.perDay")}`],
    [t("report.energy"), `${num(data.dark.kwh)} kWh`],
    [t("report.inOffice"), num(data.office.in_office)],
    [t("report.remote"), num(data.office.remote)],
  ]);
  const rates = new Map(data.rates.departments.map((d) => [d.department, d]));
  rows(
    $("report-planning").tBodies[0],
    data.planning.rows
      .filter((r) => r.kind === "department")
      .map((r) => [
        [departmentName(r.id)],
        [num(r.need.desks), true],
        [num(r.need.peak), true],
        [num(r.need.needed), true],
        [r.need.change > 0 ? `+${r.need.change}` : String(r.need.change), true],
        [pct(rates.get(r.id)?.no_show_rate), true],
        [pct(rates.get(r.id)?.away_rate), true],
      ]),
  );
  $("report-generated").textContent = t("report.generated", { at: new Date().toLocaleString(lang() === "ja" ? "ja-JP" : "en-GB") });
  $("report").dataset.loaded = "true";
}

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

async function start() {
  try {
    await load();
    render();
  } catch (err) {
    const denied = err instanceof ApiError && (err.status === 401 || err.status === 403);
    showNotice(denied ? t("report.signIn") : t("error.analytics", { detail: err.message }));
  }
}

setupLanguageSwitch(() => {
  render();
  const url = new URL(location.href);
  url.searchParams.set("lang", lang());
  history.replaceState(null, "", url);
});
$("print").addEventListener("click", () => window.print());
$("month-select").addEventListener("change", async () => {
  data.month = $("month-select").value;
  const url = new URL(location.href);
  url.searchParams.set("month", data.month);
  history.replaceState(null, "", url);
  await start();
});
start();
