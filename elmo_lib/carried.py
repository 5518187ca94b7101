"""A replicate's finished rows, carried from one sitting to the next through a committed folder.

A sitting may end before a replicate does, and its artifacts folder need not outlive it. `elmo-lib replicate N`
stopped (by its --budget-minutes, Ctrl-C or SIGTERM) saves what it finished beside the replicate's record:

    replicate_N.partial/partial.json   profile, replicate, the SHA-256 of everything the rows were trained from
                                       (vectors, biLM checkpoints, their cached layers, the data), each row's
                                       record path, and each sitting's commit, machine and stage seconds
    replicate_N.partial/rows/...       each finished row's metrics.json, its sidecar and timing.json, at its path
                                       under the artifacts folder

The next run recomputes the vectors and biLMs (deterministic on the same kind of CPU), and carries the saved rows
into its artifacts folder only where every digest is the same: rows trained from other inputs (another CPU kind,
other code) are never mixed in; every row is computed again, and it says why.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from elmo_lib.errors import ReplicateError
from elmo_lib.io import read_json, write_json
from elmo_lib.pipeline.plan import NotComputedError, row_stages
from elmo_lib.registry import rows
from elmo_lib.sidecar import sidecar_path, sidecar_problem

PARTIAL_FILE = "partial.json"
SPLITS = ("train", "validation", "test")


def partial_folder(record: Path) -> Path:
    """Return the folder that holds the unfinished part of the replicate whose record goes to `record`."""
    record = Path(record)
    return record.with_name(f"{record.stem}.partial")


def upstream_digests(replicate) -> dict[str, str]:
    """Return the SHA-256 of each input the replicate's rows are trained from, by name: the data files, each vector
    method's vectors, each biLM's checkpoint and its cached layers of every split (all computed before)."""
    names = row_stages(replicate.profile)
    found = {"data": hashlib.sha256(json.dumps(replicate.data_key["files"], sort_keys=True).encode()).hexdigest()}
    for name in names:
        if name.endswith("_embeddings"):
            method = name.removesuffix("_embeddings")
            found[f"{method} vectors"] = replicate._vectors_digest(method)
    for name, owner in (("bilm", replicate), ("bilm_scratch", replicate.scratch_study)):
        if name in names:
            found[f"{name}.pt"] = owner.bilm.digest
            for split in SPLITS:
                layers = owner.layers_folder() / f"{split}.npy"
                if sidecar_problem(layers, full=False) is not None:
                    raise NotComputedError(f"{layers}: the {name} layers are not computed")
                found[f"{name} layers {split}"] = read_json(sidecar_path(layers))["sha256"]
    return found


def finished_rows(replicate) -> dict[str, Path]:
    """Return {row key: its metrics record path} for every row of the replicate its artifacts hold and vouch for
    (a read-only replicate: nothing is computed)."""
    found = {}
    for key in rows(replicate.profile):
        try:
            path = replicate.row_record_path(key)
        except NotComputedError:  # its biLM is not finished, so neither is the row
            continue
        if sidecar_problem(path) is None:
            found[key] = path
    return found


def copy_row(relative: str, source_root: Path, target_root: Path) -> None:
    """Copy the files a row's record at `relative` is kept as (the record, its sidecar, its timing) from under
    `source_root` to the same place under `target_root`."""
    path = Path(relative)
    for name in (path, sidecar_path(path), path.parent / "timing.json"):
        if (source_root / name).is_file():
            (target_root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_root / name, target_root / name)


def save(replicate, number: int, folder: Path, sittings: list[dict]) -> dict | None:
    """Save the replicate's finished rows and the digests they were trained from into `folder` (replacing what it
    held, all at once), with `sittings` (each sitting's commit, machine, stage seconds); return what partial.json
    says, or None (nothing saved) while an input of the rows is unfinished. Computes nothing."""
    was, replicate.compute_missing = replicate.compute_missing, False
    try:
        return _save(replicate, number, Path(folder), sittings)
    except NotComputedError:
        return None
    finally:
        replicate.compute_missing = was


def _save(replicate, number: int, folder: Path, sittings: list[dict]) -> dict:
    upstream = upstream_digests(replicate)
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    found = finished_rows(replicate)
    relative = {}
    for key, path in found.items():
        relative[key] = str(path.relative_to(replicate.root))
        copy_row(relative[key], replicate.root, staging / "rows")
    staging.mkdir(parents=True, exist_ok=True)
    partial = {"profile": replicate.profile.name, "replicate": number, "upstream": upstream,
               "rows": relative, "sittings": sittings}
    write_json(staging / PARTIAL_FILE, partial)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return partial


def carry(replicate, number: int, folder: Path, say=print) -> dict | None:
    """Copy the rows saved in `folder` into the replicate's artifacts folder where every input they were trained from
    has the same digest here and the row's key (its path) is the same; return what partial.json says (None where
    there is no folder, where the digests differ, after saying which, or where no row's key is the same). Raise
    ReplicateError where the folder is of another profile or replicate."""
    folder = Path(folder)
    if not (folder / PARTIAL_FILE).is_file():
        return None
    partial = read_json(folder / PARTIAL_FILE)
    if (partial["profile"], partial["replicate"]) != (replicate.profile.name, number):
        raise ReplicateError(f"{folder / PARTIAL_FILE}: replicate {partial['replicate']} of profile "
                             f"{partial['profile']}, not replicate {number} of {replicate.profile.name}")
    digests = upstream_digests(replicate)
    differ = sorted(name for name in {*digests, *partial["upstream"]}
                    if digests.get(name) != partial["upstream"].get(name))
    where = ", ".join(f"{s['machine']['cpu']} at {s['git_commit'][:7]}" for s in partial["sittings"])
    if differ:
        say(f"{folder}: its {len(partial['rows'])} rows were trained ({where}) from other inputs than this run's "
            f"({', '.join(differ)} differ); computing every row here")
        return None
    known = rows(replicate.profile)
    paths = {key: str(replicate.row_record_path(key).relative_to(replicate.root)) for key in partial["rows"]
             if key in known}
    moved = [key for key, relative in partial["rows"].items() if paths.get(key) != relative]
    carried = [key for key in partial["rows"] if key not in moved]
    for key in carried:
        if sidecar_problem(replicate.root / paths[key]) is not None:
            copy_row(paths[key], folder / "rows", replicate.root)
    say(f"{folder}: carried {len(carried)} rows trained from the same inputs ({where}): {', '.join(carried) or 'none'}"
        + (f"; {len(moved)} rows are keyed otherwise here (other settings or code), so computed again: "
           f"{', '.join(moved)}" if moved else ""))
    return partial if carried else None
