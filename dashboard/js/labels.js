// What people read instead of ids: desk labels ("3F A-04-04") and the names of floors, zones,
// rooms and departments in the page's language, from GET /api/labels (loaded once, before any
// page module runs, like the i18n catalogue). Ids stay in URLs, data attributes and the API.

import { lang, t } from "./i18n.js";

const EMPTY = { desks: {}, floors: {}, zones: {}, rooms: {}, departments: {}, devices: {} };
const LABELS = await loadLabels();

async function loadLabels() {
  try {
    const response = await fetch("/api/labels", { credentials: "same-origin" });
    if (response.ok) return { ...EMPTY, ...(await response.json()) };
  } catch {
    // Offline: pages show ids until the next load.
  }
  return EMPTY;
}

function named(table, id) {
  const entry = LABELS[table][id];
  if (!entry) return id ?? "";
  return (lang() === "ja" && entry.name_ja) || entry.name || id;
}

/** A booking's or session's host in the page's language (the directory's `name_ja` in Japanese). */
export function hostName(record) {
  return (lang() === "ja" && record.host_name_ja) || record.host_name || "";
}

/** A desk as people read it, e.g. "3F A-04-04"; the id when the site does not know it. */
export function deskLabel(id) {
  return LABELS.desks[id] ?? id ?? "";
}

export const floorName = (id) => named("floors", id);
export const zoneName = (id) => named("zones", id);
export const roomName = (id) => named("rooms", id);
export const departmentName = (id) => named("departments", id);

/** The zones of a department, in site-file order, each as {id, floor}. */
export function teamZones(department) {
  if (!department) return [];
  return Object.entries(LABELS.zones)
    .filter(([, z]) => z.department === department)
    .map(([id, z]) => ({ id, floor: z.floor }));
}

/** A device as people read it: what it serves ("Desk sensors, 3F Elderly Care 1"); else its id. */
export function deviceLabel(id) {
  const d = LABELS.devices[id];
  if (!d) return id;
  if (d.kind === "room" && d.room) return t("device.roomLabel", { room: roomName(d.room) });
  if (d.kind === "ap") return t("device.apLabel", { floor: floorName(d.floor), id });
  return t("device.deskLabel", { floor: floorName(d.floor), zone: zoneName(d.zone) });
}
