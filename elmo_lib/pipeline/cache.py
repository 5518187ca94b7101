"""The artifact cache: stage folders keyed by what made them, trust by sidecar, records computed at most once.

    artifacts/<stage>/<hash of the data files' SHA-256, the settings dataclasses and upstream digests>/...

A record's timing fields are kept apart (timing.json beside it), so a record has the same bytes on every run.
"""
from __future__ import annotations

import dataclasses
import json
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from elmo_lib.blas import blas_key, kernels_key, unpinned_warning
from elmo_lib.config import settings_hash
from elmo_lib.corpus import Corpus, build_corpus
from elmo_lib.data import SPLITS, split_path
from elmo_lib.io import file_digest, read_json, write_json
from elmo_lib.pipeline.plan import NotComputedError
from elmo_lib.pipeline.versions import ARTIFACT_VERSION
from elmo_lib.sidecar import discard, sidecar_problem, write_sidecar
from elmo_lib.timing import RECORD_TIMING, read_timing, timing_of, without_timing, write_timing


class StageCache:
    """What every stage of a Study shares: its data files and key, stage folders, the corpus, trust and records.

    Needs `self.profile`, `self.root` and `self.timings` (set by Study.__init__). A study whose `compute_missing`
    is False (the report's notebooks open it so) reads what the artifacts hold and raises NotComputedError for the
    rest, naming the stage and the command that computes it.
    """

    _compute_flag: list[bool]  # shared with the study's variants (Study.__init__, variant), so they follow it
    _shared: tuple = (None, ())  # (parent study, the properties this variant reads from it), set by variant()

    def shared_from(self, name: str):
        """Return the study this variant reads property `name` from (its settings there are the same), or None."""
        parent, names = self._shared
        return parent if name in names else None

    @property
    def compute_missing(self) -> bool:
        """Whether this study (and its variants) computes what the artifacts lack."""
        return self._compute_flag[0]

    @compute_missing.setter
    def compute_missing(self, value: bool) -> None:
        self._compute_flag[0] = bool(value)

    def _may_compute(self, what: str, stage: str) -> None:
        """Raise NotComputedError unless this study computes what its artifacts lack."""
        if not self.compute_missing:
            raise NotComputedError(f"{what} is not computed at profile {self.profile.name} in {self.root}: run "
                                   f"`elmo-lib report --profile {self.profile.name}` first (in a notebook: "
                                   f"study.compute({stage!r}), or study.compute_all())")

    @cached_property
    def data_files(self) -> dict[str, dict]:
        """Return {split: {"path", "sha256"}} of the AG News files this study reads."""
        if self.shared_from("data_files"):
            return self.shared_from("data_files").data_files
        paths = {split: split_path(self.profile.data.data_dir, split) for split in SPLITS}
        return {split: {"path": str(path), "sha256": file_digest(path)} for split, path in paths.items()}

    @cached_property
    def data_key(self) -> dict:
        """Return what identifies the corpus: the data settings (less the folder name) and file contents."""
        if self.shared_from("data_key"):
            return self.shared_from("data_key").data_key
        warning = unpinned_warning()
        if warning:
            print(f"warning: {warning}")
        return {"artifact_version": ARTIFACT_VERSION,
                "data": dataclasses.replace(self.profile.data, data_dir=None),
                "files": {s: f["sha256"] for s, f in self.data_files.items()}, "vocab": self.profile.vocab}

    def stage_dir(self, stage: str, *upstream, by_blas: bool = False) -> Path:
        """Return the folder of `stage` for the data plus `upstream` (settings dataclasses, digests), and the BLAS
        kernels (elmo_lib.blas): always for a stage numpy, scipy or scikit-learn computes (`by_blas`), else only
        where numpy's kernels are not the pinned ones."""
        kernels = kernels_key() if by_blas else blas_key()
        return self.root / stage / settings_hash(self.data_key, *upstream, *((kernels,) if kernels else ()))

    @cached_property
    def corpus(self) -> Corpus:
        """Return the encoded corpus (rebuilt in seconds, so not cached on disk; its vocabulary is saved)."""
        if self.shared_from("corpus"):
            return self.shared_from("corpus").corpus
        corpus = build_corpus(self.profile.data, self.profile.vocab)
        path = self.stage_dir("data") / "vocab.json"
        if not self._trusted(path, "vocabulary"):
            try:
                corpus.vocab.save(path)
                write_sidecar(path, json.loads(json.dumps(self.data_key, default=dataclasses.asdict)),
                              {"files": self.data_key["files"]})
            except OSError as err:  # read-only storage: the vocabulary rebuilt in memory serves this run
                print(f"{path}: not saved ({err.strerror or err}); the vocabulary is rebuilt from the data each run")
        return corpus

    def _timed(self, name: str, started: float) -> float:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
        return self.timings[name]

    def _trusted(self, path: Path, what: str, full: bool | None = None) -> bool:
        """Return True when the artifact at `path` exists and its sidecar vouches for it; else say why (one line),
        discard it, and return False."""
        problem = sidecar_problem(path, full)
        if problem is None:
            return True
        if problem != "missing":
            print(f"{path}: corrupt {what} ({problem}); rebuilding it")
            discard(path)
        return False

    def _cached_json(self, path: Path, compute, required: set, built_from) -> dict:
        """Return the JSON record at `path` when its sidecar vouches for it, else compute, save and sidecar it
        (`built_from`: the digests it was made from, or a function returning them once computed). A record's
        timing fields are saved apart, in timing.json beside it, so the record has the same bytes on every run;
        the returned record carries them again."""
        if self._trusted(path, "artifact"):
            try:
                record = read_json(path)
                if required <= set(record):
                    return {**record, **read_timing(path.parent)}
                problem = "a record without its metrics"
            except (ValueError, UnicodeDecodeError) as err:
                problem = f"{type(err).__name__}: {err}"
            print(f"{path}: corrupt artifact ({problem}); rebuilding it")
        self._may_compute(f"{path.name} of stage {path.parent.parent.name}", path.parent.parent.name)
        record = compute()
        write_timing(path.parent, timing_of(record, RECORD_TIMING))
        write_json(path, without_timing(record, RECORD_TIMING))
        write_sidecar(path, record.get("settings"), built_from() if callable(built_from) else built_from)
        return record

    def _cached_record(self, path: Path, compute, built_from=dict) -> dict:
        """Return the metrics record at `path`, or compute, time and save it; an untrusted record is rebuilt."""
        def timed() -> dict:
            started = time.perf_counter()
            record = compute()
            record["wall_seconds"] = self._timed(f"{record['model']} classifier", started)
            return record
        return self._cached_json(path, timed, {"model", "train", "test"},
                                 lambda: {"data": self.data_key["files"], **built_from()})


def readable_array(path: Path, shape: tuple) -> bool:
    """Return True when `path` is a .npy array of `shape` whose data is all there (cheap: header and size)."""
    try:
        array = np.load(path, mmap_mode="r")
    except (ValueError, OSError, EOFError):
        return False
    return tuple(array.shape) == tuple(shape)
