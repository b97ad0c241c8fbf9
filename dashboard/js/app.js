// Wiring of the floor page: which floor is shown, loading it, feeding live
// changes into the state store and batching the resulting DOM writes.

import { fetchFloor, fetchFloors, liveFeedUrl } from "./api.js";
import { installDeskGlyphs } from "./desk_states.js";
import { DeskDetails } from "./desk_details.js";
import { FloorMap } from "./floor_map.js";
import { FloorState } from "./floor_state.js";
import { applyTranslations, lang, localName, onLanguageChange, setLanguage, t } from "./i18n.js";
import { teamZones } from "./labels.js";
import { LiveFeed } from "./live.js";
import { PanZoom } from "./pan_zoom.js";
import { setupRemoteDay } from "./remote_day.js";
import { SeatPanel } from "./seat_panel.js";
import { StateCounts } from "./state_counts.js";
import { session } from "./session.js";

const FLOOR_KEY = "freeseat.floor";
const FLOOR_LIST_REFRESH_MS = 60_000;
// Phones get a compact header, the map first and a bottom sheet (style.css, same width).
const PHONE = window.matchMedia("(max-width: 700px)");

const $ = (id) => document.getElementById(id);
const ui = {
  floorSelect: $("floor-select"),
  liveStatus: $("live-status"),
  notice: $("notice"),
  mapLoading: $("map-loading"),
  detailsEmpty: $("desk-details-empty"),
};

installDeskGlyphs();
applyTranslations();

const map = new FloorMap($("floor-map"), {
  onDeskActivate: (id) => openDetails(id),
  onDeskFocus: (desk) => panZoom.ensureVisible(desk.x, desk.y),
});
const panZoom = new PanZoom($("floor-map"));
const legend = new StateCounts($("legend-list"), { variant: "legend" });
const chips = new StateCounts($("floor-counts"), { variant: "chips" });
const details = new DeskDetails($("desk-details"), {
  onClose: () => {
    map.select(null);
    ui.detailsEmpty.hidden = false;
  },
});

const seatPanel = new SeatPanel($("me-panel"), $("desk-actions"), {
  floorId: () => page.floorId,
  desk: (id) => page.state?.desks.get(id),
  showDesk: (id, floorId) => showDesk(id, floorId),
  mark: (marks) => map.mark(marks),
  signedIn: () => openOnMyPlace(),
});

$("nav-toggle").addEventListener("click", () => {
  const open = $("nav-toggle").getAttribute("aria-expanded") !== "true";
  $("nav-toggle").setAttribute("aria-expanded", String(open));
  document.querySelector(".topbar").dataset.navOpen = String(open);
});

$("floor-map").addEventListener("keydown", (event) => {
  if (event.key === "Escape") details.close();
});
$("zoom-in").addEventListener("click", () => panZoom.zoomBy(1.4));
$("zoom-out").addEventListener("click", () => panZoom.zoomBy(1 / 1.4));
$("zoom-reset").addEventListener("click", () => panZoom.reset());

/** The page's one mutable state: floors list, the shown floor and its feed. */
const page = {
  floors: [],
  floorId: null,
  state: null,
  feed: null,
  loadToken: 0,
  liveStatus: "connecting",
  // A desk to open once its floor has loaded (from "my seat" or a suggestion on another floor).
  showAfterLoad: null,
};

// ---- batched DOM writes: many deltas per frame cost one pass over changed desks

const pendingDesks = new Set();
let frame = 0;

function scheduleRender(ids) {
  for (const id of ids) pendingDesks.add(id);
  if (!frame) frame = requestAnimationFrame(flush);
}

function flush() {
  frame = 0;
  const state = page.state;
  if (!state) return;
  const started = performance.now();
  const detailsChanged = details.deskId !== null && pendingDesks.has(details.deskId);
  const mineChanged = seatPanel.myDesk !== null && pendingDesks.has(seatPanel.myDesk);
  map.updateDesks(pendingDesks);
  pendingDesks.clear();
  map.setVersion(state.version);
  renderCounts();
  if (detailsChanged) {
    details.refresh(details.deskId);
    seatPanel.renderActions();
  }
  if (mineChanged) seatPanel.refresh();
  // User Timing entries: what the live map costs the main thread, readable in DevTools and tests.
  performance.measure("freeseat:render", { start: started, end: performance.now() });
}

/** Apply a live message to the store, timed like the render. */
function timedApply(apply) {
  const started = performance.now();
  const changed = apply();
  performance.measure("freeseat:apply", { start: started, end: performance.now() });
  return changed;
}

