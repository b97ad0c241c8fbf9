"""Single sign-on against a real OpenID provider (the certified `oidc-provider` from npm):
the code flow with PKCE end to end, a forged or lost state, an expired code, and logout."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest

from server.adapters.embedded_broker import free_port
from server.api.app import create_app
from server.directory_settings import OidcSettings
from server.domain.people import Role
from server.settings import Settings
from tests.directory.servers import OidcProvider
from tests.fakes import FakeClock
from tests.support import ServerThread, small_site


@dataclass
class Freeseat:
    server: ServerThread
    provider: OidcProvider

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def freeseat(tmp_path: Path, oidc_provider: OidcProvider) -> Iterator[Freeseat]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client_id, secret = oidc_provider.register(f"{base}/api/oidc/callback", f"{base}/")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'freeseat.db'}",
        enable_mqtt=False,
        oidc=OidcSettings(
            issuer=oidc_provider.issuer,
            client_id=client_id,
            client_secret=secret,
            departments={"Tax Division": "tax", "Welfare Division": "welfare"},
            group_roles={"g-facilities": Role.FACILITIES},
        ),
    )
    # ID tokens carry the provider's real time: the server's clock must be near it.
    clock = FakeClock(datetime.now(UTC))
    app = create_app(settings, clock=clock, site=small_site())
    with ServerThread(app, port=port) as server:
        yield Freeseat(server, oidc_provider)
    oidc_provider.reset_clock()


def to_callback(
    browser: httpx.Client, freeseat: Freeseat, account: str, next_path: str = "/"
) -> str:
    """Start at freeseat's sign-in button, sign in at the provider; the URL it sends us back to."""
    response = browser.get(f"{freeseat.url}/api/oidc/login", params={"next": next_path})
    for _ in range(10):
        assert response.status_code in (200, 303, 302), response.text
        if response.status_code == 200:  # the provider's sign-in form
            form = re.search(r'action="([^"]+)"', response.text)
            assert form is not None, response.text
            response = browser.post(
                urljoin(str(response.url), form.group(1)),
                data={"prompt": "login", "login": account, "password": "correct horse"},
            )
            continue
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(freeseat.url):
            return location
        response = browser.get(location)
    raise AssertionError("the provider never sent the browser back")


def test_staff_sign_in_through_the_citys_provider_with_department_and_role_from_claims(
    freeseat: Freeseat,
) -> None:
    with httpx.Client() as browser:
        callback = to_callback(browser, freeseat, "tanaka-sso", "/host")
        query = parse_qs(urlsplit(callback).query)
        assert set(query) >= {"code", "state"}  # the authorization code flow
        landed = browser.get(callback)
        assert landed.status_code == 303 and landed.headers["location"] == "/host"
        me = browser.get(f"{freeseat.url}/api/session").json()
        assert me["signed_in"] and me["person"]["staff_id"] == "tanaka"
        assert (me["person"]["department"], me["person"]["role"]) == ("tax", "staff")
    with httpx.Client() as browser:
        browser.get(to_callback(browser, freeseat, "sato-sso"))
        me = browser.get(f"{freeseat.url}/api/session").json()["person"]
        assert (me["staff_id"], me["department"], me["role"]) == ("sato", "welfare", "facilities")
        # The session is freeseat's own: facilities pages open as after a password sign-in.
        assert browser.get(f"{freeseat.url}/api/people").status_code == 200


def test_a_forged_state_or_a_sign_in_begun_elsewhere_is_refused(freeseat: Freeseat) -> None:
    with httpx.Client(headers={"Accept-Language": "en"}) as browser:
        callback = to_callback(browser, freeseat, "tanaka-sso")
        parts = urlsplit(callback)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": "forged"}
        forged = browser.get(urlunsplit(parts._replace(query=urlencode(query))))
        assert forged.status_code == 400
        assert 'data-code="sso_state_invalid"' in forged.text
        assert "start again from the sign-in button" in forged.text
        assert browser.get(f"{freeseat.url}/api/session").json()["signed_in"] is False
    # A callback carried to another browser (no pending sign-in there): the login CSRF case.
    with httpx.Client() as other:
        stolen = other.get(callback)
        assert stolen.status_code == 400 and "sso_state_invalid" in stolen.text
        assert other.get(f"{freeseat.url}/api/session").json()["signed_in"] is False


def test_an_expired_authorization_code_is_refused_and_a_new_sign_in_works(
    freeseat: Freeseat,
) -> None:
    with httpx.Client(headers={"Accept-Language": "ja"}) as browser:
        callback = to_callback(browser, freeseat, "tanaka-sso")
        freeseat.provider.advance(120)  # codes live 60 s at this provider
        late = browser.get(callback)
        assert late.status_code == 401 and 'data-code="sso_code_rejected"' in late.text
        assert "やり直してください" in late.text
        assert browser.get(f"{freeseat.url}/api/session").json()["signed_in"] is False
        freeseat.provider.reset_clock()
        browser.get(to_callback(browser, freeseat, "tanaka-sso"))
        assert browser.get(f"{freeseat.url}/api/session").json()["signed_in"] is True


def test_claims_without_a_staff_id_say_what_it_needs(freeseat: Freeseat) -> None:
    with httpx.Client() as browser:
        refused = browser.get(to_callback(browser, freeseat, "contractor"))
        assert refused.status_code == 401 and "preferred_username" in refused.text


def test_logout_ends_the_session_here_and_at_the_provider(freeseat: Freeseat) -> None:
    with httpx.Client() as browser:
        browser.get(to_callback(browser, freeseat, "tanaka-sso"))
        assert browser.get(f"{freeseat.url}/api/session").json()["signed_in"]
        out = browser.get(f"{freeseat.url}/api/oidc/logout")
        assert out.status_code == 303
        end = out.headers["location"]
        assert end.startswith(freeseat.provider.issuer) and "post_logout_redirect_uri" in end
        assert browser.get(f"{freeseat.url}/api/session").json()["signed_in"] is False
        confirm = browser.get(end)  # the provider asks "sign out?"; the person says yes
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', confirm.text, re.S)
        assert form is not None, confirm.text
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
        back = browser.post(urljoin(end, form.group(1)), data={**fields, "logout": "yes"})
        assert back.status_code in (302, 303)
        assert back.headers["location"].startswith(f"{freeseat.url}/")
        # The provider's own session is gone too: signing in again asks for the password.
        again = browser.get(f"{freeseat.url}/api/oidc/login")
        at_provider = browser.get(again.headers["location"])
        assert "/interaction/" in at_provider.headers.get("location", "")
