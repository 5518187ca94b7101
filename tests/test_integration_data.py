"""Integration: `elmo-lib data check` on the shared copies of AG News (course and canonical formats)."""
import os
from pathlib import Path

import pytest

from elmo_lib.cli import main


@pytest.mark.integration
def test_data_check_course_format(shared_dir, capsys):
    assert main(["data", "check", "--data-dir", str(shared_dir)]) == 0
    out = capsys.readouterr().out
    if shared_dir.name == "news_classification":
        assert "train: 48,415 rows (World 12,131, Sports 11,878, Business 12,005, Sci/Tech 12,401)" in out
    assert "test: 7,600 rows (World 1,900, Sports 1,900, Business 1,900, Sci/Tech 1,900)" in out


@pytest.mark.integration
def test_data_check_canonical_format_with_titles(capsys):
    folder = Path(os.environ.get("AG_NEWS_CANONICAL_DIR", "../shared/data/ag_news"))
    if not (folder / "train.csv").is_file():
        pytest.skip(f"canonical AG News not found in {folder}; set AG_NEWS_CANONICAL_DIR")
    assert main(["data", "check", "--data-dir", str(folder), "--text-field", "title+description"]) == 0
    out = capsys.readouterr().out
    assert "train: 20,805 rows (World 5,116, Sports 5,096, Business 5,404, Sci/Tech 5,189)" in out
    assert "test: 7,600 rows" in out
