// What every page shares around its content: the language switch, the page
// navigation and the live indicator's text.

import { applyTranslations, lang, onLanguageChange, setLanguage, t } from "./i18n.js";

/** Wire the #lang-switch buttons; onChange runs after every switch. */
export function setupLanguageSwitch(onChange) {
  const group = document.querySelector("#lang-switch");
  const render = () => {
    for (const button of group.querySelectorAll("[data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang()));
    }
  };
  group.addEventListener("click", (event) => {
    const button = event.target.closest("[data-lang]");
    if (button) setLanguage(button.dataset.lang);
  });
  applyTranslations();
  render();
  onLanguageChange(() => {
    render();
    onChange?.();
  });
}

/** Show a LiveFeed status on #live-status (data-live="true" only while in sync). */
export function renderLiveStatus(el, status, feed) {
  el.dataset.live = status === "live" ? "true" : "false";
  el.dataset.status = status;
  const key = { live: "live.live", connecting: "live.connecting", offline: "live.offline" }[status] ?? "live.reconnecting";
  const text = el.querySelector(".live-text");
  text.dataset.i18n = key;
  text.textContent = t(key);
  if (feed) el.dataset.resyncs = String(feed.resyncCount);
}
