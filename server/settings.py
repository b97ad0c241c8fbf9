"""Server settings, read from FREESEAT_* environment variables (never at import time)."""

import ipaddress
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.directory_settings import CaldavSettings, LdapSettings, OidcSettings
from server.domain.busyness import Estimator
from server.services.retention import DEFAULT_LIMITS
from server.services.wifi_presence import DEFAULT_RETENTION, RETAINED_TABLES, WifiSettings


def retention_days(value: dict[str, float], known: Sequence[str], noun: str) -> dict[str, float]:
    """`value` ({name: days}) when every name is `known` and every number of days positive."""
    for name, days in value.items():
        if name not in known:
            raise ValueError(f"unknown {noun} {name!r}; use one of {list(known)}")
        if days <= 0:
            raise ValueError(f"{name}: days must be positive, got {days}")
    return value


class WifiEnvSettings(BaseSettings):
    """How devices become people, how often history is sampled, and how long rows are kept."""

    model_config = SettingsConfigDict(env_prefix="FREESEAT_WIFI_", extra="ignore")

    devices_per_person: float = Field(default=1.0, gt=0, le=10)
    randomised_weight: float = Field(default=0.3, ge=0, le=1)
    count_ttl_s: float = Field(default=900, gt=0)
    history_interval_s: float = Field(default=300, gt=0)
    retention_interval_s: float = Field(default=900, gt=0)
    # e.g. FREESEAT_WIFI_RETENTION_DAYS='{"wifi_zone_samples": 90}'; other tables keep defaults.
    retention_days: dict[str, float] = Field(default_factory=dict)

    @field_validator("retention_days")
    @classmethod
    def _known_tables(cls, value: dict[str, float]) -> dict[str, float]:
        return retention_days(value, RETAINED_TABLES, "table")

    def to_settings(self) -> WifiSettings:
        retention = dict(DEFAULT_RETENTION)
        retention.update({t: timedelta(days=d) for t, d in self.retention_days.items()})
        return WifiSettings(
            estimator=Estimator(
                devices_per_person=self.devices_per_person,
                randomised_weight=self.randomised_weight,
                count_ttl=timedelta(seconds=self.count_ttl_s),
            ),
            history_every=timedelta(seconds=self.history_interval_s),
            retention_every=timedelta(seconds=self.retention_interval_s),
            retention=retention,
        )


