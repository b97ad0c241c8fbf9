"""`GET /api/health`: is the server up, connected and keeping up."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from server.api.deps import runtime
from server.composition.runtime import Runtime

router = APIRouter(prefix="/api", tags=["health"])


class IngestOutage(BaseModel):
    """The database cannot take ingest's writes: messages are held, unacknowledged, not lost."""

    reason: str = Field(
        description="database_full, database_locked, database_read_only, database_io_error, "
        "database_unreachable, database_busy, database_conflict, database_damaged, "
        "out_of_memory, os_error or database_unavailable"
    )
    detail: str = Field(description="the last error, for the operator")
    since: datetime
    retries: int


class Health(BaseModel):
    status: str = Field(description="ok, or degraded when `reasons` is not empty")
    reasons: list[str] = Field(
        description="why degraded: broker_disconnected, database_unavailable"
    )
    site: str
    broker_connected: bool
    ingest_queue: int = Field(description="messages received and not yet acknowledged")
    ingest_outage: IngestOutage | None
    applied: int
    quarantined: int
    duplicates: int
    live_clients_dropped: int


@router.get("/health")
def health(rt: Annotated[Runtime, Depends(runtime)]) -> Health:
    """`ok` when the broker link is up (or MQTT is off) and the database takes ingest's writes."""
    connected = rt.bridge.connected if rt.bridge else False
    pump = rt.pump
    outage = pump.outage if pump else None
    reasons = []
    if rt.settings.enable_mqtt and not connected:
        reasons.append("broker_disconnected")
    if outage is not None:
        reasons.append("database_unavailable")
    return Health(
        status="degraded" if reasons else "ok",
        reasons=reasons,
        site=rt.index.site_id,
        broker_connected=connected,
        ingest_queue=rt.queue.qsize() + (pump.pending if pump else 0),
        ingest_outage=IngestOutage(
            reason=outage.reason, detail=outage.detail, since=outage.since, retries=outage.retries
        )
        if outage is not None
        else None,
        applied=pump.totals.applied if pump else 0,
        quarantined=pump.totals.quarantined if pump else 0,
        duplicates=pump.totals.duplicates if pump else 0,
        live_clients_dropped=rt.hub.dropped_clients,
    )
