"""benchmarks/schedule_cpu.py: what it keeps of a trained row, and the rows it refuses before training anything."""
from __future__ import annotations

import pytest

from tests.elmo_helpers import load_benchmark


def _harness():
    return load_benchmark("schedule_cpu")


def test_a_rows_figures_keep_its_validation_curve_and_the_seconds_to_its_best_epoch():
    history = [{"epoch": e, "val_accuracy": a} for e, a in enumerate([0.80, 0.90, 0.85], start=1)]
    record = {"history": history, "best_epoch": 2, "epoch_seconds": [10.0, 12.5, 11.0], "stop_reason": "patience",
              "validation": {"accuracy": 0.90}, "test": {"accuracy": 0.89}}
    figures = _harness().measured(record)
    assert (figures["seconds_to_best"], figures["seconds_all"], figures["epochs"]) == (22.5, 33.5, 3)
    assert figures["val_accuracy_by_epoch"] == [0.8, 0.9, 0.85]
    assert figures["epoch_seconds"] == [10.0, 12.5, 11.0]


def test_a_row_the_profile_does_not_train_is_refused_before_any_folder_is_made(tmp_path):
    with pytest.raises(SystemExit, match="--rows tfidf: not a classifier row of profile smoke"):
        _harness().main(str(tmp_path / "artifacts"), "smoke", 5, str(tmp_path / "out.json"),
                        work=str(tmp_path / "work"), only=["tfidf"], candidate_only=True)
    assert not (tmp_path / "work").exists()
