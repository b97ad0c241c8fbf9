"""The room screen and the attendees' materials viewer: self-contained pages, no build step."""

import html
import json

_STYLE = """
:root { color-scheme: dark; font-family: system-ui, "Noto Sans JP", sans-serif; }
body { margin: 0; background: #101418; color: #f2f4f6; }
main { display: grid; gap: 2vh; padding: 3vh 4vw; min-height: 94vh; box-sizing: border-box; }
h1 { font-size: 5vh; margin: 0; } h1 small { font-size: 3vh; color: #aab4be; margin-left: 1em; }
.label { font-size: 2.2vh; color: #aab4be; text-transform: uppercase; letter-spacing: .08em; }
.card { background: #1b2229; border-radius: 1.5vh; padding: 2vh 2vw; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 2vw; }
.code { font-size: 14vh; font-weight: 700; letter-spacing: .15em;
        font-variant-numeric: tabular-nums; }
.bar { height: 1vh; background: #3a86ff; border-radius: .5vh; transition: width 1s linear; }
.big { font-size: 3.4vh; } .muted { color: #aab4be; }
.qr svg { width: 28vh; height: 28vh; background: #fff; border-radius: 1vh; }
a { color: #8ecbff; }
"""

_SCREEN_SCRIPT = """
const ROOM = %(room)s, KEY = %(key)s;
const $ = (id) => document.getElementById(id);
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const hm = (iso) => new Date(iso).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
const booking = (b) => b ? `${hm(b.starts_at)}–${hm(b.ends_at)}  ${b.title} (${b.host_name})` : "—";
async function refresh() {
  let state;
  try {
    const r = await fetch(`/api/rooms/${ROOM}/screen-state?key=${encodeURIComponent(KEY)}`);
    if (!r.ok) { $("error").textContent = (await r.json()).detail; return; }
    state = await r.json();
  } catch (e) { $("error").textContent = "offline / 接続できません"; return; }
  $("error").textContent = "";
  const room = state.room;
  $("name").textContent = room.name; $("name-ja").textContent = room.name_ja;
  $("now").textContent = booking(room.now); $("next").textContent = booking(room.next);
  if (state.code) {
    $("code").textContent = state.code.code;
    $("bar").style.width = `${Math.min(100, state.code.rotates_in_s / 60 * 100)}%%`;
  } else { $("code").textContent = "——————"; }
  const s = room.session;
  $("session").hidden = !s; $("idle").hidden = !!s;
  if (s) {
    $("title").textContent = s.title; $("host").textContent = s.host_name;
    $("since").textContent = hm(s.started_at);
    $("qr").innerHTML = state.qr_svg || "";
    $("viewer").textContent = state.viewer_url || "";
    const list = state.materials.map((m) => {
      const here = s.showing && s.showing.material_id === m.id;
      const on = here ? ` ▶ p.${s.showing.page}/${m.pages}` : "";
      const icon = m.kind === "agenda" ? "📋" : "📄";
      return `<li>${icon} ${esc(m.filename)} (${m.pages} p)${on}</li>`;
    });
    const none = "<li class=muted>no materials yet / 資料はまだありません</li>";
    $("materials").innerHTML = list.join("") || none;
  }
}
refresh(); setInterval(refresh, 2000);
"""


def screen_page(room_id: str, key: str) -> str:
    """The full-screen room screen; it polls its state every 2 s."""
    script = _SCREEN_SCRIPT % {"room": json.dumps(room_id), "key": json.dumps(key)}
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(room_id)} — freeseat</title><style>{_STYLE}</style></head>
<body><main>
<h1><span id="name">{html.escape(room_id)}</span><small id="name-ja"></small></h1>
<div class="row">
  <div class="card"><div class="label">Now / 現在</div><div id="now" class="big">—</div></div>
  <div class="card"><div class="label">Next / 次の予約</div><div id="next" class="big">—</div></div>
</div>
<div class="card" id="pairing">
  <div class="label">Pairing code — type it in <code>freeseat connect</code> or the browser /
  接続コード（ノートPCまたはブラウザで入力）</div>
  <div id="code" class="code" aria-live="polite">——————</div>
  <div class="bar" id="bar" style="width:100%" role="presentation"></div>
</div>
<div class="card" id="idle">
  <div class="big muted">No session running / 会議は開始されていません</div></div>
<div class="card row" id="session" hidden>
  <div>
    <div class="label">In session / 会議中</div>
    <div id="title" class="big"></div>
    <div class="muted">Host / 主催: <span id="host"></span>
      · since / 開始 <span id="since"></span></div>
    <div class="label" style="margin-top:2vh">Materials / 資料</div>
    <ul id="materials" class="big"></ul>
  </div>
  <div class="qr"><div class="label">Scan for the materials / 資料はこちら</div>
    <div id="qr"></div><div id="viewer" class="muted"></div></div>
</div>
<div id="error" role="alert" class="big"></div>
</main><script>{script}</script></body></html>"""


_VIEWER_SCRIPT = """
const TOKEN = %(token)s;
const $ = (id) => document.getElementById(id);
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
let shown = "";
async function refresh() {
  const r = await fetch(`/api/view/${TOKEN}`);
  const body = await r.json();
  if (!r.ok) { $("error").textContent = body.detail; return; }
  $("room").textContent = `${body.room_name} ${body.room_name_ja}`;
  $("title").textContent = body.session.title;
  $("ended").hidden = !body.session.ended_at;
  $("list").innerHTML = body.materials.map((m) =>
    `<li><a href="/api/view/${TOKEN}/materials/${m.id}" target="_blank" rel="noopener">` +
    `${m.kind === "agenda" ? "Agenda / 議題" : "Material / 資料"}: ${esc(m.filename)}</a>` +
    ` (${m.pages} p)</li>`
  ).join("") || "<li>No materials yet / 資料はまだありません</li>";
  const s = body.session.showing;
  const want = s ? `/api/view/${TOKEN}/materials/${s.material_id}#page=${s.page}` : "";
  if (want !== shown) {
    shown = want;
    $("current").hidden = !s;
    if (s) { $("frame").src = want; $("page").textContent = s.page; }
  }
}
refresh(); setInterval(refresh, 3000);
"""


def viewer_page(token: str) -> str:
    """The attendees' page: the session's materials, following the page on the room screen."""
    script = _VIEWER_SCRIPT % {"token": json.dumps(token)}
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meeting materials / 会議資料 — freeseat</title><style>{_STYLE}
main {{ min-height: auto; }} h1 {{ font-size: 1.6rem; }} .big {{ font-size: 1.1rem; }}
iframe {{ width: 100%; height: 70vh; border: 0; background: #fff; }}</style></head>
<body><main>
<div class="label" id="room"></div>
<h1 id="title">…</h1>
<div id="ended" class="card" hidden>This meeting has ended / この会議は終了しました</div>
<div class="card"><div class="label">Materials / 資料</div><ul id="list" class="big"></ul></div>
<div class="card" id="current" hidden>
  <div class="label">On the room screen now / 画面に表示中: page <span id="page"></span></div>
  <iframe id="frame" title="current material / 表示中の資料"></iframe>
</div>
<div id="error" role="alert"></div>
</main><script>{script}</script></body></html>"""
