// The attendees' page (the room's QR code opens it): the page the host shows on the room
// screen, drawn by the server as an image that fits a phone, pushed as the host moves on
// (server.api.room_push), and the session's materials to open. In both languages, like the
// room screen.

import { errorOf } from "./api.js";
import { both, translate } from "./i18n.js";
import { icon } from "./room_icons.js";
import { followRoom } from "./room_feed.js";

const TOKEN = decodeURIComponent(window.location.pathname.split("/").pop());
const $ = (id) => document.getElementById(id);
const base = `/api/view/${encodeURIComponent(TOKEN)}`;

function material(m) {
  const link = document.createElement("a");
  link.href = `${base}/materials/${m.id}`;
  link.target = "_blank";
  link.rel = "noopener";
  link.append(icon(m.kind === "agenda" ? "agenda" : "material"), ` ${both(m.kind === "agenda" ? "viewer.agenda" : "viewer.material")}: ${m.filename}`);
  const li = document.createElement("li");
  li.append(link, ` (${m.pages} p)`);
  return li;
}

function render(body) {
  if (body.code && !body.session) {
    $("error").textContent = both(`errors.${body.code}`);
    return;
  }
  $("error").textContent = "";
  $("room").textContent = `${body.room_name} ${body.room_name_ja}`;
  const s = body.session;
  $("title").textContent = s.title || ["en", "ja"]
    .map((lang) => translate(lang, "session.untitled", { room: (lang === "ja" && body.room_name_ja) || body.room_name }))
    .join(" / ");
  $("ended").hidden = !s.ended_at;
  const items = body.materials.map(material);
  if (!items.length) items.push(Object.assign(document.createElement("li"), { textContent: both("viewer.noMaterials") }));
  $("list").replaceChildren(...items);
  const shown = !s.ended_at && s.showing;
  const m = shown && body.materials.find((x) => x.id === s.showing.material_id);
  $("current").hidden = !m;
  if (!m) return;
  const src = `${base}/materials/${m.id}/pages/${s.showing.page}`;
  if ($("page-img").getAttribute("src") !== src) $("page-img").src = src;
  const words = { name: m.filename, page: s.showing.page, pages: m.pages };
  $("current-label").textContent = both("viewer.page", words);
  $("page-img").alt = translate("en", "viewer.page", words);
  document.body.dataset.page = String(s.showing.page);
}

async function start() {
  for (const el of document.querySelectorAll("[data-both]")) el.textContent = both(el.dataset.both);
  document.title = `${both("viewer.title")} — freeseat`;
  // The first look is a GET: it counts this phone among those who opened the materials.
  const response = await fetch(base);
  if (!response.ok) {
    $("error").textContent = (await errorOf(response, "view")).message;
    return;
  }
  render(await response.json());
  followRoom(`/ws/view/${encodeURIComponent(TOKEN)}`, render, (live) => {
    document.body.dataset.live = String(live);
  });
}

start().catch(() => {
  $("error").textContent = both("screen.offline");
});
