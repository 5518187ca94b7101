"""Small file helpers: atomic writes, so a crash never leaves a half-written file behind."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`, unique to this call; if the block succeeds, flush it to disk,
    give it the user's normal permissions and rename it onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)  # see leftovers
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path, payload: object) -> None:
    """Write `payload` as indented JSON to `path` atomically."""
    atomic_write_text(Path(path), json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> object:
    """Return the JSON value stored at `path`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Return the hex digest (sha256, md5, ...) of the file at `path`, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
