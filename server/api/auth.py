"""Sign-in, sessions and people: the FastAPI dependencies every capability uses.

Who may call a route is decided by the one table in server.api.access, not here. How to
learn who calls, from another router::

    from server.api.auth import current_person, optional_person
    from server.domain.people import Person

    @router.post("/api/rooms/{room_id}/bookings")
    def book(room_id: str, person: Annotated[Person, Depends(current_person)]) -> ...:
        ...

- `current_person` -> `Person` (server.domain.people: staff_id, name, name_ja, department,
  role, needs). 401 with the refusal code `sign_in_required` when there is no valid session.
- `optional_person` -> `Person | None`, for pages that work signed out too.
- They raise `Refusal`s, which the app's one handler answers (server.api.refusals).
- Sessions live in the database (server.services.sessions): signing out, a password or role
  change and disabling a person end them on every replica within FREESEAT_SESSION_CHECK_S
  (5 s); the person behind a session is re-read at the same pace.
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
  SameSite=Lax, signed with HMAC-SHA256; FREESEAT_SESSION_SECRET must be shared by replicas;
  Secure over HTTPS) and `freeseat_device`, the mark that keeps this browser apart from
  strangers in the sign-in throttle (server.domain.sign_in_throttle). 429 with Retry-After
  while the throttle says wait; every attempt is in the security audit log.
- `DELETE /api/session` signs out (the session ends on every replica).
- `GET /api/people?query=&limit=` -> people; in demo mode anyone may list the demo people (the
  picker); otherwise facilities and admins only.

Identity providers live in server.services.people (`IdentityProvider`): OIDC is one more
provider whose callback resolves a staff id and then calls `start_session` here (which records
the session and the sign-in); nothing that uses `current_person` changes.
"""

import asyncio
import math
import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from server.api.bearer import personal_token, token_person
from server.api.deps import runtime
from server.composition.accounts import Accounts
from server.composition.runtime import Runtime
from server.domain.people import Person, Role
from server.domain.refusals import Refusal, RefusalCode
from server.services.security_audit import SecurityEvent
from server.services.sign_in import SignInClient

SESSION_COOKIE = "freeseat_session"
CSRF_COOKIE = "freeseat_csrf"
DEVICE_COOKIE = "freeseat_device"
DEVICE_MAX_AGE_S = 180 * 24 * 3600
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


