// The lobby board: /board?floor=ID shows free seats per zone and meeting-room availability on
// one floor, live; /board (or ?floor=all) the whole building, a card per floor. For a large
// screen nobody signs in to or scrolls: what does not fit is shown in pages that turn by
// themselves.

import { ApiError, fetchFloor, fetchFloors, getJSON, liveFeedUrl } from "./api.js";
import { renderLiveStatus, setupLanguageSwitch } from "./chrome.js";
import { glyphIcon, installDeskGlyphs } from "./desk_states.js";
import { FloorState } from "./floor_state.js";
import { lang, localName, t } from "./i18n.js";
import { LiveFeed } from "./live.js";

const ROOMS_REFRESH_MS = 20_000;
const BUILDING_REFRESH_MS = 15_000;
const PAGE_TURN_MS = 12_000;
const $ = (id) => document.getElementById(id);

const view = { state: null, feed: null, rooms: null, status: "connecting", cards: new Map(), page: 0, building: null };

installDeskGlyphs();

// ---- zones

/** Free desks per zone id, from the live state store. */
function freeByZone(state) {
  const out = new Map([...state.zones.keys()].map((z) => [z, { free: 0, desks: 0 }]));
  for (const desk of state.desks.values()) {
    const z = out.get(desk.zone) ?? out.set(desk.zone, { free: 0, desks: 0 }).get(desk.zone);
    z.desks += 1;
    if (desk.state === "free") z.free += 1;
  }
  return out;
}

function buildCards(state) {
  view.cards.clear();
  $("zone-cards").replaceChildren(
    ...[...state.zones.values()].map((zone) => {
      const li = document.createElement("li");
      li.className = "zone-card";
      li.dataset.zone = zone.id;
      const title = document.createElement("span");
      title.className = "zone-title";
      const dept = document.createElement("span");
      dept.className = "zone-dept";
      const free = document.createElement("span");
      free.className = "zone-free";
      const count = document.createElement("span");
      count.dataset.zoneFree = zone.id;
      const of = document.createElement("span");
      of.className = "zone-of";
      free.append(glyphIcon("free"), count, of);
      const meter = document.createElement("div");
      meter.className = "meter";
      meter.setAttribute("aria-hidden", "true");
      const fill = document.createElement("span");
      meter.append(fill);
      li.append(title, dept, free, meter);
      view.cards.set(zone.id, { li, title, dept, count, of, fill, zone });
      return li;
    }),
  );
  relabelCards();
}

function relabelCards() {
  for (const card of view.cards.values()) {
    card.title.textContent = localName(card.zone);
    card.dept.textContent = (lang() === "ja" && card.zone.department_name_ja) || card.zone.department_name || "";
  }
  renderZones();
}

function renderZones() {
  const state = view.state;
  if (!state) return;
  let total = 0;
  for (const [zoneId, { free, desks }] of freeByZone(state)) {
    const card = view.cards.get(zoneId);
    total += free;
    if (!card) continue;
    card.li.dataset.free = String(free);
    card.count.textContent = String(free);
    card.of.textContent = t("board.freeOf", { free, desks });
    card.fill.style.width = desks ? `${(100 * free) / desks}%` : "0";
  }
  $("board-free").textContent = String(total);
  $("board").dataset.version = String(state.version ?? "");
}

// ---- pages: a list longer than the screen shows as many items as fit, a page at a time

/** Show page view.page of `list`'s items (as many as fit above the screen's bottom). */
function paginate(list, indicator) {
  const items = [...list.children];
  for (const li of items) li.hidden = false;
  const bottom = window.innerHeight - 12;
  const fits = Math.max(1, items.filter((li) => li.getBoundingClientRect().bottom <= bottom).length);
  const pages = Math.ceil(items.length / fits);
  const page = view.page % Math.max(1, pages);
  items.forEach((li, i) => (li.hidden = Math.floor(i / fits) !== page));
  indicator.textContent = pages > 1 ? t("board.page", { page: page + 1, pages }) : "";
  list.dataset.pages = String(pages);
}

function paginateAll() {
  if (!$("board").hidden) {
    paginate($("zone-cards"), $("zones-page"));
    paginate($("room-list"), $("rooms-page"));
  } else if (!$("building").hidden) {
    paginate($("floor-cards"), $("zones-page"));
  }
}

// Many deltas in one frame cost one pass over the zones.
let frame = 0;
function scheduleRender() {
  if (!frame) {
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderZones();
    });
  }
}

// ---- rooms: busy or free from the public board endpoint; the floor plan lists them

function shortTime(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(lang() === "ja" ? "ja-JP" : "en-GB", { timeStyle: "short" }).format(d);
}

function renderRooms() {
  const state = view.state;
  if (!state) return;
  const live = new Map((view.rooms ?? []).map((r) => [r.id, r]));
  $("room-list").replaceChildren(
    ...(state.floor.rooms ?? []).map((room) => {
      const info = live.get(room.id);
      const status = !info ? "unknown" : info.busy ? "busy" : "free";
      const li = document.createElement("li");
      li.className = "room-item";
      li.dataset.room = room.id;
      li.dataset.status = status;
      const name = document.createElement("span");
      name.className = "room-title";
      name.textContent = localName(room);
      const badge = document.createElement("span");
      badge.className = "room-status";
      badge.textContent = status === "free" ? t("board.roomFree") : status === "busy" ? t("board.roomBusy") : "–";
      const meta = document.createElement("span");
      meta.className = "room-meta";
      const parts = [t("room.capacity", { n: room.capacity })];
      if (status === "busy" && info.until) parts.push(t("board.roomUntil", { time: shortTime(info.until) }));
      if (info?.next_start) parts.push(t("board.roomNext", { time: shortTime(info.next_start) }));
      meta.textContent = parts.join(" · ");
      li.append(name, badge, meta);
      return li;
    }),
  );
  $("rooms-note").hidden = view.rooms !== null;
  paginate($("room-list"), $("rooms-page"));
}

