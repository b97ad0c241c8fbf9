"""Sign-in, sessions and people: the FastAPI dependencies every capability uses.

How to use it from another router::

    from server.api.auth import current_person, optional_person, require_role
    from server.domain.people import Person, Role

    @router.post("/api/rooms/{room_id}/bookings")
    def book(room_id: str, person: Annotated[Person, Depends(current_person)]) -> ...:
        ...

    @router.get("/api/reports", dependencies=[Depends(require_role(Role.FACILITIES, Role.ADMIN))])

- `current_person` -> `Person` (server.domain.people: staff_id, name, name_ja, department,
  role, needs). 401 with the refusal code `sign_in_required` when there is no valid session.
- `optional_person` -> `Person | None`, for pages that work signed out too.
- `require_role(*roles)` -> a dependency returning the `Person`; 401 when signed out, 403
  (`role_required`, with the roles needed) when the role does not match. Admins pass every
  role check.
- They raise `Refusal`s, which the app's one handler answers (server.api.refusals).
- People are cached for 2 minutes per process: a role changed with `freeseat staff role` applies
  within that.
- CSRF: on unsafe methods (POST, PUT, PATCH, DELETE) both dependencies also require the header
  `X-CSRF-Token` to equal the session's token (403 otherwise). A browser gets the token from
  `GET /api/session` (`csrf_token`) and from the readable cookie `freeseat_csrf`. Routes that
  do not use these dependencies are not checked (device endpoints, health).

Endpoints:

- `GET /api/session` -> `{signed_in, person, csrf_token, demo_mode, providers}`; sets the
  `freeseat_csrf` cookie for a visitor who is not signed in yet.
- `POST /api/session` `{"staff_id": "...", "password": "..."}` signs in (local account); in demo
  mode the password may be left out to sign in as any demo person. Needs `X-CSRF-Token` equal to
  the `freeseat_csrf` cookie (login CSRF). Sets the `freeseat_session` cookie (HttpOnly,
  SameSite=Lax, signed with HMAC-SHA256; FREESEAT_SESSION_SECRET must be shared by replicas).
- `DELETE /api/session` signs out.
- `GET /api/people?query=&limit=` -> people; in demo mode anyone may list the demo people (the
  picker); otherwise facilities and admins only.

Identity providers live in server.services.people (`IdentityProvider`): OIDC is one more
provider whose callback resolves a staff id and then calls `start_session` here; nothing that
uses `current_person` changes.
"""

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from server.api.bearer import personal_token, token_person
from server.api.deps import runtime
from server.composition.accounts import Accounts
from server.composition.runtime import Runtime
from server.domain.people import Person, Role
from server.domain.refusals import Refusal, RefusalCode

SESSION_COOKIE = "freeseat_session"
CSRF_COOKIE = "freeseat_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

router = APIRouter(prefix="/api", tags=["sign-in"])
Rt = Annotated[Runtime, Depends(runtime)]


class PersonOut(BaseModel):
    staff_id: str
    name: str
    name_ja: str
    department: str | None
    role: str
    needs: list[str]

    @classmethod
    def of(cls, person: Person) -> "PersonOut":
        return cls(
            staff_id=person.staff_id,
            name=person.name,
            name_ja=person.name_ja,
            department=person.department,
            role=person.role.value,
            needs=sorted(person.needs),
        )


class SessionOut(BaseModel):
    signed_in: bool
    person: PersonOut | None
    csrf_token: str = Field(description=f"Send it in the {CSRF_HEADER} header on unsafe requests")
    demo_mode: bool
    providers: list[str]


class SignIn(BaseModel):
    staff_id: str = Field(min_length=1, max_length=64)
    password: str | None = Field(default=None, max_length=1024)


def _accounts(rt: Runtime) -> Accounts:
    return rt.accounts


async def optional_person(request: Request, rt: Rt) -> Person | None:
    """The signed-in person, or None; unsafe methods with a session must carry the CSRF token."""
    accounts = _accounts(rt)
    bearer = personal_token(request)
    if bearer is not None:  # a laptop's personal token: not sent by browsers, so no CSRF
        return await asyncio.to_thread(token_person, accounts, bearer, rt.clock.now())
    session = accounts.signer.read(request.cookies.get(SESSION_COOKIE), rt.clock.now())
    if session is None:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent, accounts.signer.csrf_token(session.nonce)):
            raise Refusal(RefusalCode.CSRF_INVALID, header=CSRF_HEADER)
    found, person = accounts.directory.cached(session.staff_id)
    if found:
        return person
    return await asyncio.to_thread(accounts.directory.person, session.staff_id)


