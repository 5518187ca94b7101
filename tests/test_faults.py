"""The faults a demanding user meets: each gives a message naming the file, line or setting, the value and the fix,
trusts nothing it should not, and leaves nothing half-written."""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from elmo_lib.cli import main
from elmo_lib.config import SettingError, get_profile
from elmo_lib.data import DataError, read_news, read_split
from tests.conftest import TINY_ROWS, write_canonical
from tests.test_trust import _small_study

ROOT = Path(__file__).resolve().parents[1]


# ---- silent wrong results ---------------------------------------------------------------------------------
def test_a_zeroed_block_inside_the_cached_layers_is_caught_on_read(shared_dir, tmp_path, capsys):
    first = _small_study(shared_dir, tmp_path).results()
    layers = next(tmp_path.glob("bilm/*/features-*/train.npy"))
    with open(layers, "r+b") as fh:                       # zeroed inside, same size and shape
        fh.seek(layers.stat().st_size // 2)
        fh.write(bytes(256 * 1024))
    next(tmp_path.glob("elmo_frozen/*/metrics.json")).unlink()   # so the layers are read again
    capsys.readouterr()
    second = _small_study(shared_dir, tmp_path).results()
    assert f"{layers}: corrupt cached layers (contents differ" in capsys.readouterr().out
    assert second["elmo_frozen"]["test"] == first["elmo_frozen"]["test"]


def test_an_edited_embeddings_info_json_is_not_trusted(shared_dir, tmp_path, capsys):
    from elmo_lib.sidecar import verify_folder
    _small_study(shared_dir, tmp_path).static_embeddings("svd")
    info = next(tmp_path.glob("svd_embeddings/*/embeddings/info.json"))
    record = json.loads(info.read_text())
    record["window"] = 7                                   # a window never swept
    info.write_text(json.dumps(record))
    assert info in verify_folder(tmp_path)[1]
    capsys.readouterr()
    again = _small_study(shared_dir, tmp_path).static_embeddings("svd")
    assert "corrupt embeddings" in capsys.readouterr().out and again.info["window"] == 2


@pytest.mark.parametrize("classes", [("1",), ("1", "2")])
def test_training_data_without_every_class_is_refused_naming_the_missing(tmp_path, classes):
    write_canonical(tmp_path / "train.csv", [row for row in TINY_ROWS * 3 if row[0] in classes])
    write_canonical(tmp_path / "test.csv", TINY_ROWS)
    with pytest.raises(DataError, match=r"train.csv: no rows of .*Business \(class 3: 0 rows\)"):
        read_news(tmp_path)


def test_test_data_without_every_class_is_refused(tmp_path):
    write_canonical(tmp_path / "train.csv", TINY_ROWS * 3)
    write_canonical(tmp_path / "test.csv", TINY_ROWS[:3])
    with pytest.raises(DataError, match=r"test.csv: no rows of Sci/Tech \(class 4: 0 rows\)"):
        read_news(tmp_path)


@pytest.mark.parametrize("key, value, message", [
    ("classifier.lr", 1e999, "must be a finite number"), ("pretrain.lr", float("nan"), "must be a finite number"),
    ("skipgram.windows", [], "give at least one value"), ("svd.windows", (), "give at least one value"),
    ("bilm.cutoffs", [8000, 2000], "strictly increasing"), ("bilm.cutoffs", [2000, 2000], "strictly increasing")])
def test_settings_that_cannot_train_are_refused_up_front(key, value, message):
    with pytest.raises(SettingError, match=message):
        get_profile("smoke", {key: value})


def test_a_loss_that_is_not_finite_stops_training_naming_the_setting():
    import torch

    from elmo_lib.batching import TokenIdSource
    from elmo_lib.classify import build_classifier, fit_classifier
    from elmo_lib.config import ClassifierConfig
    from elmo_lib.corpus import EncodedSplit
    from elmo_lib.embeddings.static import StaticEncoder
    from elmo_lib.errors import TrainingError
    split = EncodedSplit("train", [np.array([1, 2, 3], np.int32)] * 8, np.arange(8) % 4)
    cfg = ClassifierConfig(hidden=4, max_epochs=2, warmup_steps=0)
    model = build_classifier(lambda: StaticEncoder(np.full((5, 3), np.nan, np.float32)), cfg)  # diverged weights
    with pytest.raises(TrainingError, match=r"training loss is nan in epoch 1.*classifier.lr=0.002.*lower classif"):
        fit_classifier(model, TokenIdSource(split), TokenIdSource(split), cfg, torch.device("cpu"))


@pytest.mark.parametrize("size", ["-1", "0"])
def test_predict_refuses_a_batch_size_below_one(size, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["predict", "--model", "svd", "--batch-size", size, "Stocks fell"])
    assert exit_.value.code == 2 and f"must be at least 1, not {size}" in capsys.readouterr().err


def test_the_manifest_says_whether_the_tree_had_uncommitted_changes():
    from elmo_lib.provenance import git_dirty
    assert git_dirty() in (True, False)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                            text=True, cwd=ROOT).stdout
    assert git_dirty() == bool(status.strip())


