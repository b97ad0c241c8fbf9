// The attendees' page (the room's QR code opens it): the session's materials, following the
// page the host shows on the room screen. In both languages, like the room screen.

import { errorOf } from "./api.js";
import { both } from "./i18n.js";

const TOKEN = decodeURIComponent(window.location.pathname.split("/").pop());
const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);
let shown = "";

function material(m) {
  const link = document.createElement("a");
  link.href = `/api/view/${encodeURIComponent(TOKEN)}/materials/${m.id}`;
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = `${both(m.kind === "agenda" ? "viewer.agenda" : "viewer.material")}: ${m.filename}`;
  const li = document.createElement("li");
  li.append(link, ` (${m.pages} p)`);
  return li;
}

async function refresh() {
  const response = await fetch(`/api/view/${encodeURIComponent(TOKEN)}`);
  if (!response.ok) {
    $("error").textContent = (await errorOf(response, "view")).message;
    return;
  }
  const body = await response.json();
  $("error").textContent = "";
  $("room").textContent = `${body.room_name} ${body.room_name_ja}`;
  $("title").textContent = body.session.title;
  $("ended").hidden = !body.session.ended_at;
  const items = body.materials.map(material);
  if (!items.length) items.push(Object.assign(document.createElement("li"), { textContent: both("viewer.noMaterials") }));
  $("list").replaceChildren(...items);
  const s = body.session.showing;
  const want = s ? `/api/view/${encodeURIComponent(TOKEN)}/materials/${s.material_id}#page=${s.page}` : "";
  if (want !== shown) {
    shown = want;
    $("current").hidden = !s;
    if (s) {
      $("frame").src = want;
      $("page").textContent = s.page;
    }
  }
}

for (const el of document.querySelectorAll("[data-both]")) el.textContent = both(el.dataset.both);
$("frame").title = both("viewer.frame");
document.title = `${both("viewer.title")} — freeseat`;
refresh().catch(() => {});
setInterval(() => refresh().catch(() => {}), REFRESH_MS);
