// The staff member's own corner of the floor page: sign in (demo picker or
// account), my seat today, "find me a seat" with the reasons, and the claim
// button in a desk's details.

import { ApiError, getJSON } from "./api.js";
import { formatTime, localName, t, termLabel } from "./i18n.js";
import { departmentName, deskLabel, floorName, zoneName } from "./labels.js";
import { findPeople, loadSession, send, session, signIn, signOut } from "./session.js";
import { cityAccount, tokensLink } from "./sign_in.js";
import { SuggestionWatch } from "./suggestion_watch.js";

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function idempotencyKey() {
  return crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** The "me" panel plus the claim button in the desk details. */
export class SeatPanel {
  #root;
  #actions;
  #host;
  #seat = null;
  #claims = { open: true, until: null }; // today's holds end at `until`; none after it
  #suggestions = [];
  #rule = null;
  #watch = null;
  #message = null;
  #available = true;
  #started = false;
  #peopleQuery = "";
  #people = [];
  #peopleAsked = false;

  /**
   * @param {HTMLElement} root the #me-panel section
   * @param {HTMLElement} actions the #desk-actions container of the details panel
   * @param {object} host floorId(), desk(id) → FloorState desk, showDesk(id, floorId),
   *   mark({suggested, mine}) to draw marks on the map, signedIn() after signing in
   */
  constructor(root, actions, host) {
    this.#root = root;
    this.#actions = actions;
    this.#host = host;
  }

  /** The desk this person holds today, or null. */
  get myDesk() {
    return this.#seat?.desk ?? null;
  }

  /** My seat today ({desk, floor, zone, state, ...}), or null. */
  get seat() {
    return this.#seat;
  }

  async start() {
    try {
      await loadSession();
    } catch (err) {
      // No sign-in on this server (or it failed): the map still works read-only.
      this.#available = !(err instanceof ApiError && err.status === 404);
      this.#message = this.#available ? { kind: "error", text: err.message } : null;
    }
    await this.#refreshSeat();
    this.#started = true;
    this.render();
  }

  /** Fetch my seat again (my desk changed live, e.g. released as a no-show) and re-render. */
  async refresh() {
    await this.#refreshSeat();
    this.render();
  }

  /** Re-render after a language switch or a live change of a shown desk. */
  render() {
    const s = session();
    this.#root.hidden = !this.#available || !this.#started;
    if (this.#root.hidden) return;
    this.#root.dataset.signedIn = String(Boolean(s?.signed_in));
    const body = s?.signed_in ? this.#signedIn(s) : this.#signedOut(s);
    const message = this.#message
      ? h("p", { class: `seat-message seat-message-${this.#message.kind}`, role: this.#message.kind === "error" ? "alert" : "status", id: "seat-message" }, this.#message.text)
      : null;
    const parts = [h("h2", { id: "me-title" }, t(s?.signed_in ? "me.title" : "me.signInTitle")), ...body, message];
    this.#root.replaceChildren(...parts.filter(Boolean));
    this.#mark();
    this.renderActions();
  }

  /** The claim / check-in / release buttons for the desk shown in the details panel. */
  renderActions() {
    const deskId = this.#actions.dataset.deskId;
    const desk = deskId ? this.#host.desk(deskId) : null;
    this.#actions.replaceChildren();
    if (!desk || !this.#available || !this.#started) return;
    if (!session()?.signed_in) {
      this.#actions.append(h("p", { class: "action-hint" }, t("me.signInToClaim")));
      return;
    }
    if (this.#seat?.desk === desk.id) {
      this.#actions.append(...this.#seatButtons("details-"));
      return;
    }
    if (this.#seat) {
      this.#actions.append(h("p", { class: "action-hint" }, t("me.alreadyHolding", { desk: deskLabel(this.#seat.desk) })));
      return;
    }
    if (desk.state !== "free") {
      this.#actions.append(h("p", { class: "action-hint" }, t("me.notFree")));
      return;
    }
    if (!this.#claims.open) {
      this.#actions.append(h("p", { class: "action-hint", id: "day-over-hint" }, t("me.dayOverShort")));
      return;
    }
    this.#actions.append(h("button", { type: "button", class: "action-button primary", id: "claim-desk", onclick: () => this.claim(desk.id) }, t("me.claim")));
  }

  async claim(deskId) {
    await this.#act(async () => {
      await send("POST", "/api/seats", { desk: deskId }, { idempotencyKey: idempotencyKey() });
      this.#setSuggestions([]);
      this.#message = { kind: "ok", text: t("me.claimed", { desk: deskLabel(deskId) }) };
    });
  }

  async findSeat() {
    await this.#act(async () => {
      // The whole building: the team's zone first wherever it is, then near the team.
      const body = await send("POST", "/api/seats/suggest", { limit: 3 });
      this.#setSuggestions(body.suggestions ?? []);
      this.#rule = body.streak_desk ? { max: body.max_same_desk_days, desk: body.streak_desk, days: body.streak_days } : null;
      this.#message = this.#suggestions.length ? null : { kind: "info", text: t("me.noSuggestion") };
      if (this.#suggestions.length) this.#host.showDesk(this.#suggestions[0].desk, this.#suggestions[0].floor);
    });
  }

  /** Show these suggestions and drop each one the moment its desk is no longer free. */
  #setSuggestions(list) {
    this.#watch?.stop();
    this.#watch = null;
    this.#suggestions = list;
    if (!list.length) return;
    this.#watch = new SuggestionWatch(
      list.map((sg) => [sg.desk, sg.floor]),
      (desk) => {
        this.#suggestions = this.#suggestions.filter((sg) => sg.desk !== desk);
        if (!this.#suggestions.length) this.#message = { kind: "info", text: t("me.suggestionsTaken") };
        this.render();
      },
    );
  }

  async #checkIn() {
    await this.#act(async () => {
      const seat = await send("POST", "/api/me/seat/check-in", { desk: this.#seat.desk, how: "app" });
      // A check-in counts as arrival only when the desk's sensor (or shared Wi-Fi) confirms it;
      // until then the desk stays held and the sensor checks the person in when it sees them.
      this.#message = seat?.waiting_for
        ? { kind: "ok", text: t("checkin.waitingForSensor", { time: seat.check_in_by ? formatTime(seat.check_in_by) : "–" }) }
        : { kind: "ok", text: t("me.checkedIn", { desk: deskLabel(this.#seat.desk) }) };
    });
  }

  async #release() {
    const desk = this.#seat?.desk;
    await this.#act(async () => {
      await send("DELETE", "/api/me/seat");
      this.#message = { kind: "ok", text: t("me.released", { desk: deskLabel(desk) }) };
    });
  }

  async #act(fn) {
    this.#root.setAttribute("aria-busy", "true");
    try {
      await fn();
    } catch (err) {
      this.#message = { kind: "error", text: err.message };
    }
    await this.#refreshSeat();
    this.#root.removeAttribute("aria-busy");
    this.render();
  }

  async #refreshSeat() {
    if (!session()?.signed_in) {
      this.#seat = null;
      return;
    }
    try {
      const mine = await getJSON("/api/me/seat");
      this.#seat = mine.seat ?? null;
      this.#claims = { open: mine.claims_open !== false, until: mine.holds_until ?? null };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) this.#seat = null;
      else this.#message = { kind: "error", text: err.message };
    }
  }

  #mark() {
    const floor = this.#host.floorId();
    this.#host.mark({
      suggested: this.#suggestions.filter((s) => s.floor === floor).map((s) => s.desk),
      mine: this.#seat?.floor === floor || !this.#seat?.floor ? this.#seat?.desk ?? null : null,
    });
  }

  // ---- signed out: the demo picker or an account form

  #signedOut(s) {
    if (s?.demo_mode) {
      const input = h("input", {
        type: "search",
        id: "person-search",
        autocomplete: "off",
        placeholder: t("me.searchPlaceholder"),
        value: this.#peopleQuery,
        "aria-label": t("me.searchPlaceholder"),
      });
      input.addEventListener("input", () => this.#searchPeople(input.value));
      if (!this.#peopleAsked) this.#searchPeople("");
      return [h("p", { class: "action-hint" }, t("me.demoHint")), input, this.#peopleList()];
    }
    const id = h("input", { type: "text", id: "staff-id", autocomplete: "username", required: true });
    const pw = h("input", { type: "password", id: "staff-password", autocomplete: "current-password", required: true });
    const form = h(
      "form",
      { class: "sign-in-form" },
      h("label", {}, t("me.staffId"), id),
      h("label", {}, t("me.password"), pw),
      h("button", { type: "submit", class: "action-button primary" }, t("me.signIn")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#signInAs(id.value.trim(), pw.value);
    });
    return [...cityAccount(), form];
  }

  #peopleList() {
    return h(
      "ul",
      { class: "people-list", id: "people-list" },
      ...this.#people.map((p) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "person-button", dataset: { staffId: p.staff_id }, onclick: () => this.#signInAs(p.staff_id) },
            localName(p),
            h("span", { class: "person-dept" }, p.department ? departmentName(p.department) : ""),
          ),
        ),
      ),
    );
  }

  async #searchPeople(query) {
    this.#peopleAsked = true;
    this.#peopleQuery = query;
    try {
      const people = await findPeople(query);
      if (query !== this.#peopleQuery) return;
      this.#people = people;
    } catch (err) {
      this.#message = { kind: "error", text: err.message };
    }
    this.#root.querySelector("#people-list")?.replaceWith(this.#peopleList());
  }

  async #signInAs(staffId, password) {
    await this.#act(async () => {
      await signIn(staffId, password);
      this.#message = null;
    });
    if (session()?.signed_in) this.#host.signedIn?.();
  }

  // ---- signed in: who, my seat, find me a seat

  #signedIn(s) {
    const p = s.person;
    const who = h(
      "p",
      { class: "me-who", id: "me-who" },
      localName(p),
      h("button", { type: "button", class: "link-button", id: "sign-out", onclick: () => this.#act(async () => {
        await signOut();
        this.#setSuggestions([]);
      }) }, t("me.signOut")),
      tokensLink(),
    );
    const seat = this.#seat;
    const seatBox = h("div", { class: "my-seat", id: "my-seat", dataset: { desk: seat?.desk ?? "", state: seat?.state ?? "none" } });
    if (seat) {
      seatBox.append(
        h("p", { class: "my-seat-title" }, t("me.mySeat"), " ", h("strong", {}, deskLabel(seat.desk))),
        h("p", { class: "my-seat-state" }, t(seat.state === "checked_in" ? "me.checkedInState" : "me.heldState", {
          by: seat.check_in_by ? formatTime(seat.check_in_by) : "–",
          until: formatTime(seat.releases_at),
        })),
        h("div", { class: "desk-actions" }, h("button", { type: "button", class: "action-button", id: "show-my-seat", onclick: () => this.#host.showDesk(seat.desk, seat.floor) }, t("me.showOnMap")), ...this.#seatButtons()),
      );
    } else if (!this.#claims.open) {
      // After the end of the day a claim is refused: say so up front, not after a click.
      seatBox.append(h("p", { class: "my-seat-title", id: "day-over" }, t("me.dayOver", { until: formatTime(this.#claims.until) })));
    } else {
      seatBox.append(h("p", { class: "my-seat-title" }, t("me.noSeat")));
    }
    const find = h("button", { type: "button", class: "action-button primary", id: "find-seat", onclick: () => this.findSeat() }, t("me.findSeat"));
    const list = this.#suggestions.length
      ? h(
          "ol",
          { class: "suggestions", id: "suggestions" },
          ...this.#suggestions.map((sg) =>
            h(
              "li",
              { dataset: { desk: sg.desk } },
              h("button", { type: "button", class: "link-button", onclick: () => this.#host.showDesk(sg.desk, sg.floor) }, deskLabel(sg.desk)),
              h("ul", { class: "reasons" }, ...sg.reasons.map((r) => h("li", { dataset: { reason: r.code } }, reasonWords(r)))),
            ),
          ),
        )
      : null;
    const rule = this.#suggestions.length && this.#rule
      ? h("p", { class: "action-hint" }, t("me.rule", { ...this.#rule, desk: deskLabel(this.#rule.desk) }))
      : null;
    return [who, seatBox, seat || !this.#claims.open ? null : find, list, rule];
  }

  /** Check in and release; `prefix` keeps ids unique when the details show them too. */
  #seatButtons(prefix = "") {
    const seat = this.#seat;
    const out = [];
    if (seat.state !== "checked_in") out.push(h("button", { type: "button", class: "action-button primary", id: `${prefix}check-in`, dataset: { act: "check-in" }, onclick: () => this.#checkIn() }, t("me.checkIn")));
    out.push(h("button", { type: "button", class: "action-button", id: `${prefix}release-seat`, dataset: { act: "release" }, onclick: () => this.#release() }, t("me.release")));
    return out;
  }

}

/** A suggestion's reason in the page's language, zones and floors by their names. */
function reasonWords(reason) {
  const facts = reason.facts ?? {};
  const key = `reason.${reason.code}`;
  if (t(key) === key) return reason.text;
  return t(key, {
    ...facts,
    zone: zoneName(facts.zone),
    floor: floorName(facts.floor),
    equipment: (facts.equipment ?? []).map((e) => termLabel("equipment", e)),
  });
}