# ---- messages where tracebacks were ----------------------------------------------------------------------
@pytest.mark.parametrize("rows", [5, 6])
def test_too_few_training_rows_for_a_validation_split_is_a_message(tiny_dir, rows):
    with pytest.raises(DataError, match=r"fewer than 3 rows of .*Raise data.max_train_rows"):
        from elmo_lib.corpus import build_corpus
        profile = get_profile("smoke", {"data.data_dir": str(tiny_dir), "data.max_train_rows": rows})
        build_corpus(profile.data, profile.vocab)


def _predict_inputs(tmp_path):
    long_line = tmp_path / "long.txt"
    long_line.write_text("stocks " * 150_000 + "\n")         # a 1 MB line
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Caf\xe9 prices rose\n".encode("latin-1"))
    return long_line, latin


def test_predict_reads_a_long_line_and_names_bad_encodings(tmp_path):
    import io

    from elmo_lib.predict import PredictError, decode_input, read_texts
    long_line, latin = _predict_inputs(tmp_path)
    texts = read_texts(io.StringIO(decode_input(long_line.read_bytes(), str(long_line)), newline=""), "long.txt")
    assert len(texts) == 1 and len(texts[0]) > 1_000_000
    with pytest.raises(PredictError, match=r"latin1.txt, line 1: bytes .* are not UTF-8 text.*iconv -f latin1"):
        decode_input(latin.read_bytes(), str(latin))
    with pytest.raises(PredictError, match=r"standard input, line 2: a NUL byte, so this is binary data"):
        decode_input(b"hello\n\x00\x01\x02", "standard input")


def test_predict_binary_stdin_and_a_folder_output_are_messages(tmp_path):
    env = {**os.environ, "ELMO_ARTIFACTS": str(tmp_path / "artifacts")}
    run = subprocess.run([sys.executable, "-m", "elmo_lib", "predict", "--profile", "smoke", "--model", "svd",
                          "--input", "-"], input=b"\x89PNG\r\n\x1a\n\x00\x00", capture_output=True, env=env, timeout=120)
    assert run.returncode == 2 and b"standard input, line 1: bytes" in run.stderr and b"Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "-m", "elmo_lib", "predict", "--profile", "smoke", "--model", "svd",
                          "--output", str(tmp_path), "Stocks fell"], capture_output=True, env=env, timeout=120)
    assert run.returncode == 2 and b"is a folder; give a file name" in run.stderr
    run = subprocess.run([sys.executable, "-m", "elmo_lib", "predict", "--profile", "smoke", "--model", "svd",
                          "--output", str(tmp_path / "no" / "such" / "p.csv"), "Stocks fell"], capture_output=True,
                         env=env, timeout=120)
    assert run.returncode == 2 and b"does not exist; create it" in run.stderr


def test_report_out_that_is_a_file_or_the_artifacts_folder_is_a_message(tmp_path, capsys):
    a_file = tmp_path / "report.txt"
    a_file.write_text("x")
    assert main(["report", "--profile", "smoke", "--no-pdf", "--out", str(a_file),
                 "--artifacts", str(tmp_path / "artifacts")]) == 1
    assert "is a file; give a folder" in capsys.readouterr().err
    assert main(["report", "--profile", "smoke", "--no-pdf", "--out", str(tmp_path / "same"),
                 "--artifacts", str(tmp_path / "same")]) == 1
    err = capsys.readouterr().err
    assert "--out and --artifacts are the same folder" in err and "another run" not in err


def test_an_incomplete_cache_on_read_only_storage_is_a_message(shared_dir, tmp_path, monkeypatch, capsys):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "artifacts"))
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    code = main(["static", "tfidf", "--profile", "smoke", "--data-dir", str(shared_dir),
                 "--artifacts", str(tmp_path / "artifacts")])
    err = capsys.readouterr().err
    assert code == 2 and "Read-only file system" in err and "pass --artifacts DIR" in err


