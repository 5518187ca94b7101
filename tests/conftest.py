"""Shared test helpers: tiny AG News files written on the fly, and the shared data folder."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

import elmo_lib  # noqa: F401  before numpy: it pins OpenBLAS's kernels (elmo_lib.blas)

# what runs in the project's own artifacts/ folder: the notebooks under nbval, and the smoke report's tests
PROJECT_ARTIFACTS_USERS = ("notebooks/", "tests/test_report_build.py")


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


def pytest_configure(config):
    """Under pytest-xdist, give each worker its share of the cores (inherited by the notebooks it runs)."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[name] = str(max(1, cores // int(workers)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Return pytest-xdist's scheduler for `make test`: each file's tests on one worker, and everything that runs
    in the project's own artifacts/ folder on one worker in turn, since a second run on a held folder is refused."""
    from xdist.scheduler import LoadScopeScheduling

    class FileOrProjectArtifactsScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            return "project artifacts" if path.startswith(PROJECT_ARTIFACTS_USERS) else path

    return FileOrProjectArtifactsScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, queue the tests that use the project's artifacts/ folder first: together they are the
    longest share of one worker, so starting them last would leave the other worker idle at the end."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: not item.nodeid.startswith(PROJECT_ARTIFACTS_USERS))


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