class Settings(BaseSettings):
    """Everything the server needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="FREESEAT_", extra="ignore")

    database_url: str = "sqlite:///freeseat.db"
    broker_url: str = "mqtt://127.0.0.1:1883"
    broker_username: str | None = None
    broker_password: str | None = None
    mqtt_client_id: str = "freeseat-server"
    # MQTT 5 by default; 3.1.1 for brokers without it (the embedded amqtt fallback).
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    # Unacked messages the broker may have in flight to us; bounds the ingest batch too. Several
    # batches' worth: at 1000 (two batches of 500) each ack had to reach the broker before the
    # next batch could arrive, and the apply waited; 4000 drained a backlog 15-25 % faster.
    mqtt_receive_maximum: int = Field(default=4000, ge=1, le=65535)
    site_file: Path | None = Field(default=None, description="None means the bundled demo site")
    ingest_batch_max: int = Field(default=500, ge=1)
    # Apply batches in a worker process, so MQTT and the apply each have a core (see
    # server/adapters/ingest_worker.py); off in a single-core container.
    ingest_worker: bool = False
    # A reading dated further than this from when it arrived is dated by the server instead
    # (desks.since, history) and counted for the device in /api/devices.
    max_clock_skew_s: float = Field(default=300, gt=0)
    # Tell agents what each commit recorded (the applied watermark, DESIGN §5.1); their outboxes
    # keep every event until then. Off only to measure its cost (`freeseat bench`).
    ingest_watermarks: bool = True
    # The least time between two deltas of one floor; a floor's first change after a quiet
    # spell goes out at once (see server/adapters/live_feed.py).
    live_tick_s: float = Field(default=0.1, gt=0)
    live_client_queue: int = Field(default=64, ge=1)
    sweep_interval_s: float = Field(default=5.0, gt=0)
    allowed_origins: list[str] = Field(default_factory=list)
    auto_migrate: bool = True
    enable_mqtt: bool = True
    # Scale-out (server/adapters/pg_notify.py, leader_lease.py): this process is one of several
    # replicas on one PostgreSQL; each needs its own stable FREESEAT_MQTT_CLIENT_ID.
    scale_out: bool = False
    mqtt_share_group: str | None = Field(
        default=None, description="MQTT 5 shared-subscription group; 'freeseat' when scaled out"
    )
    # Leave the share group on a clean stop, so the others take this replica's share at once.
    # Off by default: if the last replica left, the broker would drop what agents publish until
    # one came back. Set it on replicas stopped while others keep running (a rolling deploy).
    mqtt_leave_share_on_stop: bool = False
    leader_retry_s: float = Field(default=1.0, gt=0)
    # Replicas split ingest by device: each of these partitions has one owner at a time
    # (server/adapters/device_partitions.py). 0, or a share group set: one shared subscription.
    ingest_partitions: int = Field(default=64, ge=0, le=4096)
    # PostgreSQL connections per process: replicas x (pool + overflow + 3) <= max_connections.
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=20, ge=0)
    # Sign-in (server/api/auth.py): demo mode lets a visitor pick a demo person, no password.
    demo_mode: bool = False
    session_secret: SecretStr | None = Field(
        default=None, description="HMAC key for session cookies; replicas must share it"
    )
    session_max_age_s: float = Field(default=12 * 3600, gt=0)
    # How stale a replica's view of a session may be: sign-outs and revocations (a password or
    # role change, a disabled person) reach every replica within this.
    session_check_s: float = Field(default=5.0, ge=0)
    # Always on when the request came over HTTPS (directly, or via a proxy in
    # forwarded_allow_ips that says so); set it when TLS ends somewhere that does not say so.
    cookie_secure: bool = False
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed ("*": any; default: none
    # but loopback). The client address they give is what the sign-in throttle and the audit
    # log see.
    forwarded_allow_ips: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # argon2 checks running at once (0: half the cores); more wait, and past 10 s are refused.
    sign_in_hashing: int = Field(default=0, ge=0)
    security_audit_retention_days: float = Field(default=365, gt=0)
    # Demo mode signs in demo people without a password; on a database that also holds real
    # accounts it refuses to start unless this says it is meant (real accounts keep passwords).
    demo_with_real_accounts: bool = False
    # /metrics (server/api/access.py): on the main listener only with this bearer token; and/or
    # on a listener of its own at this loopback address ("127.0.0.1:9464"), where no token is
    # asked. Neither set: nobody reads metrics.
    metrics_token: SecretStr | None = None
    metrics_listen: str | None = Field(default=None, description="loopback host:port for /metrics")
    # Request bodies over this are refused with 413 before they are read (server/api/body_limit.py);
    # meeting materials have their own, larger limit.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Retention per purpose (server/services/retention.py), e.g.
    # FREESEAT_RETENTION_DAYS='{"desk_history": 30}'; others keep their defaults.
    retention_days: dict[str, float] = Field(default_factory=dict)
    retention_interval_s: float = Field(default=3600, gt=0)
    # Provisioning (firmware_config/provision.py): zero-touch advert, revocation, HA bridge.
    advertise: bool = Field(default=False, description="advertise _freeseat._tcp by zeroconf")
    advertise_port: int = Field(default=8000, ge=1, le=65535, description="HTTP port to advertise")
    advertise_address: str | None = None
    advertise_interfaces: list[str] | None = None
    advertise_broker_url: str | None = Field(
        default=None, description="broker URL agents are told (default: broker_url)"
    )
    provision_dir: Path | None = Field(
        default=None, description="the --out directory of `freeseat provision` (for revocation)"
    )
    broker_pid_file: Path | None = Field(
        default=None, description="Mosquitto's pid_file; revocation sends it SIGHUP to reload"
    )
    home_assistant: bool = Field(
        default=False, description="publish Home Assistant MQTT discovery for every desk"
    )
    # The bridge's own broker login (`freeseat provision --home-assistant` writes it): where the
    # broker binds client ids to logins, the server's own login would take the server's place.
    home_assistant_broker_username: str | None = None
    home_assistant_broker_password: str | None = None
    # FREESEAT_WIFI_* variables, read when Settings is built (never behind the injected object).
    wifi: WifiEnvSettings = Field(default_factory=WifiEnvSettings)
    # The city's IT (server/directory_settings.py): FREESEAT_LDAP_*, _OIDC_*, _CALDAV_*.
    ldap: LdapSettings = Field(default_factory=LdapSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    caldav: CaldavSettings = Field(default_factory=CaldavSettings)

    @field_validator("retention_days")
    @classmethod
    def _known_purposes(cls, value: dict[str, float]) -> dict[str, float]:
        return retention_days(value, tuple(DEFAULT_LIMITS), "purpose")

    def retention_limits(self) -> dict[str, timedelta]:
        """Each purpose's retention: the defaults, with FREESEAT_RETENTION_DAYS applied."""
        return {
            **DEFAULT_LIMITS,
            **{p: timedelta(days=d) for p, d in self.retention_days.items()},
        }

    @field_validator("metrics_listen")
    @classmethod
    def _loopback_only(cls, value: str | None) -> str | None:
        if value is not None:
            loopback_address(value)
        return value


def loopback_address(value: str) -> tuple[str, int]:
    """(host, port) of "host:port" when host is a loopback address; ValueError otherwise."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r}: expected host:port, e.g. 127.0.0.1:9464")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{value!r}: metrics listen only on a loopback address (127.0.0.1, ::1)")
    return host, int(port)
