"""What a newcomer meets: relative paths from any folder, data-file mistakes named with their fix,
and a failed report that never costs the last good one (see also test_report_build.py)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from elmo_lib.config import get_profile
from elmo_lib.data import DataError, read_split, split_path
from elmo_lib.registry import model_keys
from tests.conftest import write_canonical

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_report_from_a_subfolder_with_relative_paths_and_only_the_rows_asked_for(shared_dir, tmp_path):
    """The TF-IDF row alone, so this costs seconds; the whole smoke report also runs from a subfolder with relative
    paths (the smoke_report fixture of tests/test_report_build.py)."""
    cwd = ROOT / "tests"  # a folder of the checkout that is not its root
    out = tmp_path / "report"
    # a global "elmo-lib" kernelspec left by another checkout whose Python is gone: the report runs this Python anyway
    stale = tmp_path / "jupyter-data" / "kernels" / "elmo-lib"
    stale.mkdir(parents=True)
    (stale / "kernel.json").write_text(json.dumps({"argv": ["/gone/.venv/bin/python", "-m", "ipykernel_launcher", "-f",
                                                            "{connection_file}"], "display_name": "gone", "language": "python"}))
    env = {**os.environ, "AG_NEWS_DIR": os.path.relpath(Path(shared_dir).resolve(), cwd),
           "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data")}
    env.pop("ELMO_ARTIFACTS", None)
    run = subprocess.run([sys.executable, "-m", "elmo_lib", "report", "--profile", "smoke", "--no-pdf",
                          "--out", os.path.relpath(out, cwd), "--artifacts", os.path.relpath(tmp_path / "artifacts", cwd),
                          "--set", "elmo.modes=[]", "--set", "elmo.concat_modes=[]", "--set", "elmo.finetune_lr_scale=None",
                          "--set", 'static_methods=["tfidf"]'],
                         capture_output=True, text=True, timeout=900, cwd=cwd, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert (out / "index.html").is_file() and (out / "metrics.json").is_file()
    assert not (out / "report.pdf").exists() and "(no PDF)" in run.stdout
    assert oct((out / "metrics.json").stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    models = json.loads((out / "metrics.json").read_text())["models"]
    assert list(models) == ["tfidf"]  # elmo.modes and static_methods are honoured
    executed = nbformat.read(out / "notebooks" / "01_data.ipynb", as_version=4)
    assert executed.metadata.kernelspec.name == "elmo-lib"  # opens in Jupyter with the project's kernel
    # no ELMo row asked for: the report trains no biLM (it used to, for its pretraining plot) and says so
    assert "No ELMo row in this run, so no biLM was trained." in (out / "notebooks" / "04_report.ipynb").read_text()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_relative_data_dir_resolves_from_the_working_directory_and_from_notebooks(tmp_path, monkeypatch):
    write_canonical(tmp_path / "data" / "ag_news" / "train.csv", [("1", "t", "d")])
    write_canonical(tmp_path / "data" / "ag_news" / "test.csv", [("1", "t", "d")])
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "elmo_lib").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.delenv("AG_NEWS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert split_path(None, "train") == tmp_path / "data" / "ag_news" / "train.csv"
    monkeypatch.chdir(tmp_path / "notebooks")  # Jupyter's working directory: the default still resolves
    assert split_path(None, "train") == tmp_path / "data" / "ag_news" / "train.csv"
    monkeypatch.setenv("AG_NEWS_DIR", "../data/ag_news")
    assert split_path(None, "train").resolve() == tmp_path / "data" / "ag_news" / "train.csv"


def test_a_directory_fifo_or_link_loop_named_train_csv_is_named_as_such(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "train.csv").mkdir()
    with pytest.raises(DataError, match="is a directory"):
        split_path(tmp_path / "dir", "train")
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "train.csv")
    with pytest.raises(DataError, match="not a regular file"):
        split_path(tmp_path / "fifo", "train")
    (tmp_path / "loop").mkdir()
    os.symlink("train.csv", tmp_path / "loop" / "train.csv")
    with pytest.raises(DataError, match="loops or points nowhere"):
        split_path(tmp_path / "loop", "train")


def test_long_description_is_read_and_unknown_header_is_named(tmp_path):
    long_text = "word " * 40_000  # 200,000 characters: past csv's default field limit
    write_canonical(tmp_path / "long.csv", [("2", "t", long_text)])
    assert read_split(tmp_path / "long.csv").texts[0] == long_text
    (tmp_path / "label.csv").write_text("label,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"label.csv line 1: header 'label,text' is not an AG News header"):
        read_split(tmp_path / "label.csv")
    (tmp_path / "reordered.csv").write_text("Description,Class Index\nhello,3\n", encoding="utf-8")
    split = read_split(tmp_path / "reordered.csv")
    assert split.texts == ["hello"] and split.labels.tolist() == [2]


@pytest.mark.slow
def test_failing_notebook_names_notebook_and_cell_and_keeps_the_last_report(shared_dir, tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    broken = nbformat.read(notebooks / "03_model.ipynb", as_version=4)
    broken.cells.insert(3, nbformat.v4.new_code_cell("x = 1\nraise ValueError('deliberate failure')"))
    nbformat.write(broken, notebooks / "03_model.ipynb")
    out = tmp_path / "report"
    out.mkdir()
    previous = {name: f"last good {name}".encode() for name in ("index.html", "metrics.json", "report.pdf")}
    for name, content in previous.items():
        (out / name).write_bytes(content)
    # static rows only: the run fails in the first row, and no biLM is needed before it
    run = subprocess.run([sys.executable, "-m", "elmo_lib", "report", "--profile", "smoke", "--no-pdf",
                          "--out", str(out), "--notebooks", str(notebooks), "--artifacts", str(tmp_path / "artifacts"),
                          "--set", "elmo.modes=[]", "--set", "elmo.concat_modes=[]", "--set", "elmo.finetune_lr_scale=None"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 1
    first = model_keys(get_profile("smoke", {"elmo.modes": [], "elmo.concat_modes": [], "elmo.finetune_lr_scale": None}))[0]
    assert f"notebook 03_model.ipynb (03_model_{first}) failed in cell 3 (counting from 0, `x = 1`)" in run.stderr, run.stderr
    assert "deliberate failure" in run.stderr and "untouched" in run.stderr
    for name, content in previous.items():  # the last good report is byte-identical
        assert (out / name).read_bytes() == content
    assert not list(out.glob(".build-*"))
