"""`GET /api/health`: is the server up, connected and keeping up."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from server.api.deps import runtime
from server.composition.runtime import Runtime

router = APIRouter(prefix="/api", tags=["health"])


class Health(BaseModel):
    status: str
    site: str
    broker_connected: bool
    ingest_queue: int
    applied: int
    quarantined: int
    duplicates: int
    live_clients_dropped: int


@router.get("/health")
def health(rt: Annotated[Runtime, Depends(runtime)]) -> Health:
    """`ok` when the broker link is up (or MQTT is off), `degraded` otherwise."""
    connected = rt.bridge.connected if rt.bridge else False
    pump = rt.pump
    return Health(
        status="ok" if connected or not rt.settings.enable_mqtt else "degraded",
        site=rt.index.site_id,
        broker_connected=connected,
        ingest_queue=rt.queue.qsize(),
        applied=pump.totals.applied if pump else 0,
        quarantined=pump.totals.quarantined if pump else 0,
        duplicates=pump.totals.duplicates if pump else 0,
        live_clients_dropped=rt.hub.dropped_clients,
    )