async function loadRooms(floorId) {
  try {
    view.rooms = await getJSON(`/api/board/rooms?floor=${encodeURIComponent(floorId)}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    view.rooms = null; // not provided (yet) or failing: say "no data" rather than guess
  }
  renderRooms();
}

// ---- clock, status, start

function tick() {
  const fmt = new Intl.DateTimeFormat(lang() === "ja" ? "ja-JP" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
  $("board-clock").textContent = fmt.format(new Date());
}

function relabel() {
  if (view.state) $("board-floor").textContent = localName(view.state.floor);
  if (view.building) $("board-floor").textContent = t("board.building");
  renderLiveStatus($("live-status"), view.status, view.feed);
  if (view.building) renderBuilding();
  else {
    relabelCards();
    renderRooms();
  }
  tick();
  paginateAll();
}

// ---- the whole building: a card per floor, free seats and free meeting rooms

async function loadBuilding() {
  const floors = await fetchFloors();
  const rooms = await Promise.all(
    floors.map((f) => getJSON(`/api/board/rooms?floor=${encodeURIComponent(f.id)}`).catch(() => null)),
  );
  view.building = floors.map((floor, i) => ({ floor, rooms: rooms[i] }));
  view.status = "live";
  renderLiveStatus($("live-status"), view.status, null);
  renderBuilding();
}

function renderBuilding() {
  let total = 0;
  $("floor-cards").replaceChildren(
    ...view.building.map(({ floor, rooms }) => {
      const free = floor.counts?.free ?? 0;
      total += free;
      const li = document.createElement("li");
      li.className = "zone-card floor-card";
      li.dataset.floor = floor.id;
      li.dataset.free = String(free);
      const title = document.createElement("span");
      title.className = "zone-title";
      title.textContent = localName(floor);
      const count = document.createElement("span");
      count.className = "zone-free";
      const of = document.createElement("span");
      of.className = "zone-of";
      of.textContent = t("board.freeOf", { free, desks: floor.desks });
      const number = document.createElement("span");
      number.textContent = String(free);
      count.append(glyphIcon("free"), number, of);
      const meter = document.createElement("div");
      meter.className = "meter";
      meter.setAttribute("aria-hidden", "true");
      const fill = document.createElement("span");
      fill.style.width = floor.desks ? `${(100 * free) / floor.desks}%` : "0";
      meter.append(fill);
      const roomsLine = document.createElement("span");
      roomsLine.className = "zone-dept";
      if (rooms) roomsLine.textContent = t("board.roomsFree", { free: rooms.filter((r) => !r.busy).length, rooms: rooms.length });
      li.append(title, count, meter, roomsLine);
      return li;
    }),
  );
  $("building-free").textContent = String(total);
  paginate($("floor-cards"), $("zones-page"));
}

async function startBuilding() {
  $("building").hidden = false;
  $("board-floor").textContent = t("board.building");
  await loadBuilding();
  setInterval(() => loadBuilding().catch(() => {}), BUILDING_REFRESH_MS);
}

async function start() {
  setupLanguageSwitch(relabel);
  tick();
  setInterval(tick, 15_000);
  setInterval(() => {
    view.page += 1;
    paginateAll();
  }, PAGE_TURN_MS);
  window.addEventListener("resize", paginateAll);
  const asked = new URLSearchParams(location.search).get("floor");
  if (!asked || asked === "all") {
    await startBuilding();
    return;
  }
  const floors = await fetchFloors();
  const requested = asked;
  if (!floors.some((f) => f.id === requested)) {
    const notice = $("notice");
    notice.textContent = t("board.noFloor", { floors: floors.map((f) => f.id).join(", ") });
    notice.hidden = false;
    return;
  }
  const state = new FloorState(await fetchFloor(requested));
  view.state = state;
  $("board").hidden = false;
  $("board").dataset.floor = state.id;
  buildCards(state);
  relabel();
  view.feed = new LiveFeed(liveFeedUrl(state.id), {
    floorId: state.id,
    onSnapshot: (msg) => {
      state.applySnapshot(msg.version, msg.desks);
      scheduleRender();
    },
    onDelta: (msg) => {
      if (state.applyDelta(msg.version, msg.desks).length) scheduleRender();
      else $("board").dataset.version = String(msg.version);
    },
    onStatus: (status) => {
      view.status = status;
      renderLiveStatus($("live-status"), status, view.feed);
    },
  });
  view.feed.start();
  await loadRooms(state.id);
  setInterval(() => loadRooms(state.id), ROOMS_REFRESH_MS);
}

start().catch((err) => {
  const notice = $("notice");
  notice.textContent = String(err.message ?? err);
  notice.hidden = false;
  setTimeout(() => location.reload(), 30_000);
});
