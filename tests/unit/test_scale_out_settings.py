"""Settings under which replicas would lose or double-apply messages are refused, with the fix."""

import pytest

from server.adapters.replica_settings import (
    ScaleOutConfigError,
    check_replica,
    partitioned,
    share_group,
)
from server.settings import Settings

POSTGRES = "postgresql+psycopg://freeseat@db/freeseat"


def test_replicas_need_postgresql() -> None:
    with pytest.raises(ScaleOutConfigError, match="needs PostgreSQL: set FREESEAT_DATABASE_URL"):
        check_replica(Settings(scale_out=True, database_url="sqlite:///freeseat.db"))


def test_each_replica_needs_a_client_id_of_its_own() -> None:
    with pytest.raises(ScaleOutConfigError, match="FREESEAT_MQTT_CLIENT_ID"):
        check_replica(Settings(scale_out=True, database_url=POSTGRES))
    check_replica(Settings(scale_out=True, database_url=POSTGRES, mqtt_client_id="freeseat-2"))
    check_replica(Settings(scale_out=True, database_url=POSTGRES, enable_mqtt=False))


def test_replicas_share_one_subscription_group_and_a_lone_server_none() -> None:
    assert share_group(Settings()) is None
    # Replicas own device partitions by default; a shared subscription only when asked for.
    assert share_group(Settings(scale_out=True)) is None
    assert partitioned(Settings(scale_out=True))
    assert share_group(Settings(scale_out=True, ingest_partitions=0)) == "freeseat"
    assert not partitioned(Settings(scale_out=True, ingest_partitions=0))
    assert share_group(Settings(scale_out=True, mqtt_share_group="hall-a")) == "hall-a"


def test_a_share_group_without_scale_out_is_refused() -> None:
    with pytest.raises(ScaleOutConfigError, match="set FREESEAT_SCALE_OUT=true"):
        share_group(Settings(mqtt_share_group="hall-a"))
