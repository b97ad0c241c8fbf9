// Who is signed in, and unsafe requests that carry the CSRF token the server asks for.

import { ApiError, errorOf, getJSON } from "./api.js";
import { t } from "./i18n.js";

let current = null;

/** GET /api/session: {signed_in, person, csrf_token, demo_mode, providers}; cached. */
export async function loadSession() {
  const [found, sso] = await Promise.all([getJSON("/api/session"), getJSON("/api/oidc").catch(() => null)]);
  current = found;
  ssoLogin = sso?.enabled ? sso.login_url : null;
  return current;
}

let ssoLogin = null;

/** The city's sign-in (OpenID Connect) for this page, or null when the server offers none. */
export function singleSignOnUrl() {
  if (!ssoLogin) return null;
  return `${ssoLogin}?${new URLSearchParams({ next: location.pathname + location.search })}`;
}

export function session() {
  return current;
}

/** POST/PUT/DELETE with JSON and the X-CSRF-Token header; resolves to the JSON body or null. */
export async function send(method, path, body, { idempotencyKey } = {}) {
  if (!current) await loadSession();
  const headers = { Accept: "application/json", "X-CSRF-Token": current.csrf_token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (err) {
    throw new ApiError(t("errors.network", { detail: err.message }), 0, path);
  }
  if (!response.ok) throw await errorOf(response, path);
  return response.status === 204 ? null : response.json();
}

/** Sign in (demo mode: no password) and refresh the cached session. */
export async function signIn(staffId, password) {
  current = await send("POST", "/api/session", password ? { staff_id: staffId, password } : { staff_id: staffId });
  return current;
}

export async function signOut() {
  await send("DELETE", "/api/session");
  return loadSession();
}

/** People for the demo picker (or the directory, for facilities). */
export function findPeople(query) {
  return getJSON(`/api/people?${new URLSearchParams({ query, limit: "8" })}`);
}
