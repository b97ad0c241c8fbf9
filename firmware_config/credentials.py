"""Per-device broker credentials: generated once, kept across runs, rotated or revoked on request.

The store is one YAML file beside the generated output (`credentials.yaml`, mode 0600); it is
the only place a plain password lives, because devices and the broker need it in two forms
(the secret for the device, the hash for Mosquitto).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Mosquitto 2's own defaults for `$7$` hashes (mosquitto_passwd): PBKDF2-HMAC-SHA512,
# 101 iterations, a 12-byte salt; the broker reads the iteration count from the hash.
_PBKDF2_ITERATIONS = 101
_SALT_BYTES = 12
PASSWORD_BYTES = 24  # 192 bits, 32 URL-safe characters

SERVER_IDENTITY = "freeseat-server"
# The broker identity of the server's Home Assistant bridge: a connection of its own, which
# must not share the server's client id (the broker binds client ids to usernames).
HOME_ASSISTANT_BRIDGE_IDENTITY = "freeseat-ha-bridge"


def server_identities(replicas: int) -> list[str]:
    """The broker identity of each server replica: one server is `freeseat-server`; replicas
    are `freeseat-server-1` … `-N`, each its own login and so its own client id and session."""
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1, got {replicas}")
    if replicas == 1:
        return [SERVER_IDENTITY]
    return [f"{SERVER_IDENTITY}-{n}" for n in range(1, replicas + 1)]


class CredentialStoreError(ValueError):
    """The credential store cannot be read; the message names the file and what to fix."""


def new_password() -> str:
    """A random password that needs no quoting in YAML, URLs or Mosquitto files."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    """`password` hashed as Mosquitto 2 expects in a password file (`$7$` PBKDF2-SHA512)."""
    salt = salt if salt is not None else os.urandom(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _PBKDF2_ITERATIONS)
    return (
        f"$7${_PBKDF2_ITERATIONS}$"
        f"{base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    )


@dataclass
class CredentialStore:
    """Who may connect to the broker (`passwords`) and who was revoked and must stay out."""

    path: Path
    passwords: dict[str, str] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> CredentialStore:
        """The store at `path`, or an empty one when the file does not exist yet."""
        if not path.exists():
            return cls(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CredentialStoreError(f"{path}: cannot read the credential store: {exc}") from None
        passwords = data.get("passwords", {}) if isinstance(data, dict) else None
        revoked = data.get("revoked", []) if isinstance(data, dict) else None
        if not isinstance(passwords, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in passwords.items()
        ):
            raise CredentialStoreError(
                f"{path}: passwords: expected a mapping of identity to password; "
                "delete the file to generate new credentials for every device"
            )
        if not isinstance(revoked, list) or not all(isinstance(r, str) for r in revoked):
            raise CredentialStoreError(f"{path}: revoked: expected a list of device ids")
        return cls(path, dict(passwords), set(revoked))

    def ensure(self, identities: Iterable[str], *, rotate: bool = False) -> list[str]:
        """Give every identity a password (a new one for all when `rotate`); returns new ones."""
        created = []
        for identity in identities:
            if identity in self.revoked:
                continue
            if rotate or identity not in self.passwords:
                self.passwords[identity] = new_password()
                created.append(identity)
        return created

    def revoke(self, identity: str) -> bool:
        """Forget the identity's password and keep it out of later runs; False if unknown."""
        known = identity in self.passwords or identity in self.revoked
        self.passwords.pop(identity, None)
        self.revoked.add(identity)
        return known

    def reinstate(self, identity: str) -> None:
        """Let a revoked identity back in; it gets a new password on the next `ensure`."""
        self.revoked.discard(identity)

    def save(self) -> None:
        """Write the store readable by its owner only, replacing the old file atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            "# freeseat broker credentials: keep secret. Written by `freeseat provision`.\n"
            + yaml.safe_dump(
                {
                    "passwords": dict(sorted(self.passwords.items())),
                    "revoked": sorted(self.revoked),
                },
                sort_keys=False,
            )
        )
        write_private(self.path, text)


def write_private(path: Path, text: str, mode: int = 0o600) -> None:
    """Write `text` to `path` with `mode` from the first byte, replacing the file atomically.

    Atomic because a broker reloading on SIGHUP must never read a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, mode)  # the umask may have narrowed it
    os.replace(tmp, path)
