"""Shared test helpers: tiny AG News files written on the fly, and the shared data folder."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest


def write_canonical(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Write rows in the canonical AG News form (no header, every field quoted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return path


TINY_ROWS = [
    ("1", "Talks stall", "Leaders met in Geneva to discuss the peace talks."),
    ("2", "Team wins", "The home team won the cup final on Sunday."),
    ("3", "Stocks rise", "Shares rose as oil prices fell #36;2 a barrel."),
    ("4", "New chip", "Intel unveiled a faster chip for laptops."),
]


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """Return a folder with a tiny canonical train.csv and test.csv."""
    write_canonical(tmp_path / "train.csv", TINY_ROWS * 3)
    write_canonical(tmp_path / "test.csv", TINY_ROWS)
    return tmp_path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Return the AG News folder named by AG_NEWS_DIR (the description-only course data in CI)."""
    folder = Path(os.environ.get("AG_NEWS_DIR", "data/ag_news"))
    if not (folder / "train.csv").is_file():
        pytest.skip(f"integration data not found in {folder}; set AG_NEWS_DIR")
    return folder
