import subprocess
import sys

import numpy as np
import pytest

from elmo_lib.cli import main
from elmo_lib.data import DataError, read_split, split_path, stratified_split
from tests.conftest import TINY_ROWS, write_canonical


def test_reads_canonical_form(tiny_dir):
    split = read_split(tiny_dir / "train.csv")
    assert len(split) == 12
    assert split.labels[:4].tolist() == [0, 1, 2, 3]
    assert split.texts[0] == TINY_ROWS[0][2]
    assert split.lines[:3].tolist() == [1, 2, 3]


def test_title_plus_description(tiny_dir):
    split = read_split(tiny_dir / "train.csv", text_field="title+description")
    assert split.texts[0] == "Talks stall Leaders met in Geneva to discuss the peace talks."


def test_reads_headered_forms(tmp_path):
    (tmp_path / "a.csv").write_text('Class Index,Title,Description\n3,T,"Oil, gas"\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text("Class Index,Description\n4,Chips\n2,Goal\n", encoding="utf-8")
    a = read_split(tmp_path / "a.csv", text_field="title+description")
    b = read_split(tmp_path / "b.csv")
    assert (a.texts, a.labels.tolist(), a.lines.tolist()) == (["T Oil, gas"], [2], [2])
    assert (b.texts, b.labels.tolist(), b.lines.tolist()) == (["Chips", "Goal"], [3, 1], [2, 3])
    with pytest.raises(DataError, match="no Title column"):
        read_split(tmp_path / "b.csv", text_field="title+description")


BAD_CASES = {
    "fields": ('"1","only two"\n', "line 2: expected 3 fields, found 2"),
    "class": ('"7","t","d"\n', 'line 2: class "7" is not one of 1-4'),
    "empty": ('"2","t","   "\n', "line 2: empty description"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_rows_name_file_and_line(tmp_path, case):
    body, message = BAD_CASES[case]
    path = tmp_path / "train.csv"
    path.write_text('"1","ok","fine"\n' + body + '"3","ok","fine"\n', encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_split(path)
    assert f"train.csv {message}" in str(err.value)
    assert str(path) in str(err.value)
    skipped = read_split(path, skip_bad_rows=True)
    assert len(skipped) == 2 and [b.line for b in skipped.skipped] == [2]


def test_undecodable_bytes_name_the_line(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b'"1","ok","fine"\n"2","ok","fine"\n"3","bad","caf\xe9"\n')
    with pytest.raises(DataError, match=r"train.csv line 3: bytes b'\\xe9' are not valid UTF-8"):
        read_split(path)
    assert [b.line for b in read_split(path, skip_bad_rows=True).skipped] == [3]


def test_empty_file(tmp_path):
    (tmp_path / "train.csv").write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="the file is empty"):
        read_split(tmp_path / "train.csv")


def test_missing_folder_and_file_say_how_to_get_data(tmp_path):
    with pytest.raises(DataError, match=r'folder not found: .*make data.*AG_NEWS_DIR'):
        split_path(tmp_path / "nope", "train")
    with pytest.raises(DataError, match=r'file not found: .*test.csv.*make data'):
        split_path(tmp_path, "test")


def test_cli_exits_non_zero_with_the_message(tmp_path, capsys):
    write_canonical(tmp_path / "train.csv", [*TINY_ROWS, ("5", "t", "d")])
    write_canonical(tmp_path / "test.csv", TINY_ROWS)
    assert main(["data", "check", "--data-dir", str(tmp_path)]) == 2
    assert 'train.csv line 5: class "5" is not one of 1-4' in capsys.readouterr().err
    assert main(["data", "check", "--data-dir", str(tmp_path), "--skip-bad-rows"]) == 0
    assert "skipped 1 bad rows: line 5" in capsys.readouterr().out


def test_console_script_missing_data(tmp_path):
    run = subprocess.run([sys.executable, "-m", "elmo_lib", "data", "check", "--data-dir", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "Run \"make data\"" in run.stderr


def test_stratified_split_is_seeded_and_stratified():
    labels = np.repeat(np.arange(4), 100)
    kept, held = stratified_split(labels, 0.1, seed=3)
    assert np.bincount(labels[held]).tolist() == [10, 10, 10, 10]
    assert len(np.intersect1d(kept, held)) == 0 and len(kept) + len(held) == 400
    assert np.array_equal(held, stratified_split(labels, 0.1, seed=3)[1])
    assert not np.array_equal(held, stratified_split(labels, 0.1, seed=4)[1])
