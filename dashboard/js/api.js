// Fetch helpers for the freeseat HTTP API. Every call rejects with an ApiError
// that says what failed, so callers can show it and retry.

import { errorText, t } from "./i18n.js";

/**
 * An HTTP call that failed: network error (status 0) or a non-2xx response. `code` and
 * `facts` are the API's refusal (null and {} otherwise); `message` is what to show a person.
 */
export class ApiError extends Error {
  constructor(message, status, path, code = null, facts = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.path = path;
    this.code = code;
    this.facts = facts;
  }
}

/**
 * The ApiError for a failed response: the catalogue's words for its refusal code in the page's
 * language, else the server's own words, else the status text.
 */
export async function errorOf(response, path) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON; keep the status text.
  }
  // Without a refusal code the server's words are not the reader's: say what to do instead.
  let detail = t(response.status >= 500 ? "errors.server" : "errors.request_failed");
  if (Array.isArray(body?.detail)) detail = t("errors.request_invalid");
  const { code = null, detail: _words, labels = {}, ...facts } = body && typeof body === "object" && !Array.isArray(body) ? body : {};
  // Words name desks and rooms by their labels ("3F A-04-04"); the facts keep the ids.
  const error = new ApiError(errorText(code, { ...facts, ...labels }, detail), response.status, path, code, facts);
  error.labels = labels;
  return error;
}

/** GET path and parse its JSON body. */
export async function getJSON(path, { signal } = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, signal, credentials: "same-origin" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(t("errors.network", { detail: err.message }), 0, path);
  }
  if (!response.ok) throw await errorOf(response, path);
  return response.json();
}

/** Every floor with its desk count and per-state counts (missing state keys mean 0). */
export function fetchFloors(options) {
  return getJSON("/api/floors", options);
}

/** One floor's plan (zones, desks with current state, rooms, APs) and its live-feed version. */
export function fetchFloor(floorId, options) {
  return getJSON(`/api/floors/${encodeURIComponent(floorId)}`, options);
}

/** The websocket URL of a floor's live feed, on the same host as the page. */
export function liveFeedUrl(floorId, loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${loc.host}/ws/live?floor=${encodeURIComponent(floorId)}`;
}
