// The page a desk's QR code opens: sign in if needed, then one button to check in here.
// The desk comes from the address (/checkin/<desk>), everything else from the API.

import { getJSON } from "./api.js";
import { applyTranslations, errorText, formatTime, lang, localName, onLanguageChange, setLanguage, t } from "./i18n.js";
import { departmentName, deskLabel, floorName, zoneName } from "./labels.js";
import { findPeople, loadSession, send, signIn, signOut } from "./session.js";

const DESK = decodeURIComponent(window.location.pathname.split("/").pop());
const $ = (id) => document.getElementById(id);
let person = null;
let desk = null;
// What #status says, kept as a function so a language switch re-words it.
let status = { words: () => "", kind: "" };

function say(words, kind = "") {
  status = { words, kind };
  paintStatus();
}

function sayError(err) {
  // err.message is worded in the language of the moment it failed; a switch re-words it.
  say(() => errorText(err.code, { ...err.facts, ...err.labels }, err.message), "error");
}

function paintStatus() {
  $("status").textContent = status.words();
  $("status").className = status.kind;
}

function paint() {
  applyTranslations(document);
  document.title = `freeseat · ${deskLabel(DESK)}`;
  $("desk-id").textContent = deskLabel(DESK);
  if (desk) {
    $("floor").textContent = floorName(desk.floor);
    $("zone").textContent = zoneName(desk.zone);
  }
  $("lang").textContent = t("checkin.otherLanguage");
  $("lang").lang = lang() === "ja" ? "en" : "ja";
  if (person) $("who").textContent = t("checkin.signedInAs", { name: localName(person) });
  paintStatus();
}

async function showDesk() {
  desk = await getJSON(`/api/desks/${encodeURIComponent(DESK)}`);
  $("where").hidden = false;
  paint();
}

async function showSeat() {
  const { seat } = await getJSON("/api/me/seat");
  if (!seat) say(() => "");
  else if (seat.desk !== DESK) say(() => t("checkin.heldOther", { desk: deskLabel(seat.desk) }));
  else if (seat.state === "checked_in") say(() => t("checkin.checkedIn", { time: formatTime(seat.releases_at) }), "ok");
  else say(() => t("checkin.heldHere", { time: formatTime(seat.check_in_by) }));
}

async function load() {
  const session = await loadSession();
  person = session.person;
  $("signin").hidden = session.signed_in;
  $("actions").hidden = !session.signed_in;
  $("password-form").hidden = !session.providers.includes("local") || session.demo_mode;
  $("demo").hidden = !session.demo_mode;
  paint();
  if (session.signed_in) await showSeat();
  else say(() => t("checkin.needSignIn"));
}

async function signInAs(staffId, password) {
  try {
    await signIn(staffId, password);
    await load();
  } catch (err) {
    sayError(err);
  }
}

$("password-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signInAs($("staff-id").value.trim(), $("password").value);
});

let searchTimer = 0;
$("demo-query").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const people = await findPeople($("demo-query").value).catch(() => []);
    const list = $("demo-people");
    list.replaceChildren();
    for (const p of people) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      const dept = p.department ? ` · ${departmentName(p.department)}` : "";
      button.textContent = `${localName(p)}${dept}`;
      button.addEventListener("click", () => signInAs(p.staff_id));
      const item = document.createElement("li");
      item.append(button);
      list.append(item);
    }
  }, 200);
});

$("checkin").addEventListener("click", async () => {
  try {
    const seat = await send("POST", "/api/me/seat/check-in", { desk: DESK, how: "qr" });
    if (seat.state === "checked_in") say(() => t("checkin.checkedIn", { time: formatTime(seat.releases_at) }), "ok");
    else say(() => t("checkin.waitingForSensor", { time: formatTime(seat.check_in_by) }), "ok");
  } catch (err) {
    sayError(err);
  }
});

$("release").addEventListener("click", async () => {
  try {
    await send("DELETE", "/api/me/seat");
    say(() => t("checkin.released"), "ok");
  } catch (err) {
    sayError(err);
  }
});

$("signout").addEventListener("click", async () => {
  try {
    await signOut();
  } catch {
    // Signed out already.
  }
  await load();
});

$("lang").addEventListener("click", () => setLanguage(lang() === "ja" ? "en" : "ja"));
onLanguageChange(paint);

paint();
showDesk()
  .then(load)
  .catch((err) => {
    sayError(err);
    $("signin").hidden = true;
    $("actions").hidden = true;
  });
