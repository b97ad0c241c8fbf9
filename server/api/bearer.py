"""Personal tokens on requests: `Authorization: Bearer fst_...` from `freeseat connect`."""

from datetime import datetime

from fastapi import Request

from server.composition.accounts import Accounts
from server.domain.people import Person


def personal_token(request: Request) -> str | None:
    """The bearer token of the request, or None when it carries none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_person(accounts: Accounts, token: str, now: datetime) -> Person | None:
    """The token's person: None when the token is unknown, revoked, expired, or theirs is
    disabled (so a leaver's laptop is signed out with them)."""
    if accounts.tokens is None:
        return None
    staff_id = accounts.tokens.staff_id(token, now)
    return None if staff_id is None else accounts.directory.person(staff_id)
