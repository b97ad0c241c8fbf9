"""Single sign-on routes (OpenID Connect, authorization code with PKCE).

- `GET /api/oidc` -> `{enabled, login_url}`: whether the sign-in box offers the city's sign-in.
- `GET /api/oidc/login?next=/host` -> 303 to the provider; a signed cookie remembers the state,
  nonce and PKCE verifier for ten minutes.
- `GET /api/oidc/callback` (the redirect URI to register at the provider) -> checks state and
  the ID token, signs the person in (the same session as a password sign-in) and 303s to
  `next`; a failed sign-in gets a page saying why and what to do, in the reader's language.
- `GET /api/oidc/logout` -> signs out here, then 303 to the provider's end-session endpoint
  (RP-initiated logout), which sends the browser back to `/`.
"""

import asyncio
import html
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from server.api.auth import CSRF_COOKIE, SESSION_COOKIE, client_address, start_session
from server.api.deps import runtime
from server.api.refusals import STATUS, catalogue, language, words
from server.composition.directory import SsoParts
from server.composition.runtime import Runtime
from server.domain.refusals import Refusal, RefusalCode
from server.services.security_audit import SecurityEvent

router = APIRouter(prefix="/api/oidc", tags=["sign-in"])
Rt = Annotated[Runtime, Depends(runtime)]
PENDING_COOKIE = "freeseat_oidc"
CALLBACK_PATH = "/api/oidc/callback"


class SsoOut(BaseModel):
    enabled: bool
    login_url: str | None


def _sso(rt: Runtime) -> SsoParts:
    if rt.accounts.sso is None:
        raise Refusal(RefusalCode.SSO_NOT_SET_UP)
    return rt.accounts.sso


def _redirect_uri(request: Request, sso: SsoParts) -> str:
    # Behind a reverse proxy set FREESEAT_OIDC_REDIRECT_URL: the provider compares it exactly.
    return sso.redirect_url or str(request.url_for("oidc_callback"))


def _local(path: str) -> str:
    """Only a path on this server: never a redirect somewhere else after sign-in."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


@router.get("")
def sso_status(rt: Rt) -> SsoOut:
    """Whether single sign-on is offered, and where it starts."""
    enabled = rt.accounts.sso is not None
    return SsoOut(enabled=enabled, login_url="/api/oidc/login" if enabled else None)


@router.get("/login", status_code=303)
async def login(request: Request, rt: Rt, next: Annotated[str, Query()] = "/") -> Response:
    """Send the browser to the city's sign-in page."""
    sso = _sso(rt)
    url, pending = await asyncio.to_thread(
        sso.client.begin, _redirect_uri(request, sso), _local(next), rt.clock.now().timestamp()
    )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        sso.pending.seal(pending),
        max_age=sso.pending.max_age_s,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        secure=rt.accounts.cookie_secure,
        path="/api/oidc",
    )
    return response


@router.get("/callback", name="oidc_callback", status_code=303)
async def callback(request: Request, rt: Rt) -> Response:
    """Finish the sign-in the provider sent back, or say why it failed."""
    try:
        sso = _sso(rt)
        pending = sso.pending.open(request.cookies.get(PENDING_COOKIE), rt.clock.now().timestamp())
        claims = await asyncio.to_thread(
            sso.client.finish, pending, str(request.url), _redirect_uri(request, sso)
        )
        person = await asyncio.to_thread(sso.people.person, claims)
    except Refusal as refusal:
        await asyncio.to_thread(
            rt.accounts.audit.record,
            SecurityEvent.SIGN_IN_FAILED,
            subject=None,
            address=client_address(request),
            detail=f"oidc: {refusal.code.value}",
        )
        failed = _failure_page(request, refusal)
        failed.delete_cookie(PENDING_COOKIE, path="/api/oidc")
        return failed
    assert pending is not None
    rt.accounts.directory.forget([person.staff_id])  # the role may have changed just now
    response = RedirectResponse(pending.next_path, status_code=303)
    await asyncio.to_thread(start_session, request, response, rt, person, "oidc")
    response.delete_cookie(PENDING_COOKIE, path="/api/oidc")
    return response


@router.get("/logout", status_code=303)
async def logout(request: Request, rt: Rt) -> Response:
    """Sign out here and at the provider."""
    target = "/"
    if rt.accounts.sso is not None:
        back = str(request.url_for("index")) if _has_route(request, "index") else "/"
        found = await asyncio.to_thread(rt.accounts.sso.client.logout_url, back)
        target = found or "/"
    now = rt.clock.now()
    session = rt.accounts.signer.read(request.cookies.get(SESSION_COOKIE), now)
    if session is not None:  # ended here on every replica, not only in this browser
        await asyncio.to_thread(
            rt.accounts.sessions.end, session.nonce, now, "signed out", client_address(request)
        )
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


def _has_route(request: Request, name: str) -> bool:
    return any(getattr(route, "name", None) == name for route in request.app.routes)


def _failure_page(request: Request, refusal: Refusal) -> HTMLResponse:
    lang = language(request)
    said = html.escape(words(refusal, lang))
    again = html.escape(catalogue(lang)["sso.again"])
    title = html.escape(catalogue(lang)["sso.failed"])
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>freeseat · {title}</title><link rel="stylesheet" href="/static/style.css">'
        f'</head><body><main class="panel"><h1>{title}</h1>'
        f'<p role="alert" data-code="{refusal.code.value}">{said}</p>'
        f'<p><a href="/">{again}</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=STATUS[refusal.code])
