"""Sidecars: a small JSON file beside each artifact, written last, saying what the artifact is and what made it.

    artifacts/svd/<key>/metrics.json
    artifacts/svd/<key>/metrics.json.meta.json   {"sha256", "bytes", "shape", "code", "settings", "built_from"}

An artifact is trusted only when its sidecar exists and agrees with it. Size and (for .npy) shape are checked
on every read; the full SHA-256 too when the file is small (records, vocabularies, vectors), and for every
file under `elmo-lib verify`.
"""
from __future__ import annotations

from pathlib import Path

from elmo_lib.io import file_digest, read_json, write_json

SUFFIX = ".meta.json"
FULL_DIGEST_BYTES = 64 << 20  # files up to this size have their SHA-256 checked on every read


def sidecar_path(path: str | Path) -> Path:
    """Return the sidecar path of the artifact at `path`."""
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def _npy_shape(path: Path) -> list[int] | None:
    import numpy as np
    if path.suffix != ".npy":
        return None
    return list(np.load(path, mmap_mode="r").shape)


def write_sidecar(path: str | Path, settings: object = None, built_from: dict | None = None,
                  digest: str | None = None) -> dict:
    """Write the sidecar of the finished artifact at `path` and return it (pass `digest` when already known)."""
    from elmo_lib.provenance import git_commit
    from elmo_lib.pipeline.versions import ARTIFACT_VERSION
    path = Path(path)
    meta = {"file": path.name, "bytes": path.stat().st_size, "sha256": digest or file_digest(path),
            "shape": _npy_shape(path), "code": {"artifact_version": ARTIFACT_VERSION, "git_commit": git_commit()},
            "settings": settings, "built_from": built_from or {}}
    write_json(sidecar_path(path), meta)
    return meta


def sidecar_problem(path: str | Path, full: bool | None = None) -> str | None:
    """Return why the artifact at `path` cannot be trusted, or None when its sidecar vouches for it.

    `full`: True checks the SHA-256 always, False never, None only for files up to FULL_DIGEST_BYTES.
    """
    path, meta_path = Path(path), sidecar_path(path)
    if not path.is_file():
        return "missing"
    if not meta_path.is_file():
        return f"no sidecar {meta_path.name} (it is written last, so the artifact may be unfinished)"
    try:
        meta = read_json(meta_path)
        size, digest, shape = int(meta["bytes"]), str(meta["sha256"]), meta.get("shape")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        return f"unreadable sidecar {meta_path.name} ({type(err).__name__}: {err})"
    actual = path.stat().st_size
    if actual != size:
        return f"{actual} bytes, but its sidecar says {size}"
    if shape is not None:
        try:
            found = _npy_shape(path)
        except (ValueError, OSError, EOFError) as err:
            return f"not a readable array ({type(err).__name__}: {err})"
        if found != list(shape):
            return f"shape {tuple(found)}, but its sidecar says {tuple(shape)}"
    if full or (full is None and size <= FULL_DIGEST_BYTES):
        if file_digest(path) != digest:
            return "contents differ from its sidecar's SHA-256 (edited or corrupted after it was written)"
    return None


def discard(path: str | Path) -> None:
    """Delete the artifact at `path` and its sidecar, so the next run rebuilds it."""
    for item in (Path(path), sidecar_path(path)):
        item.unlink(missing_ok=True)


SIDECARED = ("metrics.json", "probes.json", "epoch_curve.json", "*.npy", "classifier.pt", "epochs/*.pt",
             "embeddings/info.json", "embeddings/vocab.json", "data/*/vocab.json")  # every artifact of these names has a sidecar


def verify_folder(root: str | Path) -> tuple[int, dict[Path, str]]:
    """Return how many artifacts under `root` were checked in full, and {path: problem} for those not to trust."""
    root = Path(root)
    artifacts = {meta.with_name(meta.name[: -len(SUFFIX)]) for meta in root.rglob(f"*{SUFFIX}")}
    artifacts |= {path for pattern in SIDECARED for path in root.rglob(pattern) if not path.name.startswith(".")}
    bad = {}
    for artifact in sorted(artifacts):
        problem = sidecar_problem(artifact, full=True)
        if problem:
            bad[artifact] = problem
    return len(artifacts), bad
