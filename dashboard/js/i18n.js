// Japanese and English strings, the current language, and how the page follows it.
// Static text is marked up with data-i18n="key" (text), data-i18n-aria-label="key",
// data-i18n-title="key" and data-i18n-placeholder="key"; dynamic text calls t().

const STORAGE_KEY = "freeseat.lang";
export const LANGUAGES = Object.freeze(["en", "ja"]);

// The catalogue: dashboard/i18n/<lang>.json, the same files the server's error words come
// from. Loaded before any page module runs (top-level await), so t() is synchronous.
const STRINGS = Object.fromEntries(await Promise.all(LANGUAGES.map(async (code) => [code, await loadCatalogue(code)])));

async function loadCatalogue(code) {
  try {
    const response = await fetch(new URL(`../i18n/${code}.json`, import.meta.url));
    if (response.ok) return await response.json();
  } catch {
    // Offline or blocked: the page still works, showing keys where words would be.
  }
  return {};
}

let current = initialLanguage();
rememberForServer(current);
const listeners = new Set();

// The server words its error answers in the language this cookie names (server/api/refusals.py).
function rememberForServer(code) {
  document.cookie = `lang=${code}; path=/; max-age=31536000; samesite=lax`;
}

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
  return translate(current, key, params);
}

/** The string for key in `language` (for screens that show both languages at once). */
export function translate(language, key, params = {}) {
  const template = STRINGS[language]?.[key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)(?::(\w+))?\}/g, (m, name, style) =>
    name in params ? fact(params[name], style) : m,
  );
}

/** Whether the catalogue has words for key. */
export function has(key) {
  return key in STRINGS[current] || key in STRINGS.en;
}

/**
 * The words for a refusal the API answered with (`{code, detail, ...facts}`), in the current
 * language; `fallback` (the server's own words) when the catalogue has none for the code.
 */
export function errorText(code, facts = {}, fallback = "") {
  return code && has(`errors.${code}`) ? t(`errors.${code}`, facts) : fallback;
}

// A fact in a sentence: times as the reader's clock shows them, lists joined.
function fact(value, style) {
  if (Array.isArray(value)) return value.join(current === "ja" ? "、" : ", ");
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return dateFormat(style === "time" ? "time" : "datetime").format(date);
  }
  return String(value);
}

/** The label of a term such as a state or equipment ("state", "free"); the raw value if none. */
export function termLabel(group, value) {
  const key = `${group}.${value}`;
  return has(key) ? t(key) : String(value);
}

/** The Japanese name when the page is in Japanese and one exists, else the default name. */
export function localName(item) {
  return (current === "ja" && item.name_ja) || item.name || item.id || "";
}

/** Switch language, remember it, relabel marked-up text and tell listeners. */
export function setLanguage(code) {
  if (!LANGUAGES.includes(code) || code === current) return;
  current = code;
  rememberForServer(code);
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
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
    el.setAttribute("aria-label", el.placeholder);
  }
}

/** Both languages at once, "English / 日本語", for shared screens that everyone reads. */
export function both(key, params = {}) {
  return LANGUAGES.map((code) => translate(code, key, params)).join(" / ");
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
