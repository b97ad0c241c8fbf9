"""The agent runtime every agent stands on: config, broker, outbox, publisher, heartbeats, run.

The desk, AP and room agents (and the simulator) only add what they sense and how they tick.
"""

from edge_agent.runtime.clock import SystemWallClock, WallClock
from edge_agent.runtime.config import AgentConfig, AgentConfigError, DeviceId, TimeZoneName
from edge_agent.runtime.connection import BrokerReach, ConnectionSettings, reach_broker
from edge_agent.runtime.outbox import Outbox, OutboxError
from edge_agent.runtime.process import AgentRun, run_agent_process
from edge_agent.runtime.publisher import DevicePublisher, PublisherStats

__all__ = [
    "AgentConfig",
    "AgentConfigError",
    "AgentRun",
    "BrokerReach",
    "ConnectionSettings",
    "DeviceId",
    "DevicePublisher",
    "Outbox",
    "OutboxError",
    "PublisherStats",
    "SystemWallClock",
    "TimeZoneName",
    "WallClock",
    "reach_broker",
    "run_agent_process",
]
