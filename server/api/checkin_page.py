"""The page a desk's QR code opens: phone-sized, Japanese and English, no app, no build step."""

# {{DESK}}, {{FLOOR}} and {{ZONE}} are replaced (HTML-escaped) per desk by server.api.seating.
CHECKIN_PAGE = """<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>freeseat · {{DESK}}</title>
<style>
  :root { font-family: system-ui, "Hiragino Sans", "Noto Sans JP", sans-serif; color: #1b1f24; }
  body { margin: 0; padding: 1rem; max-width: 28rem; margin-inline: auto; }
  header { display: flex; justify-content: space-between; align-items: baseline; }
  h1 { font-size: 1.4rem; margin: .5rem 0; }
  .where { color: #555; margin: 0 0 1rem; }
  button, input { font: inherit; padding: .8rem 1rem; border-radius: .5rem; width: 100%;
                  box-sizing: border-box; margin: .3rem 0; }
  button { background: #0b5fff; color: #fff; border: 0; font-weight: 600; }
  button.secondary { background: #e8ecf2; color: #1b1f24; }
  button.lang { width: auto; padding: .3rem .7rem; background: #e8ecf2; color: #1b1f24; }
  input { border: 1px solid #9aa4b2; }
  #status { margin: 1rem 0; padding: .8rem; border-radius: .5rem; background: #f3f5f8; }
  #status.ok { background: #e3f6e8; }
  #status.error { background: #fde8e8; }
  ul { list-style: none; padding: 0; } li button { text-align: left; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1><span data-t="desk">机</span> {{DESK}}</h1>
  <button class="lang" id="lang" type="button">English</button>
</header>
<p class="where"><span data-t="floor">フロア</span> {{FLOOR}} ·
  <span data-t="zone">ゾーン</span> {{ZONE}}</p>
<div id="status" role="status" aria-live="polite"></div>

<section id="signin" hidden>
  <form id="password-form" hidden>
    <label><span data-t="staff_id">職員番号</span>
      <input id="staff-id" autocomplete="username" required></label>
    <label><span data-t="password">パスワード</span>
      <input id="password" type="password" autocomplete="current-password"></label>
    <button type="submit" data-t="sign_in">サインイン</button>
  </form>
  <div id="demo" hidden>
    <p data-t="demo_pick">デモ: 職員を選んでください</p>
    <input id="demo-query" data-t-placeholder="search" placeholder="名前・職員番号で検索">
    <ul id="demo-people"></ul>
  </div>
</section>

<section id="actions" hidden>
  <p id="who"></p>
  <button id="checkin" type="button" data-t="check_in">この机にチェックイン</button>
  <button id="release" type="button" class="secondary" data-t="release">席を解放する</button>
  <button id="signout" type="button" class="secondary" data-t="sign_out">サインアウト</button>
</section>

<script>
const DESK = "{{DESK}}";
const T = {
  ja: { desk: "机", floor: "フロア", zone: "ゾーン", staff_id: "職員番号", password: "パスワード",
        sign_in: "サインイン", demo_pick: "デモ: 職員を選んでください",
        search: "名前・職員番号で検索",
        check_in: "この机にチェックイン", release: "席を解放する", sign_out: "サインアウト",
        checked_in: "チェックインしました。{time} まで利用できます。",
        held_here: "この机を確保しています。チェックインしてください（{time} まで）。",
        held_other: "今日は机 {desk} を確保しています。",
        released: "席を解放しました。", signed_in_as: "{name} としてサインイン中",
        need_sign_in: "チェックインするにはサインインしてください。", other_lang: "English" },
  en: { desk: "Desk", floor: "Floor", zone: "Zone", staff_id: "Staff ID", password: "Password",
        sign_in: "Sign in", demo_pick: "Demo: pick a member of staff",
        search: "Search by name or ID",
        check_in: "Check in at this desk", release: "Release my seat", sign_out: "Sign out",
        checked_in: "You are checked in. The desk is yours until {time}.",
        held_here: "You hold this desk. Check in by {time}.",
        held_other: "You hold desk {desk} today.",
        released: "Your seat is released.", signed_in_as: "Signed in as {name}",
        need_sign_in: "Sign in to check in.", other_lang: "日本語" },
};
let lang = (navigator.language || "ja").toLowerCase().startsWith("ja") ? "ja" : "en";
let csrf = "";
let person = null;
const $ = (id) => document.getElementById(id);
const t = (key, vars = {}) => T[lang][key].replace(/\\{(\\w+)\\}/g, (_, k) => vars[k] ?? "");
const hhmm = (iso) =>
  new Date(iso).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });

function paint() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll("[data-t-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.tPlaceholder);
  });
  $("lang").textContent = t("other_lang");
  if (person) {
    const name = lang === "ja" && person.name_ja ? person.name_ja : person.name;
    $("who").textContent = t("signed_in_as", { name });
  }
}

function say(text, kind = "") { const s = $("status"); s.textContent = text; s.className = kind; }

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  const response = await fetch(path, { method, headers, credentials: "same-origin",
                                       body: body ? JSON.stringify(body) : undefined });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error((data && data.detail) || response.statusText);
  return data;
}

async function showSeat() {
  const { seat } = await api("GET", "/api/me/seat");
  if (!seat) { say(""); return; }
  if (seat.desk !== DESK) say(t("held_other", { desk: seat.desk }));
  else if (seat.state === "checked_in") {
    say(t("checked_in", { time: hhmm(seat.releases_at) }), "ok");
  }
  else say(t("held_here", { time: hhmm(seat.check_in_by) }));
}

async function load() {
  const session = await api("GET", "/api/session");
  csrf = session.csrf_token;
  person = session.person;
  $("signin").hidden = session.signed_in;
  $("actions").hidden = !session.signed_in;
  $("password-form").hidden = !session.providers.includes("local") || session.demo_mode;
  $("demo").hidden = !session.demo_mode;
  paint();
  if (session.signed_in) await showSeat(); else say(t("need_sign_in"));
}

async function signIn(staffId, password) {
  try {
    const body = password ? { staff_id: staffId, password } : { staff_id: staffId };
    await api("POST", "/api/session", body);
    await load();
  } catch (e) { say(e.message, "error"); }
}

$("password-form").addEventListener("submit", (e) => {
  e.preventDefault(); signIn($("staff-id").value.trim(), $("password").value);
});
let searchTimer = 0;
$("demo-query").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const query = encodeURIComponent($("demo-query").value);
    const people = await api("GET", "/api/people?limit=20&query=" + query);
    const list = $("demo-people"); list.replaceChildren();
    for (const p of people) {
      const b = document.createElement("button"); b.type = "button"; b.className = "secondary";
      b.textContent = `${p.name_ja || p.name} · ${p.name} (${p.staff_id})`;
      b.addEventListener("click", () => signIn(p.staff_id));
      const li = document.createElement("li"); li.append(b); list.append(li);
    }
  }, 200);
});
$("checkin").addEventListener("click", async () => {
  try {
    const seat = await api("POST", "/api/me/seat/check-in", { desk: DESK, how: "qr" });
    say(t("checked_in", { time: hhmm(seat.releases_at) }), "ok");
  } catch (e) { say(e.message, "error"); }
});
$("release").addEventListener("click", async () => {
  try { await api("DELETE", "/api/me/seat"); say(t("released"), "ok"); }
  catch (e) { say(e.message, "error"); }
});
$("signout").addEventListener("click", async () => {
  try { await api("DELETE", "/api/session"); } catch (e) { /* already signed out */ }
  await load();
});
async function showSeatIfSignedIn() {
  if (person) await showSeat(); else say(t("need_sign_in"));
}
$("lang").addEventListener("click", () => {
  lang = lang === "ja" ? "en" : "ja"; paint(); showSeatIfSignedIn();
});
paint();
load().catch((e) => say(e.message, "error"));
</script>
</body>
</html>
"""
