// A compact sign-in box for pages other than the floor map: the demo person
// picker in demo mode, otherwise staff ID and password; "signed in as" after.

import { lang, t } from "./i18n.js";
import { findPeople, session, signIn, signOut, singleSignOnUrl } from "./session.js";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** Render into `box`; onChange() runs after signing in or out. */
export async function renderSignIn(box, onChange, error = "") {
  const s = session();
  const fail = (err) => renderSignIn(box, onChange, err.message);
  if (s?.signed_in) {
    const p = s.person;
    box.replaceChildren(
      el("p", { class: "me-who", id: "me-who" }, (lang() === "ja" && p.name_ja) || p.name,
        el("button", { type: "button", class: "link-button", id: "sign-out", onclick: () => signOut().then(onChange, fail) }, t("me.signOut")),
        tokensLink()),
    );
    return;
  }
  const title = el("h2", {}, t("host.signInTitle"));
  const message = error ? el("p", { class: "seat-message seat-message-error", role: "alert" }, error) : null;
  if (s?.demo_mode) {
    const list = el("ul", { class: "people-list", id: "people-list" });
    const search = el("input", { type: "search", id: "person-search", autocomplete: "off", placeholder: t("me.searchPlaceholder"), "aria-label": t("me.searchPlaceholder") });
    const fill = async () => {
      const query = search.value;
      const people = await findPeople(query).catch(() => []);
      if (query !== search.value) return;
      list.replaceChildren(
        ...people.map((p) =>
          el("li", {}, el("button", { type: "button", class: "person-button", dataset: { staffId: p.staff_id }, onclick: () => signIn(p.staff_id).then(onChange, fail) },
            (lang() === "ja" && p.name_ja) || p.name, el("span", { class: "person-dept" }, p.department ?? ""))),
        ),
      );
    };
    search.addEventListener("input", fill);
    box.replaceChildren(...[title, el("p", { class: "action-hint" }, t("me.demoHint")), search, list, message].filter(Boolean));
    await fill();
    return;
  }
  const id = el("input", { type: "text", id: "staff-id", autocomplete: "username", required: "" });
  const pw = el("input", { type: "password", id: "staff-password", autocomplete: "current-password", required: "" });
  const form = el("form", { class: "sign-in-form" },
    el("label", {}, t("me.staffId"), id), el("label", {}, t("me.password"), pw),
    el("button", { type: "submit", class: "action-button primary" }, t("me.signIn")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    signIn(id.value.trim(), pw.value).then(onChange, fail);
  });
  box.replaceChildren(...[title, ...cityAccount(), form, message].filter(Boolean));
}

/** "Sign in with your city account" and "or with a staff ID", when the server offers SSO. */
export function cityAccount() {
  const url = singleSignOnUrl();
  if (!url) return [];
  return [
    el("a", { class: "action-button primary", id: "sso-sign-in", href: url }, t("sso.signIn")),
    el("p", { class: "action-hint" }, t("sso.or")),
  ];
}

/** The link to the page that issues personal tokens for the laptop commands. */
export function tokensLink() {
  return el("a", { class: "link-button", id: "tokens-link", href: "/tokens" }, t("tokens.link"));
}