function renderCounts() {
  const state = page.state;
  if (!state) return;
  legend.update(state.counts);
  chips.update(state.counts);
  const option = [...ui.floorSelect.options].find((o) => o.value === state.id);
  const floor = page.floors.find((f) => f.id === state.id);
  if (option && floor) option.textContent = floorOptionLabel(floor, state.count("free"), state.desks.size);
}

// ---- live status

function renderLiveStatus(status) {
  page.liveStatus = status;
  const el = ui.liveStatus;
  el.dataset.live = status === "live" ? "true" : "false";
  el.dataset.status = status;
  const key = { live: "live.live", connecting: "live.connecting", offline: "live.offline" }[status] ?? "live.reconnecting";
  const text = el.querySelector(".live-text");
  text.dataset.i18n = key;
  text.textContent = t(key);
  if (page.feed) el.dataset.resyncs = String(page.feed.resyncCount);
}

// ---- floors list and selection

function floorOptionLabel(floor, free, desks) {
  return t("floor.option", { name: localName(floor), free, desks });
}

function renderFloorOptions() {
  const select = ui.floorSelect;
  select.replaceChildren(
    ...page.floors.map((floor) => {
      const isCurrent = page.state && page.state.id === floor.id;
      const free = isCurrent ? page.state.count("free") : (floor.counts?.free ?? 0);
      const desks = isCurrent ? page.state.desks.size : (floor.desks ?? 0);
      return new Option(floorOptionLabel(floor, free, desks), floor.id);
    }),
  );
  select.disabled = page.floors.length === 0;
  if (page.floorId) select.value = page.floorId;
}

function requestedFloorId() {
  const fromUrl = new URLSearchParams(location.search).get("floor");
  let remembered = null;
  try {
    remembered = localStorage.getItem(FLOOR_KEY);
  } catch {
    // Storage disabled: the URL and the first floor still work.
  }
  const known = (id) => id && page.floors.some((f) => f.id === id);
  if (known(fromUrl)) return fromUrl;
  if (known(remembered)) return remembered;
  return page.floors[0]?.id ?? null;
}

function rememberFloor(floorId, { push }) {
  try {
    localStorage.setItem(FLOOR_KEY, floorId);
  } catch {
    // Not remembered across visits; the URL still carries it.
  }
  const url = new URL(location.href);
  if (url.searchParams.get("floor") === floorId) return;
  url.searchParams.set("floor", floorId);
  if (push) history.pushState({ floor: floorId }, "", url);
  else history.replaceState({ floor: floorId }, "", url);
}

async function loadFloors() {
  for (let attempt = 0; ; attempt++) {
    try {
      page.floors = await fetchFloors();
      return;
    } catch (err) {
      showNotice(t("error.floors", { detail: err.message }));
      await sleep(retryDelay(attempt));
    }
  }
}

async function refreshFloorList() {
  try {
    page.floors = await fetchFloors();
    renderFloorOptions();
  } catch {
    // Only other floors' counts go stale; the next refresh tries again.
  }
}

/** Show floorId: fetch its plan, draw it, then follow its live feed. */
async function showFloor(floorId, { push = false } = {}) {
  const token = ++page.loadToken;
  page.feed?.stop();
  page.feed = null;
  page.floorId = floorId;
  ui.floorSelect.value = floorId;
  rememberFloor(floorId, { push });
  details.hide();
  ui.detailsEmpty.hidden = false;
  ui.mapLoading.hidden = false;
  renderLiveStatus("connecting");

  let floor;
  for (let attempt = 0; ; attempt++) {
    try {
      floor = await fetchFloor(floorId);
      break;
    } catch (err) {
      if (token !== page.loadToken) return;
      showNotice(t("error.floor", { floor: floorId, detail: err.message }));
      await sleep(retryDelay(attempt));
      if (token !== page.loadToken) return;
    }
  }
  if (token !== page.loadToken) return;
  hideNotice();

  const state = new FloorState(floor);
  page.state = state;
  pendingDesks.clear();
  map.render(state);
  panZoom.setBase(map.baseBox);
  if (PHONE.matches) focusOnPhone(state);
  renderCounts();
  seatPanel.render();
  ui.mapLoading.hidden = true;
  if (page.showAfterLoad) {
    openDetails(page.showAfterLoad);
    page.showAfterLoad = null;
  }

  page.feed = new LiveFeed(liveFeedUrl(floorId), {
    floorId,
    onSnapshot: (msg) => scheduleRender(timedApply(() => state.applySnapshot(msg.version, msg.desks))),
    onDelta: (msg) => scheduleRender(timedApply(() => state.applyDelta(msg.version, msg.desks))),
    onStatus: (status) => renderLiveStatus(status),
  });
  page.feed.start();
}

