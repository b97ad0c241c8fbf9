"""`GET /metrics`: Prometheus text exposition of ingest, quarantine, live feed and desk states.

Read with the bearer token FREESEAT_METRICS_TOKEN (server/api/access.py), or without one on
the loopback listener FREESEAT_METRICS_LISTEN starts (`serve_loopback`).
"""

import asyncio
from collections import Counter
from typing import Annotated

import uvicorn
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse

from server.api.deps import runtime
from server.composition.runtime import Runtime
from server.services.ingest_batch import BatchOutcome
from server.settings import loopback_address

router = APIRouter(tags=["health"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(rt: Annotated[Runtime, Depends(runtime)]) -> PlainTextResponse:
    """Counters since this process started, and gauges of now."""
    totals = rt.pump.totals if rt.pump else BatchOutcome()
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

    metric(
        "freeseat_ingest_applied_total",
        "counter",
        "Events applied to desk state.",
        [("", totals.applied)],
    )
    metric(
        "freeseat_ingest_duplicates_total",
        "counter",
        "Redelivered events recognised by event_id and not applied again.",
        [("", totals.duplicates)],
    )
    metric(
        "freeseat_ingest_stale_total",
        "counter",
        "Events logged but older than what a desk already showed.",
        [("", totals.stale)],
    )
    metric(
        "freeseat_quarantined_total",
        "counter",
        "Messages rejected, kept in the quarantine table with their reason, and acked.",
        [(f'{{kind="{kind}"}}', n) for kind, n in sorted(totals.quarantine_kinds.items())]
        or [('{kind="none"}', 0)],
    )
    metric(
        "freeseat_ingest_ignored_total",
        "counter",
        "Messages of known devices that carry nothing to apply (a node's other entities and log, "
        "a cleared retained topic, a reading of null, a retained message replayed by the broker "
        "that is older than what the server knows): counted, not quarantined.",
        [(f'{{kind="{kind}"}}', n) for kind, n in sorted(totals.ignored.items())]
        or [('{kind="none"}', 0)],
    )
    pump = rt.pump
    metric(
        "freeseat_ingest_queue",
        "gauge",
        "Messages received and waiting for their commit (and their acknowledgement).",
        [("", rt.queue.qsize() + (pump.pending if pump else 0))],
    )
    metric(
        "freeseat_ingest_database_outage",
        "gauge",
        "1 while the database cannot take ingest's writes and messages are held unacknowledged.",
        [("", 1 if pump and pump.outage else 0)],
    )
    metric(
        "freeseat_ingest_database_outage_seconds_total",
        "counter",
        "Time ingest has waited for the database (messages held, none lost).",
        [("", pump.outage_seconds() if pump else 0)],
    )
    metric(
        "freeseat_ingest_database_retries_total",
        "counter",
        "Attempts to apply held messages while the database was unavailable.",
        [("", pump.outage_retries if pump else 0)],
    )
    connected = rt.bridge.connected if rt.bridge else False
    metric(
        "freeseat_broker_connected",
        "gauge",
        "1 when subscribed at the broker.",
        [("", 1 if connected else 0)],
    )
    metric(
        "freeseat_live_clients", "gauge", "Open websocket clients.", [("", rt.hub.client_count())]
    )
    metric(
        "freeseat_live_clients_dropped_total",
        "counter",
        "Websocket clients closed with 1013 because they fell behind.",
        [("", rt.hub.dropped_clients)],
    )
    states: Counter[str] = Counter()
    for floor in rt.site.floors():
        states.update(view["state"] for view in rt.hub.states(floor.id).values())
    metric(
        "freeseat_desks",
        "gauge",
        "Desks by state now.",
        [(f'{{state="{state}"}}', n) for state, n in sorted(states.items())],
    )
    return PlainTextResponse("\n".join(lines) + "\n", media_type=CONTENT_TYPE)


async def serve_loopback(rt: Runtime, address: str) -> None:
    """Serve `/metrics` alone at a loopback `address`, without a token: only this machine
    reaches it (FREESEAT_METRICS_LISTEN)."""
    host, port = loopback_address(address)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.runtime = rt
    app.add_api_route("/metrics", metrics, methods=["GET"], response_class=PlainTextResponse)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.shield(serving)
    finally:
        server.should_exit = True
        await asyncio.wait([serving])
