"""Settings a replica needs, checked before anything connects (no database driver needed)."""

from sqlalchemy.engine import make_url

from server.settings import Settings

DEFAULT_SHARE_GROUP = "freeseat"
# Settings' default client id: two replicas with one id would take each other's session.
DEFAULT_CLIENT_ID = "freeseat-server"


class ScaleOutConfigError(ValueError):
    """Settings that cannot work for a replica; the message says which FREESEAT_* to set."""


def share_group(settings: Settings) -> str | None:
    """The MQTT shared-subscription group, if this process shares ingest with others."""
    if settings.mqtt_share_group and not settings.scale_out:
        # A share of the messages without the shared live feed and ticker would show each
        # replica's browsers only that replica's share.
        raise ScaleOutConfigError(
            "FREESEAT_MQTT_SHARE_GROUP splits ingest between replicas: set FREESEAT_SCALE_OUT=true"
            " as well (on PostgreSQL), or unset the share group"
        )
    if settings.mqtt_share_group:
        return settings.mqtt_share_group
    if settings.scale_out and settings.ingest_partitions == 0:
        return DEFAULT_SHARE_GROUP
    return None  # one process, or replicas that own device partitions


def partitioned(settings: Settings) -> bool:
    """Whether this replica takes device partitions instead of a share of every message."""
    return settings.scale_out and share_group(settings) is None and settings.ingest_partitions > 0


def check_replica(settings: Settings) -> None:
    """Refuse settings under which replicas would lose or double-apply messages."""
    backend = make_url(settings.database_url).get_backend_name()
    if backend != "postgresql":
        raise ScaleOutConfigError(
            "FREESEAT_SCALE_OUT=true needs PostgreSQL: set FREESEAT_DATABASE_URL to"
            f" postgresql+psycopg://user@host/db (it is a {backend} URL)"
        )
    if settings.enable_mqtt and settings.mqtt_client_id == DEFAULT_CLIENT_ID:
        raise ScaleOutConfigError(
            "FREESEAT_SCALE_OUT=true needs FREESEAT_MQTT_CLIENT_ID set to a stable name unique"
            " to this replica (e.g. freeseat-1): its broker session holds the messages it has"
            " not acknowledged yet, and a replica that restarts under the same name gets them"
        )
