"""Adapters of the device registry: revocations in the database, credentials at Mosquitto."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from firmware_config.provision import ProvisionError, revoke_device
from firmware_config.site import Site
from server.adapters.database import write_sessions
from server.adapters.tables_provisioning import DeviceRevocationRow
from server.services.device_registry import BrokerReloadFailed, Revocation


class SqlRevocations:
    """Revocations kept in `device_revocations`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def revocations(self) -> dict[str, Revocation]:
        with Session(self._engine) as session:
            rows = session.scalars(select(DeviceRevocationRow)).all()
            return {r.device: Revocation(r.device, r.revoked_at, r.revoked_by) for r in rows}

    def add(self, revocation: Revocation) -> None:
        with write_sessions(self._engine).begin() as session:
            session.merge(
                DeviceRevocationRow(
                    device=revocation.device, revoked_at=revocation.at, revoked_by=revocation.by
                )
            )


class MosquittoCredentials:
    """The files `freeseat provision` wrote, and the Mosquitto process that reads them.

    Mosquitto re-reads its password and ACL files on SIGHUP; a revoked device that is still
    connected loses its ACL rights at once, and cannot log in again.
    """

    def __init__(self, site: Site, provision_dir: Path, pid_file: Path) -> None:
        self._site = site
        self._dir = provision_dir
        self._pid_file = pid_file

    def revoke(self, device_id: str) -> None:
        try:
            revoke_device(self._site, self._dir, device_id)
        except (ProvisionError, OSError) as exc:
            raise BrokerReloadFailed(
                f"cannot rewrite the broker files in {self._dir}: {exc}"
            ) from None
        self.reload()

    def reload(self) -> None:
        """Ask the running broker to re-read its files (no restart, no dropped sessions)."""
        try:
            pid = int(self._pid_file.read_text().strip())
        except (OSError, ValueError) as exc:
            raise BrokerReloadFailed(
                f"cannot read Mosquitto's pid from {self._pid_file} ({exc}); set "
                "FREESEAT_BROKER_PID_FILE to the pid_file of mosquitto.conf"
            ) from None
        try:
            os.kill(pid, signal.SIGHUP)
        except OSError as exc:
            raise BrokerReloadFailed(
                f"cannot signal Mosquitto (pid {pid} from {self._pid_file}): {exc.strerror}; "
                "is it running, and may this server signal it?"
            ) from None
