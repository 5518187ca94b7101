"""Progress that moves: off a terminal, a long stage writes whole lines while it runs, and `elmo-lib report` prints
its plan with estimates, a line per stage, and estimated against actual at the end."""
import io
import os
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from elmo_lib.progress import LineProgress, progress

ROOT = Path(__file__).resolve().parents[1]


def test_off_a_terminal_progress_writes_whole_lines_with_rate_and_time_left(monkeypatch):
    monkeypatch.setenv("ELMO_PROGRESS_SECONDS", "0")
    err = io.StringIO()
    with redirect_stderr(err):
        bar = progress(range(5), desc="biLM epoch 1/3", unit="batch")
        assert isinstance(bar, LineProgress)
        for _ in bar:
            bar.set_postfix(loss="1.234")
    lines = err.getvalue().splitlines()
    assert len(lines) == 6 and "\r" not in err.getvalue()           # a line per step at interval 0, then the last
    assert lines[0].startswith("  biLM epoch 1/3: 1/5 batch (") and "left) loss=1.234" in lines[0]
    assert lines[-1].startswith("  biLM epoch 1/3: 5/5 batch")


def test_a_step_slower_than_a_second_reads_as_seconds_per_step(monkeypatch):
    clock = iter([0.0, 0.0, 27.5, 55.0, 55.0])                        # started, last, two steps of 27.5 s, the end
    monkeypatch.setattr("elmo_lib.progress.time.perf_counter", lambda: next(clock))
    err = io.StringIO()
    with redirect_stderr(err):
        list(LineProgress(range(2), "skipgram window sweep", "window", 4, interval=0))
    lines = err.getvalue().splitlines()
    assert lines[0] == "  skipgram window sweep: 1/4 window (27.5 s/window, 1:22 left)"
    assert lines[-1] == "  skipgram window sweep: 2/4 window (27.5 s/window, 0:55 left)"


def test_a_short_loop_under_the_interval_writes_nothing(monkeypatch):
    monkeypatch.setenv("ELMO_PROGRESS_SECONDS", "30")
    err = io.StringIO()
    with redirect_stderr(err):
        assert list(progress(range(3), desc="x")) == [0, 1, 2]
    assert err.getvalue() == ""


@pytest.mark.integration
def test_elmo_lib_report_prints_progress_while_a_stage_runs(shared_dir, tmp_path):
    env = {**os.environ, "ELMO_PROGRESS_SECONDS": "0.2", "AG_NEWS_DIR": str(shared_dir), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "elmo_lib", "report", "--profile", "smoke", "--no-pdf",
               "--artifacts", str(tmp_path / "artifacts"), "--out", str(tmp_path / "report"),
               "--set", "data.max_train_rows=1500", "--set", "pretrain.epochs=2", "--set", "static_methods=['svd']",
               "--set", "elmo.modes=['trainable']", "--set", "elmo.concat_modes=[]", "--set", "elmo.scratch_modes=[]",
               "--set", "elmo.finetune_lr_scale=None", "--set", "learning_curve=[]", "--set", "extras=[]"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    lines = []
    for line in run.stdout:
        lines.append((time.monotonic(), line.rstrip("\n")))
    assert run.wait(timeout=900) == 0, "\n".join(text for _, text in lines[-40:])
    text = [t for _, t in lines]
    assert text[0].startswith("plan: ") and any(t.strip().startswith("4. bilm: to compute") for t in text)
    start = next(i for i, t in enumerate(text) if "] bilm: biLM pretraining" in t)
    done = next(i for i, t in enumerate(text) if "] bilm: done in" in t)
    moving = [lines[i] for i in range(start, done) if text[i].startswith("  biLM epoch")]
    assert len(moving) >= 2 and moving[-1][0] > moving[0][0], "no progress line while the biLM trained"
    assert " batch/s, " in moving[0][1] and " left)" in moving[0][1]
    assert any(t.startswith("estimated against actual: ") for t in text)
    log = (tmp_path / "report" / "run.log").read_text(encoding="utf-8")
    assert "] bilm: done in" in log and "epoch 1: loss" in log       # the training logs are kept, beside the report
