"""Wall-clock figures kept apart from results: a stage's product has the same bytes on every run, its timing not.

    <stage folder>/metrics.json   the record (deterministic)      <stage folder>/timing.json   its seconds
"""
from __future__ import annotations

from pathlib import Path

from elmo_lib.io import read_json, write_json

TIMING_FILE = "timing.json"
RECORD_TIMING = ("wall_seconds", "train_seconds", "epoch_seconds")  # a classifier record's timing fields
EPOCH_TIMING = ("seconds", "tokens_per_second")     # a pretraining epoch's timing fields


def without_timing(entry: dict, fields: tuple[str, ...]) -> dict:
    """Return a copy of `entry` without the timing `fields`."""
    return {key: value for key, value in entry.items() if key not in fields}


def timing_of(entry: dict, fields: tuple[str, ...]) -> dict:
    """Return the timing `fields` of `entry` (those present)."""
    return {key: entry[key] for key in fields if key in entry}


def read_timing(folder: Path) -> dict:
    """Return the timing saved in `folder` ({} when none was kept or it is unreadable: timing is never a result)."""
    try:
        timing = read_json(Path(folder) / TIMING_FILE)
    except (OSError, ValueError):
        return {}
    return timing if isinstance(timing, dict) else {}


def write_timing(folder: Path, timing: dict) -> None:
    """Save `timing` in `folder` (atomically); on read-only storage it is left out, since no result depends on it."""
    try:
        write_json(Path(folder) / TIMING_FILE, timing)
    except OSError:
        pass