function openDetails(deskId) {
  const desk = page.state?.desks.get(deskId);
  if (!desk) return;
  map.select(deskId);
  details.show(desk, page.state.zoneOf(desk), page.floorId);
  ui.detailsEmpty.hidden = true;
  seatPanel.renderActions();
  panZoom.ensureVisible(desk.x, desk.y);
  // On a phone the details open in the bottom sheet: bring them into view there.
  if (PHONE.matches) $("side-panel").scrollTo({ top: 0 });
}

// ---- where the map opens: my desk, else my team's zone (on a phone, zoomed in to it)

/** The floor of my desk today, else of my team's first zone; null when neither is known. */
function myFloorId() {
  const seat = seatPanel.seat;
  if (seat?.floor) return seat.floor;
  const zone = teamZones(session()?.person?.department)[0];
  return zone?.floor ?? null;
}

/** On a phone the whole floor draws desks a few pixels wide: open on a zone, desks tappable. */
function focusOnPhone(state) {
  const mine = seatPanel.seat?.desk ? state.desks.get(seatPanel.seat.desk) : null;
  const team = teamZones(session()?.person?.department).map((z) => state.zones.get(z.id)).find(Boolean);
  let zone = mine ? state.zoneOf(mine) : team;
  if (!zone) {
    // Nobody known: the zone with the most free desks now.
    const free = new Map();
    for (const d of state.desks.values()) if (d.state === "free") free.set(d.zone, (free.get(d.zone) ?? 0) + 1);
    const best = [...free].sort((a, b) => b[1] - a[1])[0];
    zone = state.zones.get(best?.[0]) ?? state.zones.values().next().value;
  }
  if (zone) panZoom.fit(zone.rect);
}

/** After signing in: go to my desk's or my team's floor, and on a phone zoom in on it. */
function openOnMyPlace() {
  const floorId = myFloorId();
  if (floorId && floorId !== page.floorId) showFloor(floorId, { push: true });
  else if (PHONE.matches && page.state) focusOnPhone(page.state);
}

/** Open a desk's details, switching floor first when it is on another one. */
function showDesk(deskId, floorId) {
  if (floorId && floorId !== page.floorId) {
    page.showAfterLoad = deskId;
    showFloor(floorId, { push: true });
    return;
  }
  openDetails(deskId);
}

// ---- notices and small helpers

function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
}

function hideNotice() {
  ui.notice.hidden = true;
  ui.notice.textContent = "";
}

function retryDelay(attempt) {
  return Math.min(30_000, 2_000 * 2 ** attempt);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- language

function renderLanguageSwitch() {
  for (const button of document.querySelectorAll("#lang-switch [data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang()));
  }
}

document.querySelector("#lang-switch").addEventListener("click", (event) => {
  const button = event.target.closest("[data-lang]");
  if (button) setLanguage(button.dataset.lang);
});

onLanguageChange(() => {
  renderLanguageSwitch();
  renderFloorOptions();
  renderLiveStatus(page.liveStatus);
  legend.relabel();
  chips.relabel();
  map.relabel();
  details.relabel();
  seatPanel.render();
});

// ---- start

ui.floorSelect.addEventListener("change", () => showFloor(ui.floorSelect.value, { push: true }));
window.addEventListener("popstate", () => {
  const id = requestedFloorId();
  if (id && id !== page.floorId) showFloor(id);
});

async function start() {
  renderLanguageSwitch();
  await loadFloors();
  hideNotice();
  renderFloorOptions();
  // Signed in already: open on my desk's or my team's floor unless the address names one.
  await seatPanel.start();
  const asked = new URLSearchParams(location.search).get("floor");
  const mine = myFloorId();
  const floorId = page.floors.some((f) => f.id === asked) || !mine ? requestedFloorId() : mine;
  if (!floorId) {
    showNotice(t("floor.none"));
    ui.mapLoading.hidden = true;
    return;
  }
  setupRemoteDay($("remote-day"), $("me-panel"));
  await showFloor(floorId);
  setInterval(() => {
    if (!document.hidden) refreshFloorList();
  }, FLOOR_LIST_REFRESH_MS);
}

start();