async def current_person(person: Annotated[Person | None, Depends(optional_person)]) -> Person:
    """The signed-in person; 401 when nobody is."""
    if person is None:
        raise Refusal(RefusalCode.SIGN_IN_REQUIRED)
    return person


def require_role(*roles: Role | str) -> Callable[[Person], Awaitable[Person]]:
    """A dependency that lets through only these roles (admins always)."""
    allowed = {Role(r) for r in roles} | {Role.ADMIN}
    names = tuple(sorted(r.value for r in allowed))

    async def check(person: Annotated[Person, Depends(current_person)]) -> Person:
        if person.role not in allowed:
            raise Refusal(RefusalCode.ROLE_REQUIRED, roles=names, role=person.role.value)
        return person

    return check


def start_session(
    response: Response, accounts: Accounts, rt: Runtime, person: Person, provider: str
) -> str:
    """Set the session and CSRF cookies for `person`; returns the CSRF token."""
    cookie, session = accounts.signer.issue(person.staff_id, provider, rt.clock.now())
    max_age = int(rt.settings.session_max_age_s)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=accounts.cookie_secure,
        path="/",
    )
    token = accounts.signer.csrf_token(session.nonce)
    response.set_cookie(
        CSRF_COOKIE, token, max_age=max_age, samesite="lax", secure=accounts.cookie_secure, path="/"
    )
    return token


@router.get("/session")
def get_session(request: Request, response: Response, rt: Rt) -> SessionOut:
    """Who is signed in, and the CSRF token to send on unsafe requests."""
    accounts = _accounts(rt)
    session = accounts.signer.read(request.cookies.get(SESSION_COOKIE), rt.clock.now())
    person = accounts.directory.person(session.staff_id) if session else None
    providers = [p.name for p in accounts.directory.providers]
    if session is not None and person is not None:
        token = accounts.signer.csrf_token(session.nonce)
    else:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response.set_cookie(
            CSRF_COOKIE, token, samesite="lax", secure=accounts.cookie_secure, path="/"
        )
    return SessionOut(
        signed_in=person is not None,
        person=PersonOut.of(person) if person else None,
        csrf_token=token,
        demo_mode=accounts.demo_mode,
        providers=providers,
    )


@router.post(
    "/session",
    responses={
        401: {"description": "Unknown staff id or wrong password"},
        403: {"description": "Missing CSRF token"},
        429: {"description": "Too many failed sign-ins"},
    },
)
def sign_in(body: SignIn, request: Request, response: Response, rt: Rt) -> SessionOut:
    """Sign in with a local account, or (demo mode) as any demo person without a password."""
    accounts = _accounts(rt)
    sent = request.headers.get(CSRF_HEADER, "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise Refusal(RefusalCode.CSRF_INVALID, header=CSRF_HEADER)
    now = rt.clock.now()
    if accounts.throttle.blocked(body.staff_id, now):
        wait = accounts.throttle.window
        raise Refusal(
            RefusalCode.SIGN_IN_THROTTLED,
            retry_after_s=int(wait.total_seconds()),
            wait_min=int(wait.total_seconds() // 60),
        )
    outcome = accounts.directory.sign_in(body.staff_id, body.password)
    if isinstance(outcome, Refusal):
        accounts.throttle.failed(body.staff_id, now)
        raise outcome
    accounts.throttle.succeeded(body.staff_id)
    provider = "local" if body.password else "demo"
    token = start_session(response, accounts, rt, outcome, provider)
    return SessionOut(
        signed_in=True,
        person=PersonOut.of(outcome),
        csrf_token=token,
        demo_mode=accounts.demo_mode,
        providers=[p.name for p in accounts.directory.providers],
    )


@router.delete("/session", status_code=204)
def sign_out(
    response: Response, _person: Annotated[Person | None, Depends(optional_person)]
) -> None:
    """Sign out (the CSRF check applies when signed in, so other sites cannot sign you out)."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/people", responses={403: {"description": "Outside demo mode: facilities only"}})
def list_people(
    rt: Rt,
    person: Annotated[Person | None, Depends(optional_person)],
    query: Annotated[
        str, Query(max_length=64, description="Part of a name, id or department")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PersonOut]:
    """People matching `query`: the demo picker in demo mode, the directory for facilities."""
    accounts = _accounts(rt)
    staff_only = person is None or person.role is Role.STAFF
    if staff_only and not accounts.demo_mode:
        raise Refusal(
            RefusalCode.ROLE_REQUIRED,
            roles=("admin", "facilities"),
            role=person.role.value if person else None,
        )
    found = accounts.directory.store.search(query, limit, demo_only=staff_only)
    return [PersonOut.of(p) for p in found]
