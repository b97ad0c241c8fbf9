"""The server process's background loops: the live feed, the ticker's jobs, MQTT ingest."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from server.composition.runtime import Runtime

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def background(
    runtime: Runtime, extra: list[Coroutine[Any, Any, None]]
) -> AsyncIterator[None]:
    """Run every loop the settings ask for while the block runs; cancel them all after it."""
    settings = runtime.settings
    loops: list[asyncio.Task[None]] = []
    async with asyncio.TaskGroup() as group:
        loops.append(group.create_task(runtime.hub.run()))
        loops.append(group.create_task(sweep_forever(runtime)))
        loops.append(group.create_task(retention_forever(runtime)))
        if runtime.scale_out is not None:
            loops += [group.create_task(t) for t in runtime.scale_out.tasks()]
        loops += [group.create_task(job) for job in extra]
        if settings.advertise:
            loops.append(group.create_task(runtime.advertiser().run()))
        if settings.home_assistant:
            loops.append(group.create_task(home_assistant_on_the_ticker(runtime)))
        if settings.enable_mqtt:
            pump = runtime.start_mqtt(asyncio.get_running_loop())
            loops.append(group.create_task(pump.run()))
            if runtime.scale_out is not None:
                loops += [group.create_task(t) for t in runtime.scale_out.partition_tasks()]
        try:
            yield
        finally:
            for task in loops:
                task.cancel()


async def home_assistant_on_the_ticker(runtime: Runtime, poll_s: float = 1.0) -> None:
    """Run the Home Assistant bridge where the timed jobs run: on one replica at a time.

    Bridges on several replicas would each say `online` and, stopping, `offline` on the one
    availability topic, so Home Assistant would mark every desk unavailable while another
    replica still mirrors them. The bridge's client id is the same on every replica, so even a
    stale holder's connection is taken over, not doubled, by its successor's.
    """
    bridge: asyncio.Task[None] | None = None
    try:
        while True:
            if bridge is None and runtime.runs_ticker:
                bridge = asyncio.create_task(runtime.home_assistant_bridge().run())
            elif bridge is not None and (bridge.done() or not runtime.runs_ticker):
                await _stop_bridge(bridge)
                bridge = None
            await asyncio.sleep(poll_s)
    finally:
        if bridge is not None:
            await _stop_bridge(bridge)


async def _stop_bridge(bridge: asyncio.Task[None]) -> None:
    bridge.cancel()
    await asyncio.wait([bridge])  # its clean stop says `offline`; its failure is logged here
    if not bridge.cancelled() and bridge.exception() is not None:
        log.error("Home Assistant bridge failed; restarting", exc_info=bridge.exception())


async def retention_forever(runtime: Runtime) -> None:
    """Enforce retention (server/services/retention.py) when due, on the ticker's replica."""
    while True:
        await asyncio.sleep(runtime.settings.sweep_interval_s)
        if not runtime.runs_ticker:
            continue
        try:
            done = await asyncio.to_thread(runtime.retention.run_due)
        except Exception:
            log.exception("retention failed; retrying next interval")
            continue
        if any(done.values()):
            log.info("retention: %s", {purpose: n for purpose, n in done.items() if n})


async def sweep_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.sweep_interval_s)
        if not runtime.runs_ticker:
            continue  # another replica holds the ticker lease
        try:
            await runtime.run_sweep()
        except Exception:
            log.exception("liveness sweep failed; retrying next interval")
