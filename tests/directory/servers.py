"""The city's IT as real servers on loopback: OpenLDAP's slapd, an OpenID provider, Radicale.

Each is started once per test session (tests/directory/conftest.py) on free ports, in a
temporary folder, and stopped at the end; a missing program fails with what to install.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from server.adapters.embedded_broker import free_port, wait_for_port

SUFFIX = "dc=cityhall,dc=example"
SERVICE_DN = f"cn=freeseat,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"
PEOPLE_DN = f"ou=people,{SUFFIX}"
GROUPS_DN = f"ou=groups,{SUFFIX}"
FACILITIES_GROUP = f"cn=freeseat-facilities,{GROUPS_DN}"
ADMINS_GROUP = f"cn=freeseat-admins,{GROUPS_DN}"


@dataclass(frozen=True)
class DirectoryPerson:
    """A person seeded into the test directory."""

    uid: str
    name: str
    department: str
    password: str
    mail: str
    name_ja: str = ""
    locked: bool = False
    groups: tuple[str, ...] = ()


# The seeded city hall: staff, a facilities officer, an IT admin, and a leaver whose account
# the directory has locked.
PEOPLE = (
    DirectoryPerson(
        "tanaka",
        "Tanaka Yui",
        "tax",
        "tanaka-pass-1",
        "tanaka@cityhall.example",
        name_ja="田中 結衣",
    ),
    DirectoryPerson(
        "sato",
        "Sato Ken",
        "welfare",
        "sato-pass-1",
        "sato@cityhall.example",
        groups=(FACILITIES_GROUP,),
    ),
    DirectoryPerson(
        "suzuki",
        "Suzuki Aoi",
        "tax",
        "suzuki-pass-1",
        "suzuki@cityhall.example",
        groups=(ADMINS_GROUP,),
    ),
    DirectoryPerson(
        "leaver", "Former Staff", "tax", "leaver-pass-1", "leaver@cityhall.example", locked=True
    ),
)


def ssha(password: str) -> str:
    """An RFC 2307 {SSHA} userPassword, as directories store them."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def need(program: str, package: str) -> str:
    """The program's path, or a clear failure naming the Debian package to install."""
    found = shutil.which(program) or (
        f"/usr/sbin/{program}" if Path(f"/usr/sbin/{program}").exists() else None
    )
    if found is None:
        raise RuntimeError(
            f"{program} is not installed; scripts/test installs it (apt-get install {package})"
        )
    return found


