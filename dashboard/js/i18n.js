// Japanese and English strings, the current language, and how the page follows it.
// Static text is marked up with data-i18n="key" (text), data-i18n-aria-label="key"
// and data-i18n-title="key"; dynamic text calls t().

const STORAGE_KEY = "freeseat.lang";
export const LANGUAGES = Object.freeze(["en", "ja"]);

const STRINGS = {
  en: {
    "skip.side": "Skip to legend and desk details",
    "floor.label": "Floor",
    "floor.option": "{name}: {free} free of {desks}",
    "floor.none": "No floors are configured. Add floors to the site file.",
    "counts.label": "Desks on this floor by state",
    "counts.total": "{n} desks",
    "state.free": "Free",
    "state.held": "Held",
    "state.occupied": "Occupied",
    "state.away": "Away",
    "state.unknown": "Unknown",
    "state.blocked": "Blocked",
    "state.help.free": "Open outline: nobody is here; you can sit.",
    "state.help.held": "Clock: reserved for someone on their way.",
    "state.help.occupied": "Filled with a person: taken.",
    "state.help.away": "Round with a pause sign: its user stepped away.",
    "state.help.unknown": "Dashed with ?: the sensor is offline.",
    "state.help.blocked": "Hatched: out of service.",
    "live.connecting": "Connecting…",
    "live.live": "Live",
    "live.reconnecting": "Reconnecting…",
    "live.offline": "Offline, retrying…",
    "lang.label": "Language",
    "legend.title": "Legend",
    "map.label": "Floor map of {floor}: {desks} desks",
    "map.hint": "Drag to pan, scroll or +/− to zoom. Tab to the desks, arrows to move, Enter for details.",
    "map.loading": "Loading floor…",
    "zoom.in": "Zoom in",
    "zoom.out": "Zoom out",
    "zoom.reset": "Reset view",
    "desk.aria": "Desk {id}, {state}",
    "desk.title": "{id}\n{state}\nSince {since}",
    "details.title": "Desk {id}",
    "details.close": "Close",
    "details.id": "Desk ID",
    "details.zone": "Zone",
    "details.department": "Department",
    "details.equipment": "Equipment",
    "details.state": "State",
    "details.since": "Since",
    "details.reason": "Reason",
    "details.none": "None",
    "details.empty": "Select a desk on the map to see its details.",
    "equipment.monitor": "Monitor",
    "equipment.dual-monitor": "Dual monitors",
    "equipment.dock": "Docking station",
    "equipment.standing": "Standing desk",
    "equipment.accessible": "Accessible",
    "equipment.phone-booth": "Phone booth",
    "room.label": "{name} ({capacity} seats)",
    "room.capacity": "{n} seats",
    "ap.label": "Wi-Fi access point {id}",
    "error.floors": "Could not load the floor list ({detail}). Retrying in a few seconds…",
    "error.floor": "Could not load floor {floor} ({detail}). Retrying in a few seconds…",
    "time.unknown": "unknown",
  },
  ja: {
    "skip.side": "凡例と座席の詳細へ移動",
    "floor.label": "フロア",
    "floor.option": "{name}：空き {free} / {desks} 席",
    "floor.none": "フロアが設定されていません。サイトファイルにフロアを追加してください。",
    "counts.label": "このフロアの座席（状態別）",
    "counts.total": "全 {n} 席",
    "state.free": "空き",
    "state.held": "確保中",
    "state.occupied": "使用中",
    "state.away": "離席中",
    "state.unknown": "不明",
    "state.blocked": "使用不可",
    "state.help.free": "白抜きの枠：空いています。座れます。",
    "state.help.held": "時計：到着待ちで確保されています。",
    "state.help.occupied": "塗りつぶしと人型：使用中です。",
    "state.help.away": "丸と一時停止マーク：一時的に離席しています。",
    "state.help.unknown": "点線と「?」：センサーがオフラインです。",
    "state.help.blocked": "斜線：使用できません。",
    "live.connecting": "接続中…",
    "live.live": "ライブ",
    "live.reconnecting": "再接続中…",
    "live.offline": "オフライン（再試行中）…",
    "lang.label": "言語",
    "legend.title": "凡例",
    "map.label": "{floor} のフロアマップ（{desks} 席）",
    "map.hint": "ドラッグで移動、ホイールまたは +/− で拡大縮小。Tab で座席へ、矢印キーで移動、Enter で詳細。",
    "map.loading": "フロアを読み込んでいます…",
    "zoom.in": "拡大",
    "zoom.out": "縮小",
    "zoom.reset": "表示をリセット",
    "desk.aria": "座席 {id}、{state}",
    "desk.title": "{id}\n{state}\n{since} から",
    "details.title": "座席 {id}",
    "details.close": "閉じる",
    "details.id": "座席ID",
    "details.zone": "ゾーン",
    "details.department": "部署",
    "details.equipment": "設備",
    "details.state": "状態",
    "details.since": "変更時刻",
    "details.reason": "理由",
    "details.none": "なし",
    "details.empty": "マップ上の座席を選ぶと詳細が表示されます。",
    "equipment.monitor": "モニター",
    "equipment.dual-monitor": "デュアルモニター",
    "equipment.dock": "ドッキングステーション",
    "equipment.standing": "スタンディングデスク",
    "equipment.accessible": "バリアフリー対応",
    "equipment.phone-booth": "電話ブース",
    "room.label": "{name}（{capacity} 名）",
    "room.capacity": "{n} 名",
    "ap.label": "Wi-Fi アクセスポイント {id}",
    "error.floors": "フロア一覧を読み込めませんでした（{detail}）。数秒後に再試行します…",
    "error.floor": "フロア {floor} を読み込めませんでした（{detail}）。数秒後に再試行します…",
    "time.unknown": "不明",
  },
};

