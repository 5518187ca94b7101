"""The artifacts folder's stage log: one JSON line per stage a run computed, with its seconds and the artifacts it
wrote, so the next plan can estimate each stage and a reader can check that no artifact was made twice.

    artifacts/stage_log.jsonl   {"run", "profile", "stage", "seconds", "created": [artifact paths], "cpu", "commit"}

    python -m elmo_lib.stage_log artifacts/stage_log.jsonl    # per run: stages, seconds, artifacts made twice
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from elmo_lib.sidecar import SUFFIX

LOG_FILE = "stage_log.jsonl"


def artifacts_present(root: Path) -> set[str]:
    """Return the paths (relative to `root`) of every artifact under `root` that has its sidecar."""
    root = Path(root)
    if not root.is_dir():
        return set()
    return {str(p.relative_to(root))[:-len(SUFFIX)] for p in root.rglob(f"*{SUFFIX}")}


def new_run_id() -> str:
    """Return an identifier for one `compute_all` run: its start time and process."""
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S')}-{os.getpid()}"


def append(root: Path, entry: dict) -> None:
    """Append one stage's entry to the log under `root` (a read-only folder keeps no log)."""
    try:
        with open(Path(root) / LOG_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")
    except OSError:
        pass


def read(path: Path) -> list[dict]:
    """Return the log's entries, skipping a line cut short by a crash."""
    entries = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return entries
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def estimates(root: Path, profile: str, committed: dict | None = None) -> dict[str, tuple[float, str]]:
    """Return {stage: (seconds, where the figure comes from)}: the newest computed run of that stage at `profile` in
    this artifacts folder's log, else the stage's seconds in `committed` (a results file of schema 2) where that
    stage ran."""
    found: dict[str, tuple[float, str]] = {}
    if committed and committed.get("schema", 1) >= 2:
        where = f"the committed run at {str(committed.get('git_commit'))[:7]}"
        found.update({stage: (seconds, where) for stage, seconds in committed.get("stage_seconds", {}).items()
                      if seconds > 0})
    for entry in read(Path(root) / LOG_FILE):
        if entry.get("profile") == profile and entry.get("seconds", 0) > 0:
            found[entry["stage"]] = (entry["seconds"], "the last run here")
    return found


def computed_seconds(root: Path, profile: str, names: list[str], cpu: str) -> dict[str, dict]:
    """Return {stage: {"seconds", "run"}} for each of `names` from its newest computation at `profile` on `cpu`
    in this artifacts folder's log (a stage missing there was never computed here on that CPU)."""
    found = {}
    for entry in read(Path(root) / LOG_FILE):
        if entry.get("profile") == profile and entry.get("cpu") == cpu and entry["stage"] in names:
            found[entry["stage"]] = {"seconds": entry["seconds"], "run": entry["run"]}
    return found


def with_logged(root: Path, profile: str, seconds: dict[str, float], cpu: str) -> tuple[dict[str, float], dict]:
    """Return (`seconds` with each 0, a stage read from cache, replaced by its logged computation's seconds on
    `cpu`, and the logged entries {stage: {"seconds", "run"}} found)."""
    logged = computed_seconds(root, profile, list(seconds), cpu)
    return {name: s if s > 0 else logged.get(name, {}).get("seconds", 0.0) for name, s in seconds.items()}, logged


def made_twice(entries: list[dict]) -> dict[str, dict[str, list[str]]]:
    """Return {run: {artifact: [stages that wrote it]}} for every artifact a run wrote in more than one stage."""
    runs: dict[str, dict[str, list[str]]] = {}
    for entry in entries:
        for artifact in entry.get("created", []):
            runs.setdefault(entry["run"], {}).setdefault(artifact, []).append(entry["stage"])
    return {run: {a: s for a, s in made.items() if len(s) > 1} for run, made in runs.items()}


def summary(path: Path) -> str:
    """Return, per run in the log, its stages computed, seconds, artifacts written and those written twice."""
    entries = read(path)
    lines = []
    for run, twice in made_twice(entries).items():
        mine = [e for e in entries if e["run"] == run]
        created = sum(len(e.get("created", [])) for e in mine)
        lines.append(f"run {run} (profile {mine[0]['profile']}): {len(mine)} stages computed in "
                     f"{sum(e['seconds'] for e in mine):,.0f} s, {created} artifacts written, "
                     f"{len(twice)} written by more than one stage" + "".join(f"\n  {a}: {', '.join(s)}"
                                                                                 for a, s in twice.items()))
    return "\n".join(lines) or f"{path}: no stage computed yet"


if __name__ == "__main__":
    print(summary(Path(sys.argv[1] if len(sys.argv) > 1 else f"artifacts/{LOG_FILE}")))