def client_address(request: Request) -> str:
    """Where the request came from (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request.client else "unknown"


def secure_cookies(request: Request, accounts: Accounts) -> bool:
    """Cookies carry `Secure` over HTTPS, or always when FREESEAT_COOKIE_SECURE says so."""
    return accounts.cookie_secure or request.url.scheme == "https"


# Where a request keeps who it is from: the authorization check and the route both ask.
_PERSON_KEY = "freeseat.person"


async def optional_person(request: Request, rt: Rt) -> Person | None:
    """The signed-in person, or None; unsafe methods with a session must carry the CSRF token."""
    if _PERSON_KEY in request.scope:
        known: Person | None = request.scope[_PERSON_KEY]
        return known
    person = await _signed_in(request, rt)
    request.scope[_PERSON_KEY] = person
    return person


async def _signed_in(request: Request, rt: Rt) -> Person | None:
    accounts = _accounts(rt)
    now = rt.clock.now()
    bearer = personal_token(request)
    if bearer is not None:  # a laptop's personal token: not sent by browsers, so no CSRF
        return await asyncio.to_thread(token_person, accounts, bearer, now)
    session = accounts.signer.read(request.cookies.get(SESSION_COOKIE), now)
    if session is None:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(
            sent.encode(), accounts.signer.csrf_token(session.nonce).encode()
        ):
            raise Refusal(RefusalCode.CSRF_INVALID, header=CSRF_HEADER)
    live = accounts.sessions.cached(session.nonce)
    if live is False:
        return None
    if live:
        found, person = accounts.directory.cached(session.staff_id)
        if found:
            return person
    return await asyncio.to_thread(_session_person, accounts, session.nonce, session.staff_id, now)


def _session_person(accounts: Accounts, nonce: str, staff_id: str, now: datetime) -> Person | None:
    """The person of a session that still holds (None: ended or expired). When the database
    was asked about the session, the person is read afresh too: a role changed elsewhere
    shows with the next sign-in on every replica."""
    live = accounts.sessions.cached(nonce)
    if live is None:
        if not accounts.sessions.look_up(nonce, now):
            return None
        return accounts.directory.person(staff_id, fresh=True)
    return accounts.directory.person(staff_id) if live else None


async def current_person(person: Annotated[Person | None, Depends(optional_person)]) -> Person:
    """The signed-in person; 401 when nobody is."""
    if person is None:
        raise Refusal(RefusalCode.SIGN_IN_REQUIRED)
    return person


def start_session(
    request: Request, response: Response, rt: Runtime, person: Person, provider: str
) -> str:
    """Start a session for `person` (whichever provider vouched for them): record it, audit
    the sign-in, set the session, CSRF and device cookies; returns the CSRF token."""
    accounts = _accounts(rt)
    now = rt.clock.now()
    address = client_address(request)
    cookie, session = accounts.signer.issue(person.staff_id, provider, now)
    max_age = int(rt.settings.session_max_age_s)
    accounts.sessions.start(
        session.nonce, person.staff_id, provider, now, timedelta(seconds=max_age), address
    )
    accounts.audit.record(
        SecurityEvent.SIGN_IN_SUCCEEDED,
        subject=person.staff_id,
        actor=person.staff_id,
        address=address,
        detail=provider,
    )
    secure = secure_cookies(request, accounts)
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    token = accounts.signer.csrf_token(session.nonce)
    response.set_cookie(CSRF_COOKIE, token, max_age=max_age, samesite="lax", secure=secure)
    if not accounts.signer.device_of(request.cookies.get(DEVICE_COOKIE), person.staff_id):
        response.set_cookie(
            DEVICE_COOKIE,
            accounts.signer.device_mark(person.staff_id),
            max_age=DEVICE_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=secure,
        )
    return token


@router.get("/session")
def get_session(request: Request, response: Response, rt: Rt) -> SessionOut:
    """Who is signed in, and the CSRF token to send on unsafe requests."""
    accounts = _accounts(rt)
    now = rt.clock.now()
    session = accounts.signer.read(request.cookies.get(SESSION_COOKIE), now)
    # A session that was signed out or revoked counts as no cookie at all.
    person = _session_person(accounts, session.nonce, session.staff_id, now) if session else None
    providers = [p.name for p in accounts.directory.providers]
    if session is not None and person is not None:
        token = accounts.signer.csrf_token(session.nonce)
    else:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response.set_cookie(
            CSRF_COOKIE, token, samesite="lax", secure=secure_cookies(request, accounts)
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
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise Refusal(RefusalCode.CSRF_INVALID, header=CSRF_HEADER)
    now = rt.clock.now()
    client = SignInClient(
        body.staff_id,
        client_address(request),
        accounts.signer.device_of(request.cookies.get(DEVICE_COOKIE), body.staff_id),
    )
    wait = accounts.guard.wait(client, now)
    if wait.total_seconds() > 0:
        seconds = math.ceil(wait.total_seconds())
        raise Refusal(RefusalCode.SIGN_IN_THROTTLED, retry_after_s=seconds, wait_s=seconds)
    outcome = accounts.directory.sign_in(body.staff_id, body.password)
    if isinstance(outcome, Refusal):
        if outcome.code is not RefusalCode.SIGN_IN_BUSY:  # our own limit is not their failure
            accounts.guard.failed(client, now)
            accounts.audit.record(
                SecurityEvent.SIGN_IN_FAILED,
                subject=body.staff_id,
                address=client.address,
                detail=outcome.code.value,
            )
        raise outcome
    accounts.guard.succeeded(client)
    provider = "local" if body.password else "demo"
    token = start_session(request, response, rt, outcome, provider)
    return SessionOut(
        signed_in=True,
        person=PersonOut.of(outcome),
        csrf_token=token,
        demo_mode=accounts.demo_mode,
        providers=[p.name for p in accounts.directory.providers],
    )


@router.delete("/session", status_code=204)
def sign_out(
    request: Request,
    response: Response,
    rt: Rt,
    _person: Annotated[Person | None, Depends(optional_person)],
) -> None:
    """Sign out (the CSRF check applies when signed in, so other sites cannot sign you out);
    the session ends on every replica, not only in this browser."""
    accounts = _accounts(rt)
    now = rt.clock.now()
    session = accounts.signer.read(request.cookies.get(SESSION_COOKIE), now)
    if session is not None:
        accounts.sessions.end(session.nonce, now, "signed out", client_address(request))
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
    # Outside demo mode only facilities get here (server.api.access); in it, others see the demo.
    staff_only = person is None or person.role is Role.STAFF
    found = accounts.directory.store.search(query, limit, demo_only=staff_only)
    return [PersonOut.of(p) for p in found]
