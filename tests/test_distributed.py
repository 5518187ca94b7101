"""The pretraining entry point under torchrun: 2 CPU processes (gloo) match one process on the same global batch
(without dropout), and resume exactly (with dropout)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import write_canonical

SETTINGS = ["--profile", "smoke", "--set", "bilm.dropout=0.0", "--set", "pretrain.batch_size=16",
            "--set", "pretrain.max_steps_per_epoch=4", "--set", "pretrain.warmup_steps=1",
            "--set", "pretrain.lr=0.01", "--set", "pretrain.epochs=1", "--set", "data.max_train_rows=None",
            "--set", "data.max_test_rows=None", "--set", "vocab.min_freq=1"]


def _tiny_news(folder):
    rng = np.random.default_rng(0)
    words = [f"word{i}" for i in range(80)]
    def rows(n):
        return [(str(c + 1), "title", " ".join(rng.choice(words, size=rng.integers(3, 15))))
                for c in rng.integers(0, 4, size=n)]
    write_canonical(folder / "train.csv", rows(200))
    write_canonical(folder / "test.csv", rows(20))


def _run(command, tmp_path, name, *extra):
    log = tmp_path / f"{name}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run(command + ["pretrain", *SETTINGS, "--data-dir", str(tmp_path / "data"),
                                    "--artifacts", str(tmp_path / "artifacts"), "--checkpoint", str(tmp_path / f"{name}.pt"),
                                    "--log-json", str(log), *extra], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return [s["loss"] for s in json.loads(log.read_text())["steps"]]


TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "elmo_lib"]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    _tiny_news(tmp_path / "data")
    single = _run([sys.executable, "-m", "elmo_lib"], tmp_path, "single")
    double = _run(TORCHRUN, tmp_path, "ddp")
    assert len(single) == len(double) == 4
    np.testing.assert_allclose(double, single, rtol=1e-4)
    assert single[-1] < single[0]


@pytest.mark.slow
def test_two_processes_with_dropout_resume_exactly(tmp_path):
    """Each rank draws its own dropout masks (seed, rank); every rank's RNG is checkpointed, so an interrupted
    torchrun run resumes to the same losses as an uninterrupted one."""
    _tiny_news(tmp_path / "data")
    dropout = ["--set", "bilm.dropout=0.3", "--set", "pretrain.epochs=2"]
    straight = _run(TORCHRUN, tmp_path, "straight", *dropout)
    _run(TORCHRUN, tmp_path, "resumed", *dropout, "--max-steps", "5")
    resumed = _run(TORCHRUN, tmp_path, "resumed", *dropout, "--resume")
    assert len(straight) == 8 and resumed == straight
