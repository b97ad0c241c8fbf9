"""Signing in from tests, the way a browser does: fetch the CSRF token, post, keep the cookies."""

import httpx

from server.api.auth import CSRF_HEADER


def sign_in(client: httpx.Client, staff_id: str, password: str | None = None) -> dict[str, object]:
    """Sign `client` in and make it send the session's CSRF token on every later request."""
    token = client.get("/api/session").json()["csrf_token"]
    body: dict[str, str] = {"staff_id": staff_id}
    if password is not None:
        body["password"] = password
    response = client.post("/api/session", json=body, headers={CSRF_HEADER: token})
    assert response.status_code == 200, response.text
    session: dict[str, object] = response.json()
    client.headers[CSRF_HEADER] = str(session["csrf_token"])
    return session
