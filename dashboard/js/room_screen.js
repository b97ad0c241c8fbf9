// The room screen: now/next, the rotating pairing code, and the running session with its QR
// code and the page the host shows, drawn by the server. Shown on a monitor everyone in the
// room reads, so in both languages at once. The room and its secret key come from the address
// (/rooms/<room>/screen?key=...); changes are pushed over a websocket (server.api.room_push).

import { errorOf } from "./api.js";
import { both, translate } from "./i18n.js";
import { icon } from "./room_icons.js";
import { followRoom } from "./room_feed.js";

const ROOM = decodeURIComponent(window.location.pathname.split("/").at(-2));
const KEY = new URLSearchParams(window.location.search).get("key") ?? "";
const $ = (id) => document.getElementById(id);
const hm = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
let rotation = null; // {at: ms when received, inS: seconds to the next code}

/** The host as everyone in the room reads it: both names when the directory has a Japanese one. */
function hostOf(record) {
  const ja = record.host_name_ja;
  return ja && ja !== record.host_name ? `${record.host_name} / ${ja}` : record.host_name;
}

function booking(b) {
  return b ? `${hm(b.starts_at)}–${hm(b.ends_at)}  ${b.title} (${hostOf(b)})` : "—";
}

/** A session's title; one started without a booking is "Meeting in <room>" in both languages. */
function titleOf(session, room) {
  if (session.title) return session.title;
  return ["en", "ja"]
    .map((lang) => translate(lang, "session.untitled", { room: (lang === "ja" && room.name_ja) || room.name }))
    .join(" / ");
}

function material(m, showing) {
  const li = document.createElement("li");
  li.dataset.material = m.id;
  const here = showing && showing.material_id === m.id;
  li.append(icon(m.kind === "agenda" ? "agenda" : "material"), ` ${m.filename} (${m.pages} p)`);
  if (here) {
    const on = document.createElement("span");
    on.className = "on-screen";
    on.append(icon("showing"), ` p.${showing.page}/${m.pages}`);
    li.append(" ", on);
  }
  return li;
}

function render(state) {
  if (state.code && !state.room) {
    // The link stopped being valid (or the room is gone): say so, in both languages.
    $("error").textContent = both(`errors.${state.code}`, { room: ROOM });
    return;
  }
  $("error").textContent = "";
  const room = state.room;
  $("name").textContent = room.name;
  $("name-ja").textContent = room.name_ja;
  document.title = `${room.name} — freeseat`;
  $("now").textContent = booking(room.now);
  $("next").textContent = booking(room.next);
  $("code").textContent = state.code ? state.code.code : "——————";
  rotation = state.code ? { at: Date.now(), inS: state.code.rotates_in_s } : null;
  tickBar();
  const s = room.session;
  $("session").hidden = !s;
  $("idle").hidden = Boolean(s);
  showPage(s, state.materials);
  if (!s) {
    // Nothing of the last meeting stays up for the next group to scan into.
    for (const id of ["title", "host", "since", "viewer"]) $(id).textContent = "";
    $("qr").replaceChildren();
    $("materials").replaceChildren();
    return;
  }
  $("title").textContent = titleOf(s, room);
  $("host").textContent = hostOf(s);
  $("since").textContent = hm(s.started_at);
  $("qr").innerHTML = state.qr_svg || ""; // SVG made by the server from the viewer's URL
  $("viewer").textContent = state.viewer_url || "";
  const items = state.materials.map((m) => material(m, s.showing));
  if (!items.length) {
    const none = document.createElement("li");
    none.className = "muted";
    none.textContent = both("screen.noMaterials");
    items.push(none);
  }
  $("materials").replaceChildren(...items);
}

/** The page on screen, as the server drew it; the layout gives it most of the monitor. */
function showPage(session, materials) {
  const showing = session?.showing;
  const m = showing && materials.find((x) => x.id === showing.material_id);
  document.body.dataset.showing = String(Boolean(m));
  $("stage").hidden = !m;
  if (!m) {
    $("page-img").removeAttribute("src");
    return;
  }
  const src = `/api/rooms/${encodeURIComponent(ROOM)}/screen/materials/${m.id}/pages/${showing.page}?key=${encodeURIComponent(KEY)}`;
  if ($("page-img").getAttribute("src") !== src) $("page-img").src = src;
  $("page-img").alt = `${m.filename} p.${showing.page}/${m.pages}`;
  $("page-caption").textContent = `${m.filename} · p.${showing.page}/${m.pages}`;
}

function tickBar() {
  const left = rotation ? Math.max(0, rotation.inS - (Date.now() - rotation.at) / 1000) : 0;
  $("bar").style.width = `${Math.min(100, (left / 60) * 100)}%`;
}

async function start() {
  for (const el of document.querySelectorAll("[data-both]")) el.textContent = both(el.dataset.both);
  $("name").textContent = ROOM;
  try {
    const response = await fetch(`/api/rooms/${encodeURIComponent(ROOM)}/screen-state?key=${encodeURIComponent(KEY)}`);
    if (!response.ok) {
      $("error").textContent = (await errorOf(response, "screen-state")).message;
      return;
    }
    render(await response.json());
  } catch {
    $("error").textContent = both("screen.offline");
  }
  followRoom(`/ws/rooms/${encodeURIComponent(ROOM)}/screen?key=${encodeURIComponent(KEY)}`, render, (live) => {
    document.body.dataset.live = String(live);
  });
  setInterval(tickBar, 1000);
}

start();
