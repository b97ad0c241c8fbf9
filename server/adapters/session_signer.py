"""Signed session cookies and the CSRF tokens bound to them (HMAC-SHA256, no server state)."""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Session:
    """Who signed in, when, and the nonce their CSRF token is derived from."""

    staff_id: str
    issued_at: float
    nonce: str
    provider: str


class SessionSigner:
    """Signs and checks session cookies; a changed secret signs everyone out."""

    def __init__(self, secret: bytes, max_age_s: float) -> None:
        self._secret = secret
        self._max_age_s = max_age_s

    def issue(self, staff_id: str, provider: str, now: datetime) -> tuple[str, Session]:
        session = Session(staff_id, now.timestamp(), secrets.token_urlsafe(16), provider)
        body = json.dumps(
            {"p": staff_id, "t": session.issued_at, "n": session.nonce, "v": provider},
            separators=(",", ":"),
        ).encode()
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}", session

    def read(self, cookie: str | None, now: datetime) -> Session | None:
        """The session of a valid, unexpired cookie; None for anything else."""
        if not cookie or "." not in cookie:
            return None
        payload, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            session = Session(str(data["p"]), float(data["t"]), str(data["n"]), str(data["v"]))
        except (ValueError, KeyError, TypeError):
            return None
        age = now.timestamp() - session.issued_at
        if age < -300 or age > self._max_age_s:  # a little clock skew between replicas is fine
            return None
        return session

    def device_mark(self, staff_id: str) -> str:
        """A long-lived mark for a browser where `staff_id` signed in: the sign-in throttle
        keeps that browser apart from strangers guessing the same id."""
        payload = f"{secrets.token_urlsafe(12)}:{staff_id}"
        return f"{payload}.{self._sign('device:' + payload)}"

    def device_of(self, mark: str | None, staff_id: str) -> str:
        """The device id in a valid mark for `staff_id`; empty for anything else."""
        if not mark or "." not in mark:
            return ""
        payload, _, signature = mark.rpartition(".")
        device, _, owner = payload.partition(":")
        if owner != staff_id or not hmac.compare_digest(
            signature.encode(), self._sign("device:" + payload).encode()
        ):
            return ""
        return device

    def csrf_token(self, nonce: str) -> str:
        """The token a signed-in browser must echo in X-CSRF-Token on unsafe requests."""
        return self._sign("csrf:" + nonce)[:32]

    def _sign(self, text: str) -> str:
        digest = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
