// The room screen: now/next, the rotating pairing code, and the running session with its QR
// code. Shown on a monitor everyone in the room reads, so in both languages at once.
// The room and its secret key come from the address (/rooms/<room>/screen?key=...).

import { errorOf } from "./api.js";
import { both } from "./i18n.js";

const ROOM = decodeURIComponent(window.location.pathname.split("/").at(-2));
const KEY = new URLSearchParams(window.location.search).get("key") ?? "";
const REFRESH_MS = 2000;
const $ = (id) => document.getElementById(id);
const hm = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const booking = (b) => (b ? `${hm(b.starts_at)}–${hm(b.ends_at)}  ${b.title} (${b.host_name})` : "—");

function item(text, className) {
  const li = document.createElement("li");
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

function showSession(state) {
  const s = state.room.session;
  $("session").hidden = !s;
  $("idle").hidden = Boolean(s);
  if (!s) return;
  $("title").textContent = s.title;
  $("host").textContent = s.host_name;
  $("since").textContent = hm(s.started_at);
  $("qr").innerHTML = state.qr_svg || ""; // SVG made by the server from the viewer's URL
  $("viewer").textContent = state.viewer_url || "";
  const list = state.materials.map((m) => {
    const here = s.showing && s.showing.material_id === m.id;
    const on = here ? ` ▶ p.${s.showing.page}/${m.pages}` : "";
    const icon = m.kind === "agenda" ? "📋" : "📄";
    return item(`${icon} ${m.filename} (${m.pages} p)${on}`);
  });
  $("materials").replaceChildren(...(list.length ? list : [item(both("screen.noMaterials"), "muted")]));
}

async function refresh() {
  let state;
  try {
    const response = await fetch(`/api/rooms/${encodeURIComponent(ROOM)}/screen-state?key=${encodeURIComponent(KEY)}`);
    if (!response.ok) {
      $("error").textContent = (await errorOf(response, "screen-state")).message;
      return;
    }
    state = await response.json();
  } catch {
    $("error").textContent = both("screen.offline");
    return;
  }
  $("error").textContent = "";
  const room = state.room;
  $("name").textContent = room.name;
  $("name-ja").textContent = room.name_ja;
  $("now").textContent = booking(room.now);
  $("next").textContent = booking(room.next);
  if (state.code) {
    $("code").textContent = state.code.code;
    $("bar").style.width = `${Math.min(100, (state.code.rotates_in_s / 60) * 100)}%`;
  } else {
    $("code").textContent = "——————";
  }
  showSession(state);
}

for (const el of document.querySelectorAll("[data-both]")) el.textContent = both(el.dataset.both);
document.title = `${ROOM} — freeseat`;
$("name").textContent = ROOM;
refresh();
setInterval(refresh, REFRESH_MS);
