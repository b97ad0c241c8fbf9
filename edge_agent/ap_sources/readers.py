"""Non-blocking readers that hand an AP agent new lines: hostapd's socket, files, syslog UDP."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

MAX_LINE = 8192  # longer "lines" are garbage or an attack; they are dropped, not buffered
MAX_LINES_PER_POLL = 5000
RETRY_S = 5.0


class LineReader(Protocol):
    """Something that has new text lines now and then."""

    name: str

    def poll(self) -> list[str]:
        """Every complete line that arrived since the last poll (never blocks)."""
        ...

    def close(self) -> None: ...


class HostapdControl:
    """An attached monitor on hostapd's control socket (`ctrl_interface`, one per radio).

    hostapd sends unsolicited events (`<3>AP-STA-CONNECTED ...`) to every attached client.
    When hostapd restarts the attachment is lost, so a silent socket is re-attached now and
    then (hostapd answers PING with PONG).
    """

    def __init__(self, ctrl_path: Path, *, ping_s: float = 30.0, retry_s: float = RETRY_S) -> None:
        self.name = f"hostapd {ctrl_path}"
        self.ctrl_path = ctrl_path
        self._ping_s = ping_s
        self._retry_s = retry_s
        self._sock: socket.socket | None = None
        self._local: Path | None = None
        self._next_try = 0.0
        self._last_heard = 0.0
        self._pinged = False
        self._pending: list[str] = []

    def poll(self) -> list[str]:
        now = time.monotonic()
        if self._sock is None:
            if now < self._next_try:
                return []
            self._attach(now)
            if self._sock is None:
                return []
        lines, self._pending = self._pending, []
        while len(lines) < MAX_LINES_PER_POLL:
            try:
                data = self._sock.recv(MAX_LINE)
            except BlockingIOError:
                break
            except OSError as exc:
                log.warning("%s: %s; re-attaching", self.name, exc.strerror or exc)
                self._detach(now)
                break
            self._last_heard = now
            self._pinged = False
            text = data.decode("utf-8", errors="replace").strip()
            if text and text != "PONG":
                lines.append(text)
        if self._sock is not None and now - self._last_heard > self._ping_s:
            if self._pinged:
                log.warning("%s: no answer to PING; re-attaching", self.name)
                self._detach(now)
            else:
                self._send(b"PING")
                self._pinged = True
                self._last_heard = now
        return lines

    def _attach(self, now: float) -> None:
        self._next_try = now + self._retry_s
        local = Path(tempfile.gettempdir()) / f"freeseat-ap-{os.getpid()}-{id(self)}"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            local.unlink(missing_ok=True)
            sock.bind(str(local))
            sock.settimeout(2.0)
            sock.sendto(b"ATTACH", str(self.ctrl_path))
            reply = sock.recv(64)
        except OSError as exc:
            sock.close()
            local.unlink(missing_ok=True)
            log.warning("%s: cannot attach (%s); retrying", self.name, exc.strerror or exc)
            return
        if reply.strip() != b"OK":
            sock.close()
            local.unlink(missing_ok=True)
            log.warning("%s: ATTACH answered %r; retrying", self.name, reply[:32])
            return
        self._pending = ["AP-DISABLED", *self._current_stations(sock)]
        sock.setblocking(False)
        sock.connect(str(self.ctrl_path))
        self._sock, self._local = sock, local
        self._last_heard = now
        self._pinged = False
        log.info("%s: attached; %d station(s) associated now", self.name, len(self._pending) - 1)

    def _current_stations(self, sock: socket.socket) -> list[str]:
        """Stations associated before we attached (STA-FIRST / STA-NEXT), as connect lines.

        Preceded by a reset (in `_attach`): whatever left while the agent was not attached is
        gone, and who is there now is counted at once instead of at their next association.
        """
        lines: list[str] = []
        events: list[str] = []
        command = b"STA-FIRST"
        for _ in range(MAX_LINES_PER_POLL):
            try:
                sock.sendto(command, str(self.ctrl_path))
                reply = sock.recv(MAX_LINE).decode("utf-8", errors="replace")
                while reply.startswith("<"):  # an event that arrived meanwhile
                    events.append(reply.strip())
                    reply = sock.recv(MAX_LINE).decode("utf-8", errors="replace")
            except OSError:
                break
            first = reply.strip().split("\n", 1)[0].strip()
            if not first or first == "FAIL" or first.startswith("UNKNOWN"):
                break
            lines.append(f"AP-STA-CONNECTED {first}")
            command = f"STA-NEXT {first}".encode()
        return lines + events

    def _send(self, data: bytes) -> None:
        if self._sock is None:
            return
        try:
            self._sock.send(data)
        except OSError:
            self._detach(time.monotonic())

    def _detach(self, now: float) -> None:
        if self._sock is not None:
            self._sock.close()
        if self._local is not None:
            self._local.unlink(missing_ok=True)
        self._sock, self._local = None, None
        self._next_try = now + self._retry_s

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.send(b"DETACH")
        self._detach(time.monotonic())


class FollowedFile:
    """`tail -F`: new complete lines of a growing file, across rotation and truncation."""

    def __init__(self, path: Path, *, from_start: bool = False) -> None:
        self.name = f"file {path}"
        self.path = path
        self._inode: int | None = None
        self._offset = 0
        self._buffer = b""
        self._from_start = from_start
        self._skipping = False  # inside an over-long line, until its end
        self._seen = b""  # the last bytes read, to notice a file rewritten in place
        # Where reading starts is fixed now, not at the first poll: lines written after the
        # agent started are never skipped.
        try:
            stat = path.stat()
            self._inode = stat.st_ino
            self._offset = 0 if from_start else stat.st_size
            if self._offset:
                with path.open("rb") as handle:
                    handle.seek(max(0, self._offset - 64))
                    self._seen = handle.read(self._offset - handle.tell())
        except OSError:
            self._inode = None

    def poll(self) -> list[str]:
        try:
            stat = self.path.stat()
        except OSError:
            return []
        if self._inode != stat.st_ino or stat.st_size < self._offset:
            self._restart(stat.st_ino)  # appeared, rotated or truncated: all of it is new
        if stat.st_size == self._offset:
            return []
        try:
            with self.path.open("rb") as handle:
                if self._seen and self._offset >= len(self._seen):
                    # Truncated and rewritten past our offset between two polls: the bytes we
                    # read last are no longer where they were.
                    handle.seek(self._offset - len(self._seen))
                    if handle.read(len(self._seen)) != self._seen:
                        self._restart(stat.st_ino)
                handle.seek(self._offset)
                chunk = handle.read(MAX_LINE * 64)
        except OSError as exc:
            log.warning("%s: %s", self.name, exc.strerror or exc)
            return []
        self._offset += len(chunk)
        self._seen = (self._seen + chunk)[-64:]
        return self._split(chunk)

    def _restart(self, inode: int) -> None:
        self._inode = inode
        self._offset = 0
        self._seen = b""
        self._buffer = b""
        self._skipping = False

    def _split(self, chunk: bytes) -> list[str]:
        data = self._buffer + chunk
        *complete, rest = data.split(b"\n")
        lines = []
        for raw in complete:
            if self._skipping:
                self._skipping = False
                continue
            if len(raw) <= MAX_LINE:
                lines.append(raw.decode("utf-8", errors="replace").rstrip("\r"))
        if len(rest) > MAX_LINE:
            self._skipping, rest = True, b""
        self._buffer = rest
        return lines

    def close(self) -> None:
        self._buffer = b""


class CommandOutput:
    """The lines a long-running command prints (`ubus subscribe ...`, `iw event -t`), restarted
    `retry_s` after it exits; a command that cannot start is retried the same way."""

    def __init__(self, command: Sequence[str], *, retry_s: float = RETRY_S) -> None:
        self.name = f"command {' '.join(command)}"
        self.command = list(command)
        self._retry_s = retry_s
        self._process: subprocess.Popen[bytes] | None = None
        self._next_try = 0.0
        self._buffer = b""
        self._warned = False

    def poll(self) -> list[str]:
        now = time.monotonic()
        if self._process is None:
            if now < self._next_try:
                return []
            self._start(now)
            if self._process is None:
                return []
        assert self._process.stdout is not None
        chunks: list[bytes] = []
        while sum(len(c) for c in chunks) < MAX_LINE * 64:
            try:
                chunk = os.read(self._process.stdout.fileno(), MAX_LINE * 8)
            except BlockingIOError:
                break
            if not chunk:  # end of output: the command exited
                self._stopped(now)
                break
            chunks.append(chunk)
        return self._split(b"".join(chunks))

    def _start(self, now: float) -> None:
        self._next_try = now + self._retry_s
        try:
            process = subprocess.Popen(
                self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=None
            )
        except OSError as exc:
            if not self._warned:
                log.warning("%s: cannot start (%s); retrying", self.name, exc.strerror or exc)
                self._warned = True
            return
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        self._process = process
        self._warned = False
        log.info("%s: started", self.name)

    def _stopped(self, now: float) -> None:
        if self._process is not None:
            code = self._process.wait()
            log.warning("%s: exited with %s; restarting in %.0f s", self.name, code, self._retry_s)
            self._close_process()
        self._next_try = now + self._retry_s

    def _split(self, data: bytes) -> list[str]:
        *complete, self._buffer = (self._buffer + data).split(b"\n")
        if len(self._buffer) > MAX_LINE:
            self._buffer = b""  # not a line any program here prints
        return [
            raw.decode("utf-8", errors="replace").rstrip("\r")
            for raw in complete
            if len(raw) <= MAX_LINE
        ]

    def _close_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def close(self) -> None:
        self._close_process()
        self._buffer = b""


class SyslogListener:
    """Syslog over UDP (RFC 3164 or 5424): one message per datagram, header left in place."""

    def __init__(self, host: str, port: int) -> None:
        self.name = f"syslog udp {host}:{port}"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.setblocking(False)

    @property
    def port(self) -> int:
        port: int = self._sock.getsockname()[1]
        return port

    def poll(self) -> list[str]:
        lines: list[str] = []
        while len(lines) < MAX_LINES_PER_POLL:
            try:
                data = self._sock.recv(MAX_LINE + 1)
            except BlockingIOError:
                break
            except OSError:
                break
            if len(data) > MAX_LINE:
                continue
            lines += [
                line for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()
            ]
        return lines

    def close(self) -> None:
        self._sock.close()
