"""Wi-Fi presence settings, read from FREESEAT_WIFI_* environment variables."""

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.domain.busyness import Estimator
from server.services.wifi_presence import DEFAULT_RETENTION, RETAINED_TABLES, WifiSettings


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
        for table, days in value.items():
            if table not in RETAINED_TABLES:
                raise ValueError(f"unknown table {table!r}; use one of {list(RETAINED_TABLES)}")
            if days <= 0:
                raise ValueError(f"{table}: days must be positive, got {days}")
        return value

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
