"""Artifacts you can trust: targets tied to states, refused resumes, one writer, corrupt caches rebuilt."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from elmo_lib.checkpoint import CheckpointError
from elmo_lib.config import BiLMConfig
from elmo_lib.embeddings.bilm import BiLM
from elmo_lib.lock import LockError, exclusive
from elmo_lib.pretrain import pretrain_bilm
from tests.elmo_helpers import TINY_BILM, tiny_corpus, tiny_pretrain


def test_nll_is_the_hand_computed_sum_of_both_directions():
    """Forward state t predicts w_{t+1}, backward state t predicts w_{t-1}: a model that predicted w_t fails."""
    torch.manual_seed(0)
    model = BiLM(12, BiLMConfig(embed_dim=4, hidden=6, layers=1, dropout=0.0, softmax="full")).eval()
    ids = torch.tensor([[2, 5, 7, 9, 3]])
    with torch.no_grad():
        nll, count = model(ids, torch.tensor([5]))
        _, forward, backward = model.states(ids, torch.tensor([5]))
        fwd_logp = F.log_softmax(model.output(forward[-1][0]), dim=-1)
        bwd_logp = F.log_softmax(model.output(backward[-1][0]), dim=-1)
    expected = -sum(fwd_logp[t, ids[0, t + 1]] for t in range(4)) - sum(bwd_logp[t, ids[0, t - 1]] for t in range(1, 5))
    assert count == 8
    torch.testing.assert_close(nll, expected, rtol=1e-5, atol=1e-5)
    wrong = -sum(fwd_logp[t, ids[0, t]] for t in range(5)) - sum(bwd_logp[t, ids[0, t]] for t in range(5))
    assert abs(float(nll - wrong)) > 1e-3


def test_resume_refuses_changed_training_settings_naming_each(tmp_path):
    corpus = tiny_corpus()
    cfg = tiny_pretrain()
    pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / "b.pt", max_steps=2, device=torch.device("cpu"))
    changed = tiny_pretrain(lr=1e-2, batch_size=8)
    with pytest.raises(CheckpointError, match=r"pretrain.batch_size: checkpoint 16, now 8; pretrain.lr: checkpoint 0.003, now 0.01"):
        pretrain_bilm(corpus, TINY_BILM, changed, tmp_path / "b.pt", resume=True, device=torch.device("cpu"))
    import dataclasses
    with pytest.raises(CheckpointError, match="bilm.dropout"):
        pretrain_bilm(corpus, dataclasses.replace(TINY_BILM, dropout=0.3), cfg, tmp_path / "b.pt", resume=True,
                      device=torch.device("cpu"))
    longer = tiny_pretrain(epochs=3)  # more epochs is a continuation, not a different run
    pretrain_bilm(corpus, TINY_BILM, longer, tmp_path / "b.pt", resume=True, device=torch.device("cpu"))


def test_cli_pretrain_refuses_to_overwrite_without_force(tmp_path, tiny_dir, capsys):
    from elmo_lib.cli import main
    args = ["pretrain", "--profile", "smoke", "--data-dir", str(tiny_dir), "--artifacts", str(tmp_path),
            "--set", "pretrain.epochs=1", "--set", "data.max_train_rows=12", "--set", "data.max_test_rows=4"]
    assert main(args) == 0
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "holds a finished biLM" in err and "--force" in err
    assert main(args + ["--force"]) == 0


def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path):
    import os
    with exclusive(tmp_path, "the artifacts folder"):
        with pytest.raises(LockError, match=f"PID {os.getpid()}"):
            with exclusive(tmp_path, "the artifacts folder"):
                pass
    with exclusive(tmp_path, "the artifacts folder"):  # released afterwards
        pass


def _small_study(shared_dir, root):
    from elmo_lib.config import get_profile
    from elmo_lib.study import Study
    overrides = {"data.data_dir": str(shared_dir), "data.max_train_rows": 600, "data.max_test_rows": 200,
                 "classifier.max_epochs": 1, "pretrain.epochs": 1, "svd.windows": [2], "elmo.modes": ["frozen"],
                 "elmo.concat_modes": [], "elmo.finetune_lr_scale": None, "static_methods": ["svd"]}
    return Study(get_profile("smoke", overrides), root)


def test_corrupt_metrics_embeddings_and_layers_are_rebuilt(shared_dir, tmp_path, capsys):
    first = _small_study(shared_dir, tmp_path).results()
    capsys.readouterr()
    metrics = next(tmp_path.glob("svd/*/metrics.json"))
    metrics.write_text(metrics.read_text()[:100])                                  # truncated
    next(tmp_path.glob("svd_embeddings/*/embeddings/vectors.npy")).write_bytes(b"")  # empty
    layers = next(tmp_path.glob("bilm/*/features-*/train.npy"))
    layers.write_bytes(layers.read_bytes()[:1000])                                 # truncated
    next(tmp_path.glob("elmo_frozen/*/metrics.json")).unlink()                     # so the layers are read again
    second = _small_study(shared_dir, tmp_path).results()
    out = capsys.readouterr().out
    assert "corrupt artifact" in out and "corrupt embeddings" in out and "corrupt cached layers" in out
    assert json.loads(metrics.read_text())["test"] == first["svd"]["test"]
    assert second["elmo_frozen"]["test"] == first["elmo_frozen"]["test"]
    assert np.load(layers, mmap_mode="r").shape[0] > 0


def test_edited_records_and_zeroed_layers_are_caught(shared_dir, tmp_path, capsys):
    """A hand-edited metrics.json is rebuilt on read; layers zeroed in place (same size) are caught by verify."""
    from elmo_lib.cli import main
    first = _small_study(shared_dir, tmp_path).results()
    metrics = next(tmp_path.glob("svd/*/metrics.json"))
    record = json.loads(metrics.read_text())
    record["test"]["accuracy"] = 0.99
    metrics.write_text(json.dumps(record, indent=2))                        # valid JSON, edited by hand
    layers = next(tmp_path.glob("bilm/*/features-*/train.npy"))
    with open(layers, "r+b") as fh:                                          # zeroed in place: same size and shape
        fh.seek(4096)
        fh.write(bytes(64 * 1024))
    capsys.readouterr()
    assert main(["verify", "--artifacts", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{metrics}: " in out and f"{layers}: contents differ" in out and "2 not to be trusted" in out
    assert main(["verify", "--artifacts", str(tmp_path), "--delete"]) == 1
    assert not layers.exists() and not metrics.exists()
    next(tmp_path.glob("elmo_frozen/*/metrics.json")).unlink()               # so the layers are read again
    second = _small_study(shared_dir, tmp_path).results()
    assert second["svd"]["test"] == first["svd"]["test"] and second["elmo_frozen"]["test"] == first["elmo_frozen"]["test"]
    capsys.readouterr()
    assert main(["verify", "--artifacts", str(tmp_path)]) == 0
    assert " 0 not to be trusted" in capsys.readouterr().out

    record = json.loads(metrics.read_text())                                 # edited again: the study itself refuses it
    record["test"]["accuracy"] = 0.99
    metrics.write_text(json.dumps(record, indent=2))
    third = _small_study(shared_dir, tmp_path).results()
    assert f"{metrics}: corrupt artifact" in capsys.readouterr().out
    assert third["svd"]["test"] == first["svd"]["test"]


def test_a_complete_cache_on_read_only_storage_is_used_without_writing(shared_dir, tmp_path, monkeypatch):
    """Every artifact write goes through io.atomic_path (tempfile.mkstemp): on a complete cache none happens,
    and the tree is left exactly as it was."""
    import errno
    import tempfile
    first = _small_study(shared_dir, tmp_path).results()
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    again = _small_study(shared_dir, tmp_path).results()
    assert again == json.loads(json.dumps(first))
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
    with exclusive(tmp_path / "missing" / "nested", "the artifacts folder"):  # an unwritable folder takes no lock
        pass


@pytest.mark.slow
def test_two_concurrent_runs_one_waits_out_with_the_holders_pid(shared_dir, tmp_path):
    """Two real processes on one artifacts folder: the second exits (code 3) naming the first's PID, writes
    nothing, and the first's artifacts verify."""
    import os
    import subprocess
    import sys
    import time
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    common = ["--profile", "smoke", "--data-dir", str(shared_dir), "--artifacts", str(tmp_path)]
    # two biLM epochs: long enough to still be running when the second run has started and given up
    first = subprocess.Popen([sys.executable, "-m", "elmo_lib", "pretrain", *common, "--set", "pretrain.epochs=2"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / ".lock"
    deadline = time.time() + 60
    while not (lock.is_file() and lock.read_text().strip() == str(first.pid)) and time.time() < deadline:
        time.sleep(0.05)
    second = subprocess.run([sys.executable, "-m", "elmo_lib", "static", "svd", *common], env=env,
                            capture_output=True, text=True, timeout=120)
    assert first.poll() is None, "the first run ended before the second started; the test proves nothing"
    assert second.returncode == 3 and f"PID {first.pid}" in second.stderr
    assert not list(tmp_path.glob("svd*"))
    assert first.wait(timeout=300) == 0
    assert subprocess.run([sys.executable, "-m", "elmo_lib", "verify", "--artifacts", str(tmp_path)],
                          env=env, capture_output=True, text=True).returncode == 0


@pytest.mark.parametrize("pattern, what", [("data/*/vocab.json", "corrupt vocabulary"),
                                           ("probes/*/probes.json", "corrupt artifact"),
                                           ("epoch_curve/*/epoch_curve.json", "corrupt artifact"),
                                           ("bilm/*/bilm.pt", "not a readable checkpoint")])
def test_every_other_artifact_kind_truncated_is_rebuilt_with_a_line_naming_it(shared_dir, tmp_path, capsys,
                                                                              pattern, what):
    study = _small_study(shared_dir, tmp_path)
    first = {"results": study.results(), "probes": study.probes(), "curve": study.epoch_curve()}
    target = next(tmp_path.glob(pattern))
    target.write_bytes(target.read_bytes()[:40])
    if target.name == "bilm.pt":  # a rewritten checkpoint must not be paired with the old rows: drop them too
        for metrics in tmp_path.glob("elmo_*/*/metrics.json"):
            metrics.unlink()
    capsys.readouterr()
    again = _small_study(shared_dir, tmp_path)
    second = {"results": again.results(), "probes": again.probes(), "curve": again.epoch_curve()}
    out = capsys.readouterr().out
    assert str(target) in out and what in out
    for found in (first, second):  # the same numbers (a retrained row differs only in its timings)
        found["results"] = {key: record["test"] for key, record in found["results"].items()}
    assert json.loads(json.dumps(second)) == json.loads(json.dumps(first))


def test_a_corrupt_saved_classifier_is_refused_with_the_fix(shared_dir, tmp_path):
    from elmo_lib.study import NotTrainedError
    study = _small_study(shared_dir, tmp_path)
    study.results()
    weights = next(tmp_path.glob("svd/*/classifier.pt"))
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(NotTrainedError, match=r"no usable classifier.pt \(.*bytes.*\); delete that folder"):
        _small_study(shared_dir, tmp_path).trained_row("svd")


def test_a_rewritten_checkpoint_gets_new_layers_and_rows_not_the_stale_ones(shared_dir, tmp_path, capsys):
    """Every weight of a finished bilm.pt + 0.05 (the issue's case): the cached layers and the ELMo rows are keyed
    by the checkpoint's SHA-256, so the next run builds new ones instead of reusing the stale ones."""
    from elmo_lib.checkpoint import load_checkpoint, save_checkpoint
    from elmo_lib.io import file_digest
    first = _small_study(shared_dir, tmp_path).results()["elmo_frozen"]
    checkpoint = next(tmp_path.glob("bilm/*/bilm.pt"))
    state = load_checkpoint(checkpoint)
    state["model"] = {k: v + 0.05 if v.is_floating_point() else v for k, v in state["model"].items()}
    save_checkpoint(checkpoint, state)
    capsys.readouterr()
    second = _small_study(shared_dir, tmp_path).results()["elmo_frozen"]
    assert "changed since its sidecar was written" in capsys.readouterr().out
    assert first["settings"]["bilm_sha256"] != second["settings"]["bilm_sha256"] == file_digest(checkpoint)
    assert len(list(checkpoint.parent.glob("features-*"))) == 2
    assert len(list(tmp_path.glob("elmo_frozen/*/metrics.json"))) == 2


def test_the_function_learning_rate_keys_the_function_row_and_no_other(tmp_path):
    from elmo_lib.config import get_profile
    from elmo_lib.study import Study
    paths = {}
    for scale in (0.1, 0.5):
        study = Study(get_profile("smoke", {"elmo.function_lr_scale": scale}), tmp_path)
        study.__dict__["data_key"] = {"files": "the same data"}
        paths[scale] = {mode: study._elmo_record_path(mode, None, "a digest") for mode in ("trainable", "frozen", "function")}
    assert paths[0.1]["function"] != paths[0.5]["function"]
    assert paths[0.1]["trainable"] == paths[0.5]["trainable"] and paths[0.1]["frozen"] == paths[0.5]["frozen"]


def test_the_fine_tuned_row_has_its_own_cache_key_and_leaves_every_other_rows_key_alone(tiny_dir, tmp_path):
    from elmo_lib.config import get_profile
    from elmo_lib.study import Study
    without = Study(get_profile("smoke", {"data.data_dir": str(tiny_dir), "elmo.finetune_lr_scale": None}), tmp_path)
    with_row = Study(get_profile("smoke", {"data.data_dir": str(tiny_dir)}), tmp_path)
    digest = "0" * 64
    for mode in ("trainable", "frozen", "function"):
        assert with_row._elmo_record_path(mode, None, digest) == without._elmo_record_path(mode, None, digest)
    tuned = with_row._elmo_record_path("trainable", None, digest, finetuned=True)
    assert tuned.parts[-3] == "elmo_finetuned" and tuned != with_row._elmo_record_path("trainable", None, digest)
    other_rate = Study(get_profile("smoke", {"data.data_dir": str(tiny_dir), "elmo.finetune_lr_scale": 0.2}), tmp_path)
    assert other_rate._elmo_record_path("trainable", None, digest, finetuned=True) != tuned
