// The desk details panel: what a person needs to decide on a desk (where it is,
// what it has, its state and why). Actions such as claiming go in #desk-actions.

import { glyphId } from "./desk_states.js";
import { formatAgo, formatTime, lang, t, termLabel } from "./i18n.js";
import { floorName } from "./labels.js";

/** The details panel for one desk at a time, bound to the #desk-details markup. */
export class DeskDetails {
  #panel;
  #desk = null;
  #zone = null;
  #floorId = null;
  #fields;
  #onClose;

  constructor(panel, { onClose } = {}) {
    this.#panel = panel;
    this.#onClose = onClose;
    this.#fields = Object.fromEntries([...panel.querySelectorAll("[data-field]")].map((el) => [el.dataset.field, el]));
    /** Where desk actions (claim, check in, release) are rendered; empty for now. */
    this.actions = panel.querySelector("#desk-actions");
    panel.querySelector("#desk-details-close").addEventListener("click", () => this.close());
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
  }

  /** The id of the desk shown, or null. */
  get deskId() {
    return this.#desk?.id ?? null;
  }

  /** Show a desk (the FloorState desk object), its zone and its floor's id. */
  show(desk, zone, floorId) {
    this.#desk = desk;
    this.#floorId = floorId;
    this.#zone = zone ?? null;
    this.#panel.dataset.deskId = desk.id;
    this.actions.dataset.deskId = desk.id;
    this.#panel.hidden = false;
    this.#fill();
  }

  /** Refresh the panel if it shows this desk (after a live change). */
  refresh(deskId) {
    if (this.#desk && this.#desk.id === deskId) this.#fill();
  }

  /** Re-apply labels in the current language. */
  relabel() {
    if (this.#desk) this.#fill();
  }

  /** Hide the panel (and tell the owner, which clears the map selection). */
  close() {
    if (!this.#desk) return;
    this.hide();
    this.#onClose?.();
  }

  /** Hide without notifying, e.g. when the floor changes. */
  hide() {
    this.#desk = null;
    this.#panel.hidden = true;
    delete this.#panel.dataset.deskId;
    delete this.actions.dataset.deskId;
  }

  #fill() {
    const desk = this.#desk;
    const zone = this.#zone;
    const f = this.#fields;
    const none = t("details.none");
    f.title.textContent = t("details.title", { id: desk.label ?? desk.id });
    f.floor.textContent = floorName(this.#floorId) || none;
    f.zone.textContent = (lang() === "ja" && zone?.name_ja) || zone?.name || desk.zone || none;
    f.department.textContent =
      (lang() === "ja" && zone?.department_name_ja) || zone?.department_name || zone?.department || none;
    f.equipment.textContent = desk.equipment?.length
      ? desk.equipment.map((e) => termLabel("equipment", e)).join(lang() === "ja" ? "、" : ", ")
      : none;
    f.state.textContent = termLabel("state", desk.state);
    f.stateGlyph.setAttribute("href", `#${glyphId(desk.state)}`);
    const ago = formatAgo(desk.since);
    f.since.textContent = desk.since ? `${formatTime(desk.since)}${ago ? ` (${ago})` : ""}` : none;
    f.since.setAttribute("datetime", desk.since ?? "");
    f.reason.textContent = desk.reason ? termLabel("deskReason", desk.reason) : none;
  }
}
