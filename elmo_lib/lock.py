"""One writer at a time: an advisory lock per artifacts folder and per report folder."""
from __future__ import annotations

import errno
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class LockError(RuntimeError):
    """Another run holds the folder; the message names its PID."""


@contextmanager
def exclusive(folder: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `folder` for the block, or raise LockError naming the holder's PID.

    On a read-only folder (a complete cache on read-only storage) nothing can be written, so no lock
    is needed and none is taken.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".lock", "a+")
    except OSError as err:
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            yield
            return
        raise
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockError(f"{what} {folder} is in use by another run (PID {holder}); wait for it to finish, "
                            f"or give this run another folder.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def taking_turns(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` for the block, waiting while another process holds it
    (the processes of one torchrun job building the same cached input one after another)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
