"""Personal tokens for the laptop commands: issue one on the web page, list, revoke.

- `POST /api/tokens` `{"label": "my laptop"}` -> 201 `{id, label, token, expires_at}`: the
  token is shown this once; put it in FREESEAT_TOKEN for `freeseat connect` / `whereami`.
  Only a browser session may issue one (a token cannot mint more tokens).
- `GET /api/tokens/me` -> the person a token signs in (what the laptop commands check first).
- `GET /api/tokens` -> my live tokens (without the secret); `DELETE /api/tokens/{id}` revokes.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from server.api.auth import PersonOut, current_person
from server.api.bearer import personal_token
from server.api.deps import runtime
from server.api.inputs import RowId
from server.composition.runtime import Runtime
from server.domain.people import Person
from server.domain.refusals import Refusal, RefusalCode
from server.services.personal_tokens import (
    MAX_LABEL,
    MAX_TOKENS,
    PersonalToken,
    PersonalTokens,
    TooManyTokens,
)

router = APIRouter(prefix="/api/tokens", tags=["sign-in"])
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[Person, Depends(current_person)]


class TokenIn(BaseModel):
    label: str = Field(default="", max_length=MAX_LABEL)


class TokenOut(BaseModel):
    id: int
    label: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: PersonalToken) -> "TokenOut":
        return cls(
            id=token.id,
            label=token.label,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )


class IssuedToken(TokenOut):
    token: str = Field(description="Shown once: FREESEAT_TOKEN for freeseat connect / whereami")


def _tokens(rt: Runtime) -> PersonalTokens:
    assert rt.accounts.tokens is not None, "open_accounts sets up personal tokens"
    return rt.accounts.tokens


@router.post("", status_code=201)
def issue(body: TokenIn, request: Request, rt: Rt, person: Me) -> IssuedToken:
    """Issue a personal token for this person's laptop commands."""
    if personal_token(request) is not None:
        raise Refusal(RefusalCode.TOKEN_NEEDS_BROWSER)
    try:
        secret, token = _tokens(rt).issue(person.staff_id, body.label, rt.clock.now())
    except TooManyTokens:
        raise Refusal(RefusalCode.TOO_MANY_TOKENS, max_tokens=MAX_TOKENS) from None
    return IssuedToken(token=secret, **TokenOut.of(token).model_dump())


@router.get("/me")
def me(person: Me) -> PersonOut:
    """Who this token (or session) signs in: what `freeseat connect` checks first."""
    return PersonOut.of(person)


@router.get("")
def mine(rt: Rt, person: Me) -> list[TokenOut]:
    """My live personal tokens (never their secret)."""
    return [TokenOut.of(t) for t in _tokens(rt).mine(person.staff_id, rt.clock.now())]


@router.delete("/{token_id}", status_code=204)
def revoke(token_id: RowId, rt: Rt, person: Me) -> None:
    """Revoke one of my tokens: the laptop using it is signed out at once."""
    if not _tokens(rt).revoke(person.staff_id, token_id, rt.clock.now()):
        raise Refusal(RefusalCode.TOKEN_UNKNOWN, token=token_id)