def test_a_truncated_vocabulary_is_rebuilt_for_predict(shared_dir, tmp_path, capsys):
    from elmo_lib.predict import predictor_for
    study = _small_study(shared_dir, tmp_path)
    study.results()
    vocab = study.stage_dir("data") / "vocab.json"
    vocab.write_text(vocab.read_text()[:50])
    capsys.readouterr()
    classes, _ = predictor_for(_small_study(shared_dir, tmp_path), "svd").predict(["Stocks fell on Wall Street"])
    assert len(classes) == 1 and "rebuilding the vocabulary" in capsys.readouterr().err


def test_a_complete_cache_moved_to_read_only_storage_elsewhere_is_used_without_writing(shared_dir, tmp_path,
                                                                                       monkeypatch):
    first = _small_study(shared_dir, tmp_path / "here").results()
    shutil.copytree(tmp_path / "here", tmp_path / "there")
    shutil.rmtree(tmp_path / "here")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "there").rglob("*")}

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    again = _small_study(shared_dir, tmp_path / "there").results()
    assert {k: r["test"] for k, r in again.items()} == {k: r["test"] for k, r in first.items()}
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "there").rglob("*")} == before
    assert json.loads(next((tmp_path / "there").glob("bilm/*/log.json")).read_text())["checkpoint"] == "bilm.pt"


# ---- clearer messages ------------------------------------------------------------------------------------
def test_an_unterminated_quote_is_reported_at_the_line_it_opens(tmp_path):
    lines = [f'"{i % 4 + 1}","t","row {i}"' for i in range(11)] + ['"2","t","opened here', '"3","t","next"']
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"train.csv line 12.*the row that starts on line 12"):
        read_split(tmp_path / "train.csv")


def test_a_bad_class_in_the_first_row_is_named_as_a_bad_class(tmp_path):
    write_canonical(tmp_path / "train.csv", [("5", "t", "a row"), *TINY_ROWS])
    with pytest.raises(DataError, match=r'train.csv line 1: class "5" is not one of 1-4'):
        read_split(tmp_path / "train.csv")


def test_a_data_dir_that_is_a_file_says_so(tiny_dir):
    with pytest.raises(DataError, match=r"is a file, not a folder: pass the folder"):
        read_news(tiny_dir / "train.csv")


def test_a_checkpoint_holding_only_its_signature_names_what_is_missing(tmp_path, capsys):
    from elmo_lib.checkpoint import CheckpointError, save_checkpoint
    from elmo_lib.config import PretrainConfig
    from elmo_lib.bilm_store import finished_state
    save_checkpoint(tmp_path / "bilm.pt", {"signature": {"vocab_size": 5}})
    with pytest.raises(CheckpointError, match=r"an incomplete checkpoint \(no model, .*epoch.*Delete it"):
        finished_state(tmp_path / "bilm.pt", PretrainConfig())


def test_verify_on_a_mistyped_folder_creates_nothing_and_fails(tmp_path, capsys):
    assert main(["verify", "--artifacts", str(tmp_path / "artifcats")]) == 2
    assert "no artifacts folder at" in capsys.readouterr().err and not (tmp_path / "artifcats").exists()
    (tmp_path / "empty").mkdir()
    assert main(["verify", "--artifacts", str(tmp_path / "empty")]) == 1
    assert "nothing to verify" in capsys.readouterr().out


def test_a_full_disk_while_caching_layers_is_a_message_and_leaves_no_temp_file(tmp_path, monkeypatch):
    import torch

    from elmo_lib.config import BiLMConfig
    from elmo_lib.corpus import EncodedSplit
    from elmo_lib.embeddings.bilm import BiLM
    from elmo_lib.embeddings.features import compute_features
    from elmo_lib.io import atomic_path

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "posix_fallocate", full)
    split = EncodedSplit("train", [np.array([4, 5, 6], np.int32)] * 4, np.arange(4) % 4)
    with pytest.raises(OSError, match=r"no space left for the cached biLM layers .* free that much space"):
        with atomic_path(tmp_path / "train.npy") as tmp:
            compute_features(BiLM(10, BiLMConfig(embed_dim=4, hidden=4, softmax="full")), split,
                             torch.device("cpu"), path=tmp)
    assert list(tmp_path.iterdir()) == []


