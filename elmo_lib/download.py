"""Download the canonical AG News CSVs and check their MD5s (needs network)."""
from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from elmo_lib.data import DataError
from elmo_lib.io import atomic_path, file_digest

BASE_URL = "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv"
CANONICAL_MD5 = {"train": "b1a00f826fdfbd249f79597b59e1dc12", "test": "d52ea96a97a2d943681189a97654912d"}


def download_ag_news(folder: str | Path, base_url: str = BASE_URL, timeout: float = 60.0) -> dict[str, Path]:
    """Return {split: path} after downloading train.csv and test.csv into `folder`, MD5-checked.

    A file already present with the right MD5 is kept; nothing half-downloaded is ever left behind.
    """
    folder = Path(folder)
    paths = {}
    for split, expected in CANONICAL_MD5.items():
        path = folder / f"{split}.csv"
        if path.is_file() and file_digest(path, "md5") == expected:
            print(f"{path}: present, MD5 {expected} OK")
            paths[split] = path
            continue
        url = f"{base_url}/{split}.csv"
        print(f"downloading {url} -> {path}")
        with atomic_path(path) as tmp:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
            except (urllib.error.URLError, OSError) as err:
                raise DataError(f"could not download {url} ({err}). Are you offline? Copy AG News "
                                f"train.csv/test.csv into {folder} or set AG_NEWS_DIR to a folder holding them.") from None
            actual = file_digest(tmp, "md5")
            if actual != expected:
                raise DataError(f"{url}: MD5 {actual} differs from the canonical {expected}; "
                                f"the download is not the canonical AG News {split} file and was discarded.")
        paths[split] = path
    return paths
