"""One daemon per database: an flock'ed lock file beside the database file (symlinks resolved),
holding the owner's pid."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(RuntimeError):
    """Another process holds the lock; the message names its pid and the lock file."""


class DaemonLock:
    """``with DaemonLock(db_path):`` — released by the kernel even when the process is killed."""

    def __init__(self, db_path: str | Path) -> None:
        # The file, not the name: ``link.db -> d.db`` (or a symlinked directory) must find the
        # lock of the daemon already running on ``d.db``.
        db_path = Path(db_path).resolve()
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another tickerwatch daemon (pid {owner}) is running on this database "
                f"(lock file {self.path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
