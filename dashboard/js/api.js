// Fetch helpers for the freeseat HTTP API. Every call rejects with an ApiError
// that says what failed, so callers can show it and retry.

/** An HTTP call that failed: network error (status 0) or a non-2xx response. */
export class ApiError extends Error {
  constructor(message, status, path) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.path = path;
  }
}

/** GET path and parse its JSON body. */
export async function getJSON(path, { signal } = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, signal, credentials: "same-origin" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(`network error: ${err.message}`, 0, path);
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      if (body && typeof body.detail === "string") detail = body.detail;
    } catch {
      // Not JSON; keep the status text.
    }
    throw new ApiError(`HTTP ${response.status} ${detail}`.trim(), response.status, path);
  }
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
