"""The whole study as cached stages: each artifact lives under a folder keyed by what made it.

    artifacts/<stage>/<hash of the data files' SHA-256, the settings dataclasses and upstream digests>/...

A stage whose folder already holds its result is read back instead of recomputed, so a changed
classifier setting retrains the classifiers but reuses the biLM and the static embeddings, a
changed data file (same name, new bytes) invalidates everything built on it, and a rewritten biLM
checkpoint invalidates its cached layers and every ELMo row built on them. The stages live in
elmo_lib.pipeline by concern; Study joins them.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from elmo_lib import stage_log
from elmo_lib.allocator import keep_freed_memory
from elmo_lib.config import Profile
from elmo_lib.pipeline.cache import StageCache
from elmo_lib.pipeline.elmo_rows import ElmoRows, PretrainedBiLM
from elmo_lib.pipeline.experiments import Experiments, median_seed
from elmo_lib.pipeline.plan import NotComputedError, derived_estimates, stage_named, stages
from elmo_lib.pipeline.serving import NotTrainedError, Serving
from elmo_lib.pipeline.static_rows import CLASSIFIER_FILE, StaticRows
from elmo_lib.pipeline.versions import ARTIFACT_VERSION, CLASSIFIER_VERSION
from elmo_lib.profiles import ESTIMATED_FROM
from elmo_lib.provenance import cpu_model
from elmo_lib.registry import BILM_ARMS, model_keys, rows

__all__ = ["ARTIFACT_VERSION", "CLASSIFIER_FILE", "CLASSIFIER_VERSION", "NotComputedError", "NotTrainedError",
           "PretrainedBiLM", "Study",
           "median_seed", "runnable_profile"]


class Study(StageCache, StaticRows, ElmoRows, Experiments, Serving):
    """One profile's study over one artifacts folder; every stage is computed at most once per key."""

    def __init__(self, profile: Profile, root: str | Path = "artifacts", overrides: dict | None = None):
        self.profile = runnable_profile(profile)
        self.root = Path(root)
        self.overrides = dict(overrides or {})  # how `profile` was made from its named profile (for ablations)
        self.timings: dict[str, float] = {}
        self._compute_flag = [True]
        keep_freed_memory()  # per-batch host buffers reused, not re-faulted (elmo_lib.allocator)

    def runs(self, name: str) -> bool:
        """Return True when this profile's plan has the stage `name` (a row key, "bilm", "probes", "ablations", ...)."""
        return any(stage.name == name for stage in stages(self.profile))

    def compute(self, name: str):
        """Compute the stage `name` of this profile's plan (elmo_lib.pipeline.plan) and those it needs, reading what
        is cached; return the stage's product. A read-only study (the notebooks') computes only when asked so."""
        order, stage = [], stage_named(self.profile, name)
        self._needed(stage, order, set())
        for needed in order[:-1]:
            self._run(needed)
        return self._run(stage)

    def _needed(self, stage, order: list, seen: set) -> None:
        """Append to `order` the stages `stage` needs (each once, before what needs it), then `stage` itself."""
        for name in stage.after:
            if name not in seen:
                seen.add(name)
                self._needed(stage_named(self.profile, name), order, seen)
        order.append(stage)

    def _run(self, stage):
        """Return `stage`'s product, computing what is missing whatever this study's read-only setting."""
        was, self.compute_missing = self.compute_missing, True
        try:
            return stage.compute(self)
        finally:
            self.compute_missing = was

    def compute_all(self, say=print) -> dict[str, float]:
        """Compute every stage of the plan in order: first the plan (each stage cached or to compute, with an
        estimate from this folder's stage log or the committed results file where either has one), then a line as
        each starts and ends, and at the end estimated against actual seconds; return the seconds of each stage.
        Each computed stage is logged with the artifacts it wrote (elmo_lib.stage_log)."""
        plan = stages(self.profile)
        missing = [stage.name for stage in plan if not self._holds(stage)]
        timed = {}
        for name in filter(None, (ESTIMATED_FROM.get(self.profile.name), self.profile.name)):  # the own figures win
            timed.update(stage_log.estimates(self.root, name, committed_results(name)))
        guess = {**derived_estimates(self.profile, timed), **timed}
        known = [guess[name][0] for name in missing if name in guess]
        total = (f"; about {_minutes(sum(known))} for the {len(known)} of them with an estimate" if known else "")
        say(f"plan: {len(plan)} stages at profile {self.profile.name}, {len(missing)} to compute{total}")
        for number, stage in enumerate(plan, start=1):
            state = "to compute" if stage.name in missing else "cached"
            estimate = "" if stage.name not in missing else (
                f", about {_minutes(guess[stage.name][0])} ({guess[stage.name][1]})" if stage.name in guess
                else ", no estimate (never computed in this folder's log or the committed results file)")
            say(f"  {number:>2}. {stage.name}: {state}{estimate}")
        seconds = self.compute_logged(plan, missing, say, guess)
        if missing:
            say("estimated against actual: " + "; ".join(
                f"{name} {_minutes(guess[name][0]) if name in guess else '–'} → {_minutes(seconds[name])}"
                for name in missing))
        return seconds

    def compute_logged(self, plan, missing, say=print, guess=None, prefix: str = "", seconds=None,
                       stop_before=None) -> dict[str, float]:
        """Compute, in plan order, the stages of `plan` named in `missing` (the others count 0.0 s: read while the
        plan was made), with a line as each starts and ends (its estimate from `guess` where known), each logged in
        the stage log as `prefix` + its name with the artifacts it wrote; return every stage's seconds, filled into
        `seconds` where given (so a caller interrupted mid-plan keeps what finished). `stop_before()` is asked before
        each stage to compute: where it returns True, the stages left are not computed (nor in the result)."""
        guess, seconds = guess or {}, {} if seconds is None else seconds
        run, before = stage_log.new_run_id(), stage_log.artifacts_present(self.root)
        shown = prefix.replace("_", " ").rstrip("/") + ", " if prefix else ""
        for number, stage in enumerate(plan, start=1):  # in plan order, so what a stage needs has run before it
            if stage.name not in missing:
                seconds.setdefault(stage.name, 0.0)
                continue
            if stop_before is not None and stop_before():
                break
            say(f"[{number}/{len(plan)}] {shown}{stage.name}: {stage.what} ...")
            started = time.perf_counter()
            self._run(stage)
            # to the millisecond: a cached stage counts 0.0, and a tiny stage computed in under 0.05 s must not read so
            seconds[stage.name] = round(time.perf_counter() - started, 3)
            after = stage_log.artifacts_present(self.root)
            stage_log.append(self.root, {"run": run, "profile": self.profile.name, "stage": prefix + stage.name,
                                         "seconds": seconds[stage.name], "created": sorted(after - before),
                                         "cpu": cpu_model()})
            before = after
            estimate = f" (estimate {_minutes(guess[stage.name][0])})" if stage.name in guess else ""
            say(f"[{number}/{len(plan)}] {shown}{stage.name}: done in {seconds[stage.name]:,.1f} s{estimate}")
        return seconds

    def _holds(self, stage) -> bool:
        """Return True when the artifacts already hold `stage` (read without computing anything)."""
        was, self.compute_missing = self.compute_missing, False
        try:
            stage.compute(self)
            return True
        except NotComputedError:
            return False
        finally:
            self.compute_missing = was

    def test_texts(self) -> list[str]:
        """Return the raw text of every test document, in the order of corpus.test."""
        from elmo_lib.corpus import split_news
        return split_news(self.profile.data)["test"].texts

    def pretrain_log(self) -> dict:
        """Return the biLM pretraining log (per-epoch perplexity, per-step loss)."""
        return self.bilm.log


    def model_keys(self) -> tuple[str, ...]:
        """Return the registry's model keys for this profile."""
        return model_keys(self.profile)

    def result(self, key: str) -> dict:
        """Return the metrics record of one model key (svd, skipgram, elmo_trainable, ...)."""
        if key not in self.model_keys():
            raise KeyError(f"unknown model {key!r} for profile {self.profile.name}; choose one of {self.model_keys()}")
        row = rows(self.profile)[key]
        if row.arm not in BILM_ARMS:
            return self.static(key)
        return self.elmo(row.method, row.concat_static, row.finetuned, key=key, scratch=row.scratch)

    def row_record_path(self, key: str) -> Path:
        """Return where the artifacts hold the metrics record of row `key` (a static row's, or an ELMo row's under
        its biLM: that biLM must be finished)."""
        row = rows(self.profile)[key]
        if row.arm not in BILM_ARMS:
            return self._static_record_path(key)
        owner = self.scratch_study if row.scratch else self
        return owner._elmo_record_path(row.method, row.concat_static, owner.bilm.digest, row.finetuned, key)

    def results(self) -> dict[str, dict]:
        """Return every model's metrics record, computing what is missing; with several classifier seeds, each
        row's median-seed record (the seed whose validation accuracy is the median)."""
        if self.profile.seeds == 1:
            return {key: self.result(key) for key in self.model_keys()}
        return {key: median_seed(records) for key, records in self.seed_results().items()}




def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def committed_results(profile_name: str) -> dict | None:
    """Return the project's committed benchmarks/results_<profile>.json, or None where there is none."""
    from elmo_lib.io import read_json
    from elmo_lib.paths import project_root
    root = project_root() or project_root(Path(__file__).parent)
    path = root / "benchmarks" / f"results_{profile_name}.json" if root else None
    try:
        return read_json(path) if path else None
    except (OSError, ValueError):
        return None


def runnable_profile(profile: Profile) -> Profile:
    """Return `profile` with each precision set to the one that runs on this machine (bf16 asked for on a CPU without
    native bf16 runs fp32), saying what changed on stderr (stdout may carry predictions); so cache keys, records and
    the manifest name what ran."""
    from elmo_lib.device import NO_NATIVE_BF16_WHY, runnable_precision
    for section in ("classifier", "pretrain"):
        part = getattr(profile, section)
        precision = runnable_precision(part.precision, part.device)
        if precision != part.precision:
            print(f"{section}.precision={part.precision!r}: {NO_NATIVE_BF16_WHY}; running "
                  f"{section}.precision={precision!r}", file=sys.stderr)
            profile = dataclasses.replace(profile, **{section: dataclasses.replace(part, precision=precision)})
    return profile