let current = initialLanguage();
const listeners = new Set();

function initialLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled (private mode, kiosk policies); fall back to the browser.
  }
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || "en").toLowerCase().startsWith("ja") ? "ja" : "en";
}

/** The current language code, "en" or "ja". */
export function lang() {
  return current;
}

/** The string for key in the current language, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const template = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** The label of a term such as a state or equipment ("state", "free"); the raw value if none. */
export function termLabel(group, value) {
  const key = `${group}.${value}`;
  return key in STRINGS[current] || key in STRINGS.en ? t(key) : String(value);
}

/** The Japanese name when the page is in Japanese and one exists, else the default name. */
export function localName(item) {
  return (current === "ja" && item.name_ja) || item.name || item.id || "";
}

/** Switch language, remember it, relabel marked-up text and tell listeners. */
export function setLanguage(code) {
  if (!LANGUAGES.includes(code) || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Not remembered across visits, but the switch still works for this page.
  }
  applyTranslations(document);
  for (const fn of listeners) fn(code);
}

/** Call fn(code) after every language switch; returns an unsubscribe function. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Fill every data-i18n* marked element under root with the current language. */
export function applyTranslations(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

/** A timestamp as local date and time in the current language; "unknown" if missing or invalid. */
export function formatTime(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return t("time.unknown");
  const sameDay = date.toDateString() === new Date().toDateString();
  return dateFormat(sameDay ? "time" : "datetime").format(date);
}

// Building an Intl formatter costs far more than using one; desks re-title on every change.
const formats = new Map();
function dateFormat(kind) {
  const key = `${current}:${kind}`;
  if (!formats.has(key)) {
    const options = kind === "time" ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" };
    formats.set(key, new Intl.DateTimeFormat(current === "ja" ? "ja-JP" : "en-GB", options));
  }
  return formats.get(key);
}

/** How long ago a timestamp was, e.g. "12 minutes ago" / "12 分前"; "" if missing. */
export function formatAgo(iso, now = Date.now()) {
  const ms = iso ? new Date(iso).getTime() : NaN;
  if (Number.isNaN(ms)) return "";
  const seconds = Math.round((ms - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}
