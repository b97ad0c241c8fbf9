"""`GET /api/replica`: which replica answered, and whether it runs the ticker."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from server.api.deps import runtime
from server.composition.runtime import Runtime

router = APIRouter(prefix="/api", tags=["health"])


class Replica(BaseModel):
    replica: str
    scale_out: bool
    ticker: bool
    lease_epoch: int | None
    sweeps: int
    live_listening: bool
    # Device partitions whose messages this replica ingests (None: it takes every message).
    ingest_partitions: list[int] | None = None
    # Partitions given up whose new owner is not subscribed yet: still received here.
    handing_over: list[int] | None = None


@router.get("/replica")
def replica(rt: Annotated[Runtime, Depends(runtime)]) -> Replica:
    """This process's part in a set of replicas (a lone process is its own ticker)."""
    scale_out = rt.scale_out
    return Replica(
        replica=scale_out.replica if scale_out else rt.settings.mqtt_client_id,
        scale_out=scale_out is not None,
        ticker=rt.runs_ticker,
        lease_epoch=scale_out.lease.epoch if scale_out else None,
        sweeps=rt.sweeps,
        live_listening=scale_out.listener.listening if scale_out else True,
        ingest_partitions=sorted(scale_out.partitions.owned)
        if scale_out and scale_out.partitions
        else None,
        handing_over=sorted(scale_out.partitions.subscribed - scale_out.partitions.owned)
        if scale_out and scale_out.partitions
        else None,
    )
