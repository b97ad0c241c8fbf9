// The host view: rooms now and next with booking, pairing a laptop with a room
// screen by its code, and the host's open meetings with their materials.

import { errorOf, fetchFloors, getJSON } from "./api.js";
import { setupLanguageSwitch } from "./chrome.js";
import { errorText, formatTime, localName, t } from "./i18n.js";
import { hostName, roomName as labelOfRoom } from "./labels.js";
import { loadSession, send, session } from "./session.js";
import { renderSignIn } from "./sign_in.js";

const REFRESH_MS = 15_000;
const $ = (id) => document.getElementById(id);
const view = { floors: [], floorId: null, rooms: [], sessions: [], bookingFor: null, ending: null, asking: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function notice(text, kind = "error") {
  const n = $("notice");
  n.textContent = text;
  n.dataset.kind = kind;
  n.hidden = !text;
}

async function guarded(fn) {
  try {
    await fn();
  } catch (err) {
    notice(err.message);
  }
}

// ---- data

async function loadRooms() {
  if (!session()?.signed_in || !view.floorId) return;
  view.rooms = await getJSON(`/api/rooms?floor=${encodeURIComponent(view.floorId)}`);
  renderRooms();
}

async function loadSessions() {
  if (!session()?.signed_in) return;
  view.sessions = await getJSON("/api/sessions");
  renderSessions();
}

async function refresh() {
  await Promise.all([loadRooms(), loadSessions(), loadConflicts()]);
}

// ---- calendar events freeseat did not book (room calendars): the host sees why

async function loadConflicts() {
  const box = $("calendar-conflicts");
  const found = session()?.signed_in ? await getJSON("/api/calendar/conflicts").catch(() => []) : [];
  box.hidden = !found.length;
  $("conflict-list").replaceChildren(
    ...found.map((c) => {
      const why = c.code === "booking_overlap" && c.kept_title
        ? t("calendar.kept", c)
        : c.code === "changed_on_both_sides" ? t("calendar.bothSides") : errorText(c.code, c, c.code);
      return el("li", { dataset: { code: c.code } }, t("calendar.conflict", { ...c, why }));
    }),
  );
}

// ---- rooms now and next, booking

function bookingLine(key, booking) {
  return booking
    ? el("p", { class: "booking", dataset: { booking: booking.id } },
        t(key, { title: booking.title, host: hostName(booking), start: formatTime(booking.starts_at), end: formatTime(booking.ends_at) }))
    : null;
}

function renderRooms() {
  const signedIn = Boolean(session()?.signed_in);
  $("room-cards").replaceChildren(
    ...(signedIn ? view.rooms : []).map((room) => {
      const busy = Boolean(room.now || room.session || room.status?.occupied);
      const status = el("span", { class: "room-status" }, t(busy ? "board.roomBusy" : "board.roomFree"));
      const monitor = screenWords(room.status);
      const card = el("li", { class: "room-card", dataset: { room: room.id, status: busy ? "busy" : "free" } },
        el("div", { class: "room-card-head" }, el("strong", {}, localName(room)), status),
        el("p", { class: "room-meta" }, t("room.capacity", { n: room.capacity }), " · ", monitor),
        bookingLine("host.now", room.now),
        room.session ? el("p", { class: "booking" }, t("host.sessionOpen", { title: titleOf(room.session), host: hostName(room.session) })) : null,
        bookingLine("host.next", room.next) ?? el("p", { class: "booking muted" }, t("host.nothingNext")),
        view.bookingFor === room.id ? bookingForm(room) : el("button", { type: "button", class: "action-button", dataset: { book: room.id }, onclick: () => {
          view.bookingFor = room.id;
          renderRooms();
        } }, t("host.book")),
      );
      return card;
    }),
  );
  const select = $("pair-room");
  const chosen = select.value;
  select.replaceChildren(new Option(t("host.anyRoom"), ""), ...view.rooms.map((r) => new Option(localName(r), r.id)));
  select.value = view.rooms.some((r) => r.id === chosen) ? chosen : "";
}

/** What the room's screen is doing: someone sharing, ready for a laptop, off, or silent. */
function screenWords(status) {
  if (status?.casting) return t("host.screenSharing");
  if (status?.display_connected === true) return t("host.screenReady");
  if (status?.display_connected === false) return t("host.screenOff");
  return t("host.monitorUnknown");
}

/** A session's title, or "Meeting in <room>" for one started without a booking. */
function titleOf(s) {
  return s.title || t("session.untitled", { room: labelOfRoom(s.room) });
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function bookingForm(room) {
  const start = new Date(Math.ceil(Date.now() / (5 * 60_000)) * 5 * 60_000);
  const title = el("input", { name: "title", required: true, maxlength: 200, id: `book-title-${room.id}` });
  const when = el("input", { type: "datetime-local", name: "start", required: true, value: localInputValue(start) });
  const minutes = el("select", { name: "minutes" }, ...[30, 60, 90, 120].map((m) => new Option(t("host.minutes", { n: m }), String(m))));
  minutes.value = "60";
  const form = el("form", { class: "inline-form booking-form", dataset: { bookingForm: room.id } },
    el("label", {}, t("host.meetingTitle"), title),
    el("label", {}, t("host.start"), when),
    el("label", {}, t("host.length"), minutes),
    el("button", { type: "submit", class: "action-button primary" }, t("host.confirmBooking")),
    el("button", { type: "button", class: "link-button", onclick: () => {
      view.bookingFor = null;
      renderRooms();
    } }, t("host.cancel")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const startsAt = new Date(when.value);
    const endsAt = new Date(startsAt.getTime() + Number(minutes.value) * 60_000);
    guarded(async () => {
      await send("POST", `/api/rooms/${encodeURIComponent(room.id)}/bookings`, {
        title: title.value.trim(),
        starts_at: startsAt.toISOString(),
        ends_at: endsAt.toISOString(),
      });
      view.bookingFor = null;
      notice(t("host.booked", { room: localName(room) }), "ok");
      await loadRooms();
    });
  });
  return form;
}

// ---- pairing

$("pair-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const code = $("pair-code").value.replace(/\s+/g, "");
  const room = $("pair-room").value || null;
  pair({ code, room });
});

async function pair(body) {
  await guarded(async () => {
    let out;
    try {
      out = await send("POST", "/api/pairing", body);
    } catch (err) {
      if (err.code !== "booked_by_another") throw err;
      // Someone else booked the room now: ask whether this is their meeting or the host's own.
      view.asking = { body, facts: err.facts };
      notice("");
      renderAsk();
      return;
    }
    view.asking = null;
    renderAsk();
    $("pair-code").value = "";
    notice(t(out.started ? "host.paired" : "host.joined", { title: titleOf(out.session) }), "ok");
    await refresh();
  });
}

function renderAsk() {
  const box = $("pair-ask");
  const ask = view.asking;
  box.hidden = !ask;
  if (!ask) {
    box.replaceChildren();
    return;
  }
  const f = ask.facts;
  const answer = (booking) => pair({ ...ask.body, booking });
  box.replaceChildren(
    el("p", { id: "pair-ask-text" }, t("host.askBooked", { room: labelOfRoom(f.room), host: hostName(f), title: f.title,
      start: formatTime(f.starts_at), end: formatTime(f.ends_at) })),
    el("div", { class: "inline-form" },
      el("button", { type: "button", class: "action-button primary", dataset: { answer: "join" }, onclick: () => answer("join") }, t("host.askJoin")),
      el("button", { type: "button", class: "action-button", dataset: { answer: "own" }, onclick: () => answer("own") }, t("host.askOwn")),
      el("button", { type: "button", class: "link-button", onclick: () => {
        view.asking = null;
        renderAsk();
      } }, t("host.cancel"))),
  );
  box.querySelector("button").focus();
}

// ---- my meetings: materials, what is on screen, end

async function upload(sessionId, file, kind) {
  const response = await fetch(`/api/sessions/${sessionId}/materials?${new URLSearchParams({ filename: file.name, kind })}`, {
    method: "POST",
    headers: { "Content-Type": "application/pdf", "X-CSRF-Token": session().csrf_token, Accept: "application/json" },
    body: file,
    credentials: "same-origin",
  });
  if (!response.ok) throw await errorOf(response, "materials");
}

function renderSessions() {
  const box = $("sessions");
  if (!session()?.signed_in) {
    box.replaceChildren();
    return;
  }
  if (!view.sessions.length) {
    box.replaceChildren(el("p", { class: "action-hint", id: "no-sessions" }, t("host.noSessions")));
    return;
  }
  box.replaceChildren(
    ...view.sessions.map((s) => {
      const file = el("input", { type: "file", accept: "application/pdf,.pdf", dataset: { upload: s.id } });
      const kind = el("select", {}, new Option(t("host.kindMaterial"), "material"), new Option(t("host.kindAgenda"), "agenda"));
      const uploadForm = el("form", { class: "inline-form" }, el("label", {}, t("host.addPdf"), file), el("label", {}, t("host.kind"), kind),
        el("button", { type: "submit", class: "action-button" }, t("host.upload")));
      uploadForm.addEventListener("submit", (e) => {
        e.preventDefault();
        if (!file.files?.length) return;
        guarded(async () => {
          await upload(s.id, file.files[0], kind.value);
          notice(t("host.uploaded", { name: file.files[0].name }), "ok");
          await loadSessions();
        });
      });
      const viewer = new URL(s.viewer_path, location.origin).href;
      return el("article", { class: "panel session-card", dataset: { session: s.id } },
        el("div", { class: "room-card-head" }, el("strong", {}, titleOf(s)), el("span", { class: "muted" }, roomName(s.room))),
        el("p", { class: "room-meta" }, t("host.startedAt", { time: formatTime(s.started_at) }), " · ",
          t("host.viewers", { n: s.opened_by.length + s.anonymous_viewers }), " · ", t("host.pagesShared", { n: s.pages_shared })),
        el("p", {}, t("host.viewerLink"), " ", el("a", { href: viewer, target: "_blank", rel: "noopener", class: "viewer-link" }, viewer)),
        el("ul", { class: "materials" }, ...s.materials.map((m) => materialRow(s, m))),
        s.materials.length ? null : el("p", { class: "action-hint" }, t("host.noMaterials")),
        uploadForm,
        endControls(s),
      );
    }),
  );
}

/** "End meeting", then a second step: end it now, or keep it running. */
function endControls(s) {
  if (view.ending !== s.id) {
    return el("button", { type: "button", class: "action-button", dataset: { end: s.id }, onclick: () => {
      view.ending = s.id;
      renderSessions();
      document.querySelector(`[data-end-confirm="${s.id}"]`)?.focus();
    } }, t("host.end"));
  }
  return el("div", { class: "end-confirm", role: "group", "aria-labelledby": `end-ask-${s.id}` },
    el("p", { id: `end-ask-${s.id}` }, t("host.endAsk", { title: titleOf(s) })),
    el("div", { class: "inline-form" },
      el("button", { type: "button", class: "action-button danger", dataset: { endConfirm: s.id }, onclick: () => guarded(async () => {
        view.ending = null;
        await send("POST", `/api/sessions/${s.id}/end`);
        notice(t("host.ended", { title: titleOf(s) }), "ok");
        await refresh();
      }) }, t("host.endNow")),
      el("button", { type: "button", class: "action-button", onclick: () => {
        view.ending = null;
        renderSessions();
      } }, t("host.keepRunning"))),
  );
}

function roomName(id) {
  const room = view.rooms.find((r) => r.id === id);
  return room ? localName(room) : id;
}

function materialRow(s, m) {
  const onScreen = s.showing?.material_id === m.id;
  const page = el("input", { type: "number", min: 1, max: m.pages, value: onScreen ? s.showing.page : 1, "aria-label": t("host.page") });
  return el("li", { dataset: { material: m.id, onScreen: String(onScreen) } },
    el("span", { class: "material-name" }, `${m.filename} (${t("host.pages", { n: m.pages })})`),
    onScreen ? el("span", { class: "on-screen" }, t("host.onScreen", { page: s.showing.page })) : null,
    page,
    el("button", { type: "button", class: "action-button", dataset: { show: m.id }, onclick: () => guarded(async () => {
      await send("POST", `/api/sessions/${s.id}/show`, { material_id: m.id, page: Number(page.value) || 1 });
      await loadSessions();
    }) }, t("host.show")),
  );
}

// ---- sign-in, floors, start

async function renderMe() {
  $("host").dataset.signedIn = String(Boolean(session()?.signed_in));
  await renderSignIn($("host-me"), async () => {
    notice("");
    await renderMe();
    await guarded(refresh);
  });
  if (!session()?.signed_in) {
    view.rooms = [];
    view.sessions = [];
    renderRooms();
    renderSessions();
  }
}

function renderFloors() {
  const select = $("floor-select");
  select.replaceChildren(...view.floors.map((f) => new Option(localName(f), f.id)));
  select.value = view.floorId ?? "";
}

$("floor-select").addEventListener("change", () => {
  view.floorId = $("floor-select").value;
  const url = new URL(location.href);
  url.searchParams.set("floor", view.floorId);
  history.replaceState(null, "", url);
  guarded(loadRooms);
});

async function start() {
  setupLanguageSwitch(() => {
    renderFloors();
    renderMe();
    renderRooms();
    renderSessions();
  });
  await guarded(async () => {
    const [floors] = await Promise.all([fetchFloors(), loadSession()]);
    view.floors = floors;
    const wanted = new URLSearchParams(location.search).get("floor");
    view.floorId = floors.some((f) => f.id === wanted) ? wanted : (floors[0]?.id ?? null);
    renderFloors();
  });
  await renderMe();
  await guarded(refresh);
  setInterval(() => !document.hidden && guarded(refresh), REFRESH_MS);
}

start();
