"""OpenID Connect, authorization code with PKCE, against the city's provider (Entra ID, Keycloak).

Authlib builds the authorization request and checks the callback's state; the ID token is
checked with joserfc (signature from the provider's JWKS, issuer, audience, expiry, nonce),
and the userinfo endpoint adds the claims providers leave out of ID tokens. What a sign-in
in progress must remember (state, nonce, PKCE verifier, where to go after) travels in a
short-lived signed cookie, so any replica can finish what another began.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.errors import MismatchingStateException, OAuth2Error
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
)
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from server.directory_settings import OidcSettings
from server.domain.refusals import Refusal, RefusalCode

log = logging.getLogger(__name__)

# A sign-in must come back from the provider within this; longer and it starts again.
PENDING_MAX_AGE_S = 600
# Discovery and keys are fetched again after this (and at once for an unknown key id).
METADATA_TTL_S = 3600
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A sign-in sent to the provider and not yet back."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    started_at: float


class PendingSignIns:
    """Seals a `PendingSignIn` into a cookie value (HMAC-SHA256) and opens it again."""

    max_age_s = PENDING_MAX_AGE_S

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def seal(self, pending: PendingSignIn) -> str:
        body = json.dumps(
            [pending.state, pending.nonce, pending.verifier, pending.next_path, pending.started_at]
        ).encode()
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def open(self, sealed: str | None, now: float) -> PendingSignIn | None:
        """The pending sign-in, or None when missing, forged or older than PENDING_MAX_AGE_S."""
        if not sealed or "." not in sealed:
            return None
        payload, _, mac = sealed.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            state, nonce, verifier, next_path, started = json.loads(
                base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            )
            pending = PendingSignIn(str(state), str(nonce), str(verifier), str(next_path), started)
        except (ValueError, TypeError):
            return None
        if not 0 <= now - pending.started_at <= PENDING_MAX_AGE_S:
            return None
        return pending

    def _mac(self, text: str) -> str:
        digest = hmac.new(self._secret, b"oidc:" + text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OidcClient:
    """One relying party at one issuer."""

    def __init__(self, settings: OidcSettings) -> None:
        if not settings.issuer:
            raise ValueError("FREESEAT_OIDC_ISSUER is not set")
        self._settings = settings
        self.issuer = settings.issuer.rstrip("/")
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    # -- the two legs ------------------------------------------------------------------------

    def begin(self, redirect_uri: str, next_path: str, now: float) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL to send the browser to, and what to remember."""
        pending = PendingSignIn(
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=generate_token(64),
            next_path=next_path,
            started_at=now,
        )
        url = prepare_grant_uri(
            self._endpoint("authorization_endpoint"),
            self._settings.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=self._settings.scopes,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=_s256(pending.verifier),
            code_challenge_method="S256",
        )
        return url, pending

    def finish(
        self, pending: PendingSignIn | None, callback_url: str, redirect_uri: str
    ) -> dict[str, Any]:
        """The person's claims (ID token and userinfo) from the provider's callback URL."""
        if pending is None:
            raise Refusal(RefusalCode.SSO_STATE_INVALID)
        try:
            params = parse_authorization_code_response(callback_url, state=pending.state)
        except MismatchingStateException:
            raise Refusal(RefusalCode.SSO_STATE_INVALID) from None
        except OAuth2Error as exc:
            raise Refusal(RefusalCode.SSO_DENIED, error=str(exc.error or "error")) from None
        tokens = self._exchange(str(params["code"]), pending, redirect_uri)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise Refusal(RefusalCode.SSO_CODE_REJECTED)
        claims = self._checked(id_token, pending.nonce)
        access = tokens.get("access_token")
        userinfo_url = self.metadata().get("userinfo_endpoint")
        if isinstance(access, str) and userinfo_url:
            info = self._get(str(userinfo_url), headers={"Authorization": f"Bearer {access}"})
            if info.get("sub") == claims.get("sub"):  # OIDC Core 5.3.2: must match
                claims = {**info, **claims}
        return claims

    def logout_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to end the provider's session too (RP-initiated logout)."""
        try:
            end = self.metadata().get("end_session_endpoint")
        except Refusal:
            return None
        if not end:
            return None
        query = urlencode(
            {
                "client_id": self._settings.client_id,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        return f"{end}{'&' if '?' in str(end) else '?'}{query}"

    # -- provider documents ------------------------------------------------------------------

    def metadata(self, *, refresh: bool = False) -> dict[str, Any]:
        """The provider's discovery document (cached for METADATA_TTL_S)."""
        if (
            refresh
            or self._metadata is None
            or time.monotonic() - self._fetched_at > METADATA_TTL_S
        ):
            found = self._get(f"{self.issuer}/.well-known/openid-configuration")
            if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                log.error(
                    "the provider says its issuer is %r, not %r", found.get("issuer"), self.issuer
                )
                raise Refusal(RefusalCode.SSO_PROVIDER_UNREACHABLE)
            self._metadata = found
            self._keys = None
            self._fetched_at = time.monotonic()
        return self._metadata

    def _endpoint(self, name: str) -> str:
        value = self.metadata().get(name)
        if not value:
            log.error("the provider's discovery document has no %s", name)
            raise Refusal(RefusalCode.SSO_PROVIDER_UNREACHABLE)
        return str(value)

    def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(self._get(self._endpoint("jwks_uri")))  # type: ignore[arg-type]
        return self._keys

    def _checked(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=list(ALGORITHMS))
            except JoseError:
                # The provider may have rolled its keys since we fetched them.
                token = jwt.decode(
                    id_token, self._key_set(refresh=True), algorithms=list(ALGORITHMS)
                )
            jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self._settings.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            log.warning("an ID token was refused: %s", exc)
            raise Refusal(RefusalCode.SSO_CODE_REJECTED) from None
        return dict(token.claims)

    def _exchange(self, code: str, pending: PendingSignIn, redirect_uri: str) -> Mapping[str, Any]:
        s = self._settings
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,
        }
        headers = {}
        if s.client_secret is not None:  # client_secret_basic, RFC 6749 2.3.1
            secret = quote(s.client_secret.get_secret_value(), safe="")
            pair = f"{quote(s.client_id, safe='')}:{secret}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_id"] = s.client_id
        try:
            with self._http() as http:
                response = http.post(self._endpoint("token_endpoint"), data=form, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("the token endpoint did not answer: %s", exc)
            raise Refusal(RefusalCode.SSO_PROVIDER_UNREACHABLE) from None
        if response.status_code != 200:
            # invalid_grant: the code expired, was used already, or the verifier is wrong.
            log.warning("the token endpoint refused the code: %s", response.text[:300])
            raise Refusal(RefusalCode.SSO_CODE_REJECTED)
        body: Mapping[str, Any] = response.json()
        return body

    def _get(self, url: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            with self._http() as http:
                response = http.get(url, headers=headers)
                response.raise_for_status()
                body: dict[str, Any] = response.json()
                return body
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the OpenID provider did not answer %s: %s", url, exc)
            raise Refusal(RefusalCode.SSO_PROVIDER_UNREACHABLE) from None

    def _http(self) -> httpx.Client:
        s = self._settings
        verify: ssl.SSLContext | bool = True
        if s.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(s.ca_file))
        return httpx.Client(timeout=s.timeout_s, verify=verify)


def _s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