def stop(process: subprocess.Popen[bytes] | None, how: signal.Signals) -> None:
    """Stop a server we started: politely, then for sure."""
    if process is None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def version_of(command: Sequence[str]) -> str:
    """The first line a program prints about its version."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return (done.stdout + done.stderr).strip().splitlines()[0]


@dataclass
class TestCa:
    """A certificate authority made with openssl, and a server certificate for 127.0.0.1."""

    ca_cert: Path
    cert: Path
    key: Path

    @classmethod
    def make(cls, folder: Path) -> TestCa:
        openssl = need("openssl", "openssl")
        folder.mkdir(parents=True, exist_ok=True)
        ca_key, ca_cert = folder / "ca.key", folder / "ca.crt"
        key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.crt"
        ext = folder / "server.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

        def run(*args: str) -> None:
            subprocess.run([openssl, *args], check=True, capture_output=True, timeout=60)

        run(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=freeseat test CA",
            "-keyout",
            str(ca_key),
            "-out",
            str(ca_cert),
        )
        run(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(csr),
        )
        run(
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca_cert),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            str(ext),
            "-out",
            str(cert),
        )
        return cls(ca_cert, cert, key)


class Slapd:
    """Debian's OpenLDAP on two free ports (ldap:// with StartTLS, and ldaps://), seeded."""

    def __init__(self, folder: Path, ca: TestCa) -> None:
        self.folder = folder
        self.ca = ca
        self.port = free_port()
        self.tls_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self.version = version_of([need("slapd", "slapd"), "-VV"]).split("$")[1].strip()

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    def start(self) -> None:
        slapd, slapadd = need("slapd", "slapd"), need("slapadd", "slapd")
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "slapd.conf"
        config.write_text(self._config(data))
        seed = self.folder / "seed.ldif"
        seed.write_text(seed_ldif())
        subprocess.run(
            [slapadd, "-f", str(config), "-l", str(seed)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        log = (self.folder / "slapd.log").open("wb")
        self._process = subprocess.Popen(
            [slapd, "-f", str(config), "-h", f"{self.url}/ {self.tls_url}/", "-d", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port("127.0.0.1", self.port, timeout=30)
        wait_for_port("127.0.0.1", self.tls_port, timeout=30)

    def stop(self) -> None:
        stop(self._process, signal.SIGINT)  # slapd shuts down cleanly on SIGINT
        self._process = None

    def _config(self, data: Path) -> str:
        return f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {self.folder}/slapd.pid
TLSCACertificateFile {self.ca.ca_cert}
TLSCertificateFile {self.ca.cert}
TLSCertificateKeyFile {self.ca.key}
database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "cn=admin,{SUFFIX}"
rootpw admin-secret
directory {data}
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{SUFFIX}"
access to attrs=userPassword
    by anonymous auth
    by self write
    by * none
access to *
    by dn.exact="{SERVICE_DN}" read
    by self read
    by * none
"""


def seed_ldif() -> str:
    """The seeded tree: people, two role groups, freeseat's service account."""
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: cityhall\n"
        "o: City Hall\n",
        f"dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: ou=policies,{SUFFIX}\nobjectClass: organizationalUnit\nou: policies\n",
        # A locked account (pwdAccountLockedTime) cannot bind: how OpenLDAP disables one.
        f"dn: cn=default,ou=policies,{SUFFIX}\nobjectClass: pwdPolicy\nobjectClass: person\n"
        "cn: default\nsn: policy\npwdAttribute: userPassword\npwdLockout: TRUE\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: freeseat\nuserPassword: {ssha(SERVICE_PASSWORD)}\n",
    ]
    for person in PEOPLE:
        surname = person.name.split()[0]
        entry = (
            f"dn: uid={person.uid},{PEOPLE_DN}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
            f"cn: {person.name}\nsn: {surname}\ndisplayName: {person.name}\n"
            f"mail: {person.mail}\ndepartmentNumber: {person.department}\n"
            f"userPassword: {ssha(person.password)}\n"
        )
        if person.name_ja:
            encoded = base64.b64encode(person.name_ja.encode()).decode()
            entry += f"displayName;lang-ja:: {encoded}\n"
        if person.locked:
            entry += "pwdAccountLockedTime: 000001010000Z\n"
        entries.append(entry)
    for group in (FACILITIES_GROUP, ADMINS_GROUP):
        members = [f"uid={p.uid},{PEOPLE_DN}" for p in PEOPLE if group in p.groups]
        cn = group.split(",")[0].split("=")[1]
        entries.append(
            f"dn: {group}\nobjectClass: groupOfNames\ncn: {cn}\n"
            + "".join(f"member: {m}\n" for m in members)
        )
    return "\n".join(entries)


def directory_admin(slapd: Slapd) -> DirectoryAdmin:
    return DirectoryAdmin(slapd)


class DirectoryAdmin:
    """What the city's IT does in the directory: a new hire, a transfer, a leaver."""

    def __init__(self, slapd: Slapd) -> None:
        self._slapd = slapd

    def _connection(self) -> Any:  # ldap3's stubs leave add/modify/delete untyped
        import ldap3

        server = ldap3.Server("127.0.0.1", port=self._slapd.port)
        return ldap3.Connection(server, f"cn=admin,{SUFFIX}", "admin-secret", auto_bind=True)

    def hire(self, person: DirectoryPerson) -> None:
        conn = self._connection()
        try:
            ok = conn.add(
                f"uid={person.uid},{PEOPLE_DN}",
                ["inetOrgPerson"],
                {
                    "uid": person.uid,
                    "cn": person.name,
                    "sn": person.name.split()[0],
                    "displayName": person.name,
                    "mail": person.mail,
                    "departmentNumber": person.department,
                    "userPassword": ssha(person.password),
                },
            )
            assert ok, conn.result
        finally:
            conn.unbind()

    def move(self, uid: str, department: str) -> None:
        import ldap3

        conn = self._connection()
        try:
            changes = {"departmentNumber": [(ldap3.MODIFY_REPLACE, [department])]}
            assert conn.modify(f"uid={uid},{PEOPLE_DN}", changes), conn.result
        finally:
            conn.unbind()

    def remove(self, uid: str) -> None:
        conn = self._connection()
        try:
            conn.delete(f"uid={uid},{PEOPLE_DN}")
        finally:
            conn.unbind()


class OidcProvider:
    """The `oidc-provider` npm package (installed into test-output/oidc-provider on first use)
    run by Node.js on a free port, with a clock the tests can move forward."""

    PACKAGE = "oidc-provider@9"

    def __init__(self, install_dir: Path, log_dir: Path) -> None:
        self.node = need("node", "nodejs")
        self.npm = need("npm", "npm")
        self.install_dir = install_dir
        self.log_dir = log_dir
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self.version = ""

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def install(self) -> Path:
        package = self.install_dir / "node_modules" / "oidc-provider"
        if not (package / "package.json").exists():
            self.install_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    self.npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    "--prefix",
                    str(self.install_dir),
                    self.PACKAGE,
                ],
                check=True,
                capture_output=True,
                timeout=240,
            )
        self.version = json.loads((package / "package.json").read_text())["version"]
        return package

    def start(self) -> None:
        package = self.install()
        script = Path(__file__).with_name("oidc_provider.mjs")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / "oidc-provider.log").open("wb")
        self._process = subprocess.Popen(
            [self.node, str(script), str(package), str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NODE_ENV": "test"},
        )
        wait_for_port("127.0.0.1", self.port, timeout=60)

    def advance(self, seconds: float) -> None:
        """Move the provider's clock forward (what expires in it, expires now)."""
        urllib.request.urlopen(f"{self.issuer}/__test/clock?advance={seconds}", timeout=10).read()

    def reset_clock(self) -> None:
        urllib.request.urlopen(f"{self.issuer}/__test/clock?reset=1", timeout=10).read()

    def register(self, redirect_uri: str, post_logout_uri: str) -> tuple[str, str]:
        """Register a confidential client (RFC 7591), as the city's IT would: (id, secret)."""
        body = json.dumps(
            {
                "redirect_uris": [redirect_uri],
                "post_logout_redirect_uris": [post_logout_uri],
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.issuer}/reg", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            client = json.loads(response.read())
        return client["client_id"], client["client_secret"]

    def stop(self) -> None:
        stop(self._process, signal.SIGTERM)
        self._process = None


class Radicale:
    """Radicale (the CalDAV server from PyPI) on a free port, with two accounts: freeseat's
    own, and a member of staff whose calendar client edits the room calendars too."""

    USERS: ClassVar[dict[str, str]] = {
        "freeseat": "freeseat-caldav-pass",
        "tanaka": "tanaka-caldav-pass",
    }

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        from importlib.metadata import version

        self.version = f"Radicale {version('radicale')}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rooms_url(self) -> str:
        """The collection holding one calendar per room (FREESEAT_CALDAV_URL)."""
        return f"{self.url}/freeseat/"

    def start(self) -> None:
        import sys

        self.folder.mkdir(parents=True, exist_ok=True)
        users = self.folder / "users"
        users.write_text("".join(f"{u}:{p}\n" for u, p in self.USERS.items()))
        config = self.folder / "config"
        config.write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n"
            "[rights]\ntype = authenticated\n"
            f"[storage]\nfilesystem_folder = {self.folder / 'collections'}\n"
            "[logging]\nlevel = warning\n"
        )
        log = (self.folder / "radicale.log").open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port("127.0.0.1", self.port, timeout=60)

    def stop(self) -> None:
        stop(self._process, signal.SIGTERM)
        self._process = None
