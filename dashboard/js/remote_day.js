// "Working remotely today": a signed-in person marks the day (or takes the mark back). Office
// demand and the facilities figures count the marks; marking is refused while the person holds
// a desk today, with what to do.

import { ApiError, getJSON } from "./api.js";
import { onLanguageChange, t } from "./i18n.js";
import { send, session } from "./session.js";

/**
 * Render into `root` (a hidden <section>) whenever `mePanel` says someone signed in or out
 * (its data-signed-in attribute, set by the seat panel).
 */
export function setupRemoteDay(root, mePanel) {
  let state = null;
  let message = null;

  async function refresh() {
    message = null;
    if (!session()?.signed_in) {
      state = null;
      return render();
    }
    try {
      state = await getJSON("/api/me/remote");
    } catch (err) {
      state = null;
      if (!(err instanceof ApiError && err.status === 404)) message = err.message;
    }
    render();
  }

  async function toggle() {
    try {
      state = await send(state.remote ? "DELETE" : "PUT", "/api/me/remote");
      message = t(state.remote ? "remote.marked" : "remote.unmarked");
    } catch (err) {
      message = err.message;
    }
    render();
  }

  function render() {
    root.hidden = state === null && message === null;
    if (root.hidden) return;
    const title = document.createElement("h2");
    title.textContent = t("remote.title");
    const parts = [title];
    if (state !== null) {
      const button = document.createElement("button");
      button.type = "button";
      button.id = "remote-toggle";
      button.className = `action-button${state.remote ? " primary" : ""}`;
      button.setAttribute("aria-pressed", String(state.remote));
      button.textContent = t(state.remote ? "remote.undo" : "remote.mark");
      button.addEventListener("click", toggle);
      const hint = document.createElement("p");
      hint.className = "action-hint";
      hint.textContent = t(state.remote ? "remote.isRemote" : "remote.hint");
      parts.push(hint, button);
    }
    if (message) {
      const note = document.createElement("p");
      note.className = "seat-message";
      note.setAttribute("role", "status");
      note.id = "remote-message";
      note.textContent = message;
      parts.push(note);
    }
    root.replaceChildren(...parts);
  }

  new MutationObserver(refresh).observe(mePanel, { attributes: true, attributeFilter: ["data-signed-in"] });
  onLanguageChange(render);
  refresh();
}
