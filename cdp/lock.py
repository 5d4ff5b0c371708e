"""One `cdp sync` at a time per project: an advisory file lock that names its holder.

The lock is an ``flock`` on ``.cdp/sync.lock``; the operating system releases it when the
holder exits, however it exits (SIGKILL included), so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from cdp.errors import LockedError

__all__ = ["ProjectLock"]


class ProjectLock:
    def __init__(self, state_dir: Path, command: str = "cdp sync") -> None:
        self.path = state_dir / "sync.lock"
        self.command = command
        self._fd: int | None = None

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            info = self.holder()
            who = (
                f"pid {info.get('pid', '?')} on {info.get('host', '?')}, "
                f"running '{info.get('command', '?')}' since {info.get('started', '?')}"
            )
            raise LockedError(
                f"another cdp run holds this project ({who}); wait for it to finish, "
                f"or stop that process (lock file: {self.path})"
            ) from None
        os.ftruncate(fd, 0)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": self.command,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        os.write(fd, json.dumps(holder).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