def test_epoch_snapshots_are_verified_and_a_bad_one_is_left_out_with_the_right_advice(shared_dir, tmp_path, capsys):
    from elmo_lib.sidecar import verify_folder
    study = _small_study(shared_dir, tmp_path)
    study.bilm
    snapshot = next(tmp_path.glob("bilm/*/epochs/bilm-epoch1.pt"))
    snapshot.write_bytes(snapshot.read_bytes()[:-100] + bytes(100))
    assert snapshot in verify_folder(tmp_path)[1]
    capsys.readouterr()
    assert _small_study(shared_dir, tmp_path).epoch_curve() == []
    out = capsys.readouterr().out
    assert "epoch 1 is left out of the curve" in out and "pretrain --force" in out and "train from scratch" not in out


def test_make_report_works_from_the_notebooks_folder():
    run = subprocess.run(["make", "-n", "-f", "../Makefile", "report"], cwd=ROOT / "notebooks", capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"{ROOT}/.venv/bin/python -m elmo_lib report" in run.stdout


# ---- the README's own command ----------------------------------------------------------------------------
def test_a_tuple_setting_reaches_the_notebooks_as_a_value_they_accept(tmp_path):
    from papermill.translators import PythonTranslator

    from elmo_lib.cli import build_parser, profile_overrides
    from elmo_lib.report_build import notebook_parameters
    args = build_parser().parse_args(["report", "--profile", "cpu", "--set", "seeds=3",
                                      "--set", "learning_curve=(0.01,0.03,0.1,0.3)", "--data-dir", str(tmp_path)])
    parameters = notebook_parameters("cpu", profile_overrides(args), tmp_path)
    scope: dict = {}
    exec(PythonTranslator.codify(parameters), scope)      # what papermill writes into the notebook
    profile = get_profile(scope["profile"], scope["overrides"])
    assert profile.learning_curve == (0.01, 0.03, 0.1, 0.3) and profile.seeds == 3


# ---- leftovers of killed runs ----------------------------------------------------------------------------
def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_dead_runs_are_removed_and_a_live_runs_are_kept(tmp_path):
    from elmo_lib.leftovers import remove_dead_staging, remove_dead_temp_files
    dead, live = _dead_pid(), os.getpid()
    (tmp_path / "bilm" / "k").mkdir(parents=True)
    gone = tmp_path / "bilm" / "k" / f".train.npy.{dead}.abc_1234.tmp"
    kept = tmp_path / "bilm" / "k" / f".train.npy.{live}.xyz_9876.tmp"
    gone.write_bytes(b"x" * 1000)
    kept.write_bytes(b"x")
    (tmp_path / f".build-{dead}-q1w2e3").mkdir()
    (tmp_path / f".build-{live}-r4t5y6").mkdir()
    assert remove_dead_temp_files(tmp_path) == [gone] and kept.exists()
    assert remove_dead_staging(tmp_path) == [tmp_path / f".build-{dead}-q1w2e3"]
    assert (tmp_path / f".build-{live}-r4t5y6").is_dir()


def test_temporary_names_carry_their_writers_pid(tmp_path):
    from elmo_lib.io import atomic_path
    from elmo_lib.leftovers import TEMP_FILE
    with atomic_path(tmp_path / "x.json") as tmp:
        assert int(TEMP_FILE.match(tmp.name).group(1)) == os.getpid()
        tmp.write_text("{}")


@pytest.mark.slow
@pytest.mark.integration
def test_ctrl_c_during_report_is_one_line_and_the_kernel_goes_too(shared_dir, tmp_path):
    env = {**os.environ, "AG_NEWS_DIR": str(Path(shared_dir).resolve())}
    run = subprocess.Popen([sys.executable, "-m", "elmo_lib", "report", "--profile", "smoke", "--no-pdf",
                            "--out", str(tmp_path / "report"), "--artifacts", str(tmp_path / "artifacts")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
                           # as in a terminal's foreground job: a test run started in the background (`cmd &` from
                           # a script) ignores SIGINT, and so would the report it starts
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(tmp_path.glob("artifacts/data/*/vocab.json")):
        time.sleep(0.5)                                 # a notebook is running in its kernel now
    os.killpg(run.pid, signal.SIGINT)                   # what Ctrl-C in a terminal sends: the whole process group
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130
    assert err.rstrip().splitlines()[-1].startswith("interrupted: nothing half-written was kept")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
