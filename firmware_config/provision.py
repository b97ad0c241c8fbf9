"""`freeseat provision`: everything devices and the broker need, generated from one site file.

Output layout (OUT is `--out`):

    credentials.yaml          every identity's password (0600); kept across runs
    server.env                the server's broker login and client id (0600); with
                              --server-replicas N: server-1.env ... server-N.env, one each
    mosquitto/passwd          Mosquitto password file, `$7$` PBKDF2-SHA512 hashes
    mosquitto/acl             deny by default; each device writes only its own topics
    mosquitto/tls-listener.conf
    mosquitto/mosquitto.conf  a complete broker config using the three files above
    esphome/<device>.yaml     ESP32 desk sensors (devices with an `esphome:` mapping)
    esphome/secrets.yaml      Wi-Fi, MQTT and OTA secrets the node files reference
    agents/<device>.yaml      Python agents: floor gateways, AP agents, room agents (0600)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from firmware_config.agent_yaml import AgentEndpoints, agent_yaml
from firmware_config.credentials import (
    HOME_ASSISTANT_BRIDGE_IDENTITY,
    SERVER_IDENTITY,
    CredentialStore,
    CredentialStoreError,
    server_identities,
    write_private,
)
from firmware_config.esphome_yaml import (
    BrokerEndpoint,
    EsphomeDeviceError,
    esphome_yaml,
    secret_key,
)
from firmware_config.loader import load_site
from firmware_config.mosquitto import BrokerFiles, production_config
from firmware_config.mosquitto_auth import (
    DEFAULT_TLS_PORT,
    HOME_ASSISTANT_IDENTITY,
    acl_file,
    grants,
    password_file,
    tls_listener,
)
from firmware_config.site import Device, Site

CREDENTIALS = "credentials.yaml"
WIFI_PLACEHOLDER = {"wifi_ssid": "CHANGE-ME", "wifi_password": "CHANGE-ME-wifi-password"}
BROKER_FILE_MODE = 0o640  # the broker re-reads them on reload as its own, unprivileged user


class ProvisionError(ValueError):
    """Provisioning cannot proceed; the message says what to change."""


@dataclass(frozen=True, slots=True)
class ProvisionOptions:
    """Where devices find the broker and server, and what to do with existing credentials."""

    broker_host: str = "freeseat.local"
    tls_port: int = DEFAULT_TLS_PORT
    ca_file: Path | None = None
    agent_broker: str | None = None
    server_url: str | None = None
    rotate: bool = False
    reinstate: tuple[str, ...] = ()
    home_assistant: bool = False
    server_replicas: int = 1


@dataclass
class ProvisionReport:
    """What a run wrote and what it left as it was."""

    out: Path
    esphome: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    bridged: list[str] = field(default_factory=list)
    identities: int = 0
    new_credentials: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        kept = self.identities - len(self.new_credentials)
        lines = [
            f"wrote {self.out}: {len(self.esphome)} ESPHome node(s), {len(self.agents)} agent "
            f"config(s), broker files for {self.identities} identities "
            f"({len(self.new_credentials)} new password(s), {kept} kept)",
        ]
        if self.bridged:
            lines.append(
                f"{len(self.bridged)} Zigbee2MQTT device(s) publish through their bridge's "
                "identity (see mosquitto/acl)"
            )
        if self.revoked:
            lines.append(f"revoked and left out: {', '.join(sorted(self.revoked))}")
        lines += self.notes
        return "\n".join(lines)


def provision(
    site_file: Path, out: Path, options: ProvisionOptions | None = None
) -> ProvisionReport:
    """Generate every file for `site_file` under `out`; raises SiteError or ProvisionError."""
    options = options or ProvisionOptions()
    site = load_site(site_file)
    try:
        store = CredentialStore.load(out / CREDENTIALS)
    except CredentialStoreError as exc:
        raise ProvisionError(str(exc)) from None
    for identity in options.reinstate:
        store.reinstate(identity)
    if options.server_replicas < 1:
        raise ProvisionError(f"--server-replicas must be 1 or more, got {options.server_replicas}")
    granted = grants(
        site, home_assistant=options.home_assistant, server_replicas=options.server_replicas
    )
    identities = [g.identity for g in granted]
    # A device taken out of the site file loses its access; back in, it gets a new password.
    for gone in set(store.passwords) - set(identities):
        del store.passwords[gone]
    report = ProvisionReport(
        out=out, identities=len(identities) - len(store.revoked & set(identities))
    )
    report.new_credentials = store.ensure(identities, rotate=options.rotate)
    report.revoked = sorted(store.revoked & set(identities))

    tls = options.ca_file is not None
    endpoint = BrokerEndpoint(options.broker_host, options.tls_port if tls else 1883, tls=tls)
    ca_text = _read_ca(options.ca_file) if options.ca_file else None
    if not tls:
        report.notes.append(
            "no --ca-file: devices are configured for plain MQTT on port 1883, which the "
            "generated mosquitto.conf opens on loopback only; give the broker CA for TLS"
        )
        if options.agent_broker is None:
            # An agent sends its login only to a broker it can trust: one named in its file,
            # or a discovered one whose certificate verifies against the CA.
            report.notes.append(
                "agents have neither --agent-broker nor a CA: they will not log in to a "
                "broker found by zeroconf; give --ca-file or --agent-broker"
            )
    nodes: dict[str, str] = {}
    for device in site.devices:
        if device.esphome is None or device.id in store.revoked:
            continue
        try:
            nodes[device.id] = esphome_yaml(site, device, endpoint)
        except EsphomeDeviceError as exc:
            raise ProvisionError(f"{site_file}: {exc}") from None

    store.save()
    write_broker_files(
        site,
        store,
        out,
        home_assistant=options.home_assistant,
        server_replicas=options.server_replicas,
    )
    broker_dir = out / "mosquitto"
    write_private(broker_dir / "tls-listener.conf", tls_listener(port=options.tls_port), 0o644)
    conf = production_config(
        BrokerFiles(
            password_file=(broker_dir / "passwd").resolve(),
            acl_file=(broker_dir / "acl").resolve(),
            cafile=Path("/etc/mosquitto/certs/ca.crt"),
            certfile=Path("/etc/mosquitto/certs/server.crt"),
            keyfile=Path("/etc/mosquitto/certs/server.key"),
        ),
        tls_port=options.tls_port,
    )
    # `freeseat` revokes a device by rewriting passwd and acl and signalling this pid.
    write_private(
        broker_dir / "mosquitto.conf", conf + "pid_file /run/mosquitto/mosquitto.pid\n", 0o644
    )

    esphome_dir = out / "esphome"
    for device_id, text in nodes.items():
        write_private(esphome_dir / f"{device_id}.yaml", text, 0o644)
        report.esphome.append(device_id)
    if nodes:
        placeholders = _write_secrets(esphome_dir / "secrets.yaml", site, store, nodes, ca_text)
        if placeholders:
            report.notes.append(
                f"set wifi_ssid and wifi_password in {esphome_dir / 'secrets.yaml'} before "
                "flashing (they are placeholders)"
            )

    ends = AgentEndpoints(
        broker=options.agent_broker,
        server=options.server_url,
        ca_file="/etc/freeseat/ca.crt" if tls else None,
    )
    for device in site.devices:
        if device.esphome is not None or device.id in store.revoked:
            continue
        if device.zigbee2mqtt is not None:
            report.bridged.append(device.id)
            continue
        text = agent_yaml(site, device, store.passwords[device.id], ends)
        write_private(out / "agents" / f"{device.id}.yaml", text)
        report.agents.append(device.id)

    write_server_env(out, site_file, store, options)
    return report


def write_server_env(
    out: Path, site_file: Path, store: CredentialStore, options: ProvisionOptions
) -> None:
    """One env file per server replica: its own broker login, and that login as its client id
    (the broker binds the two, so no device can take a replica's session)."""
    identities = server_identities(options.server_replicas)
    bridge = ""
    if options.home_assistant:
        bridge = (
            f"FREESEAT_HOME_ASSISTANT_BROKER_USERNAME={HOME_ASSISTANT_BRIDGE_IDENTITY}\n"
            "FREESEAT_HOME_ASSISTANT_BROKER_PASSWORD="
            f"{store.passwords[HOME_ASSISTANT_BRIDGE_IDENTITY]}\n"
        )
    for identity in identities:
        name = "server.env" if len(identities) == 1 else f"{identity.removeprefix('freeseat-')}.env"
        write_private(
            out / name,
            f"FREESEAT_BROKER_USERNAME={identity}\n"
            f"FREESEAT_BROKER_PASSWORD={store.passwords[identity]}\n"
            f"FREESEAT_MQTT_CLIENT_ID={identity}\n"
            + bridge
            + f"FREESEAT_PROVISION_DIR={out.resolve()}\n"
            f"FREESEAT_SITE_FILE={site_file.resolve()}\n",
        )


def write_broker_files(
    site: Site,
    store: CredentialStore,
    out: Path,
    *,
    home_assistant: bool | None = None,
    server_replicas: int | None = None,
) -> None:
    """Rewrite `mosquitto/passwd` and `mosquitto/acl` from the site and the credential store.

    None keeps what the store has (revocation): Home Assistant's identities if it has them,
    and as many server replicas as it holds logins for.
    """
    if home_assistant is None:
        home_assistant = HOME_ASSISTANT_IDENTITY in store.passwords
    if server_replicas is None:
        server_replicas = _replicas_in(store)
    granted = grants(site, home_assistant=home_assistant, server_replicas=server_replicas)
    allowed = {g.identity for g in granted if g.identity in store.passwords}
    broker_dir = out / "mosquitto"
    # ACL first: during the moment between the two writes, a revoked device may still
    # authenticate but can no longer publish.
    write_private(broker_dir / "acl", acl_file(site, granted, allowed), BROKER_FILE_MODE)
    write_private(
        broker_dir / "passwd",
        password_file(store.passwords, [g.identity for g in granted]),
        BROKER_FILE_MODE,
    )


def revoke_device(site: Site, out: Path, device_id: str) -> bool:
    """Take `device_id`'s credentials out of the store and the broker files; False if unknown.

    The broker applies the change when it reloads (SIGHUP); it needs no restart.
    """
    try:
        store = CredentialStore.load(out / CREDENTIALS)
    except CredentialStoreError as exc:
        raise ProvisionError(str(exc)) from None
    if device_id in server_identities(max(_replicas_in(store), 1)):
        raise ProvisionError(f"{device_id} is a server's own identity; rotate it instead")
    known = store.revoke(device_id)
    store.save()
    write_broker_files(site, store, out)
    return known


def _replicas_in(store: CredentialStore) -> int:
    """How many server replicas the store has logins for (1: the single server's)."""
    if SERVER_IDENTITY in store.passwords:
        return 1
    prefix = f"{SERVER_IDENTITY}-"
    numbered = [i for i in store.passwords if i.startswith(prefix) and i[len(prefix) :].isdigit()]
    return max(len(numbered), 1)


def ota_password(device: Device, mqtt_password: str) -> str:
    """The node's OTA password, derived so that rotating its credentials rotates both."""
    return hashlib.sha256(f"ota:{device.id}:{mqtt_password}".encode()).hexdigest()[:32]


def _write_secrets(
    path: Path, site: Site, store: CredentialStore, nodes: dict[str, str], ca_text: str | None
) -> bool:
    """Merge our keys into secrets.yaml, keeping what people added (Wi-Fi); True if placeholders."""
    existing: dict[str, object] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ProvisionError(f"{path}: cannot read the ESPHome secrets: {exc}") from None
        if not isinstance(loaded, dict):
            raise ProvisionError(f"{path}: expected a mapping of secret names to values")
        existing = loaded
    # Keys this tool owns are regenerated; stale ones (revoked or removed nodes) dropped.
    ours = ("mqtt_password_", "ota_password_", "mqtt_ca_certificate")
    secrets: dict[str, object] = {k: v for k, v in existing.items() if not str(k).startswith(ours)}
    for key, value in WIFI_PLACEHOLDER.items():
        secrets.setdefault(key, value)
    devices = {d.id: d for d in site.devices}
    for device_id in nodes:
        password = store.passwords[device_id]
        secrets[secret_key("mqtt_password", device_id)] = password
        secrets[secret_key("ota_password", device_id)] = ota_password(devices[device_id], password)
    if ca_text is not None:
        secrets["mqtt_ca_certificate"] = ca_text
    header = "# ESPHome secrets for freeseat nodes. Keep secret; Wi-Fi values are yours to set.\n"
    write_private(path, header + yaml.safe_dump(secrets, sort_keys=False, allow_unicode=True))
    return any(secrets.get(k) == v for k, v in WIFI_PLACEHOLDER.items())


def _read_ca(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProvisionError(f"{path}: cannot read the CA certificate: {exc.strerror}") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ProvisionError(f"{path}: expected a PEM certificate (-----BEGIN CERTIFICATE-----)")
    return text
