// The personal-tokens page: issue a token for `freeseat connect` / `whereami` (shown once),
// see my tokens and revoke one.

import { getJSON } from "./api.js";
import { setupLanguageSwitch } from "./chrome.js";
import { formatTime, t } from "./i18n.js";
import { loadSession, send, session } from "./session.js";
import { renderSignIn } from "./sign_in.js";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

const day = (iso) => `${iso.slice(0, 10)} ${formatTime(iso)}`;

async function renderList() {
  const list = $("token-list");
  if (!session()?.signed_in) {
    list.replaceChildren(el("li", {}, t("tokens.signInFirst")));
    return;
  }
  const tokens = await getJSON("/api/tokens");
  if (!tokens.length) {
    list.replaceChildren(el("li", {}, t("tokens.none")));
    return;
  }
  list.replaceChildren(
    ...tokens.map((token) =>
      el("li", { class: "room-card", "data-token": String(token.id) },
        el("strong", {}, token.label || `#${token.id}`), " ",
        el("span", {}, t("tokens.expires", { when: day(token.expires_at) })), " · ",
        el("span", {}, token.last_used_at ? t("tokens.lastUsed", { when: day(token.last_used_at) }) : t("tokens.neverUsed")), " ",
        el("button", { type: "button", class: "action-button", onclick: () => revoke(token.id) }, t("tokens.revoke")),
      ),
    ),
  );
}

async function revoke(id) {
  try {
    await send("DELETE", `/api/tokens/${id}`);
    await renderList();
  } catch (err) {
    notice(err.message);
  }
}

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const issued = await send("POST", "/api/tokens", { label: $("token-label").value });
    $("token-new").replaceChildren(
      el("p", {}, t("tokens.shownOnce")),
      el("pre", { id: "token-secret" }, `export FREESEAT_TOKEN=${issued.token}`),
    );
    notice("");
    await renderList();
  } catch (err) {
    notice(err.message);
  }
});

async function renderMe() {
  await renderSignIn($("tokens-me"), async () => {
    await loadSession();
    await renderMe();
  });
  $("token-form").hidden = !session()?.signed_in;
  await renderList().catch((err) => notice(err.message));
}

setupLanguageSwitch(() => renderMe());
await loadSession();
await renderMe();
