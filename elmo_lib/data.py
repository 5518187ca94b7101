"""AG News reading: canonical and headered CSVs, checked row by row, with errors that say how to fix them."""
from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from elmo_lib.names import TEXT_FIELDS
from elmo_lib.paths import resolve_path

CLASS_NAMES = ("World", "Sports", "Business", "Sci/Tech")
SPLITS = ("train", "test")
DEFAULT_DATA_DIR = Path("data/ag_news")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class DataError(ValueError):
    """An input problem a person can fix; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class BadRow:
    """One rejected row: its 1-based line in the file and why it was rejected."""

    line: int
    reason: str


@dataclass
class NewsSplit:
    """The rows of one AG News file: texts, labels 0..3 and the file line each row came from."""

    path: Path
    texts: list[str]
    labels: np.ndarray
    lines: np.ndarray
    skipped: list[BadRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: np.ndarray) -> "NewsSplit":
        """Return the rows at `indices` as a new split."""
        return NewsSplit(self.path, [self.texts[i] for i in indices], self.labels[indices],
                         self.lines[indices], self.skipped)


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return `data_dir`, else $AG_NEWS_DIR, else data/ag_news, as an absolute path (see paths.resolve_path)."""
    return resolve_path(data_dir or os.environ.get("AG_NEWS_DIR") or DEFAULT_DATA_DIR)


def split_path(data_dir: str | os.PathLike | None, split: str) -> Path:
    """Return the path of `split`.csv in the data folder, or raise DataError saying how to get it."""
    folder = resolve_data_dir(data_dir)
    path = folder / f"{split}.csv"
    if folder.is_file():
        raise DataError(f"{folder} is a file, not a folder: pass the folder that holds train.csv and test.csv "
                        f"(--data-dir {folder.parent} or AG_NEWS_DIR={folder.parent}).")
    if not folder.is_dir():
        raise DataError(f"AG News folder not found: {folder}. Run \"make data\" (needs network) "
                        f"or set AG_NEWS_DIR to a folder holding train.csv and test.csv.")
    if os.path.lexists(path) and not path.is_file():
        what = ("a symbolic link that loops or points nowhere" if path.is_symlink() and not path.exists()
                else "a directory" if path.is_dir() else "not a regular file (a FIFO, socket or device)")
        raise DataError(f"AG News file {path} is {what}. Replace it with the CSV file itself "
                        f"(\"make data\" downloads it), or point AG_NEWS_DIR at another folder.")
    if not path.is_file():
        raise DataError(f"AG News file not found: {path}. Run \"make data\" (needs network) "
                        f"or set AG_NEWS_DIR to a folder holding train.csv and test.csv.")
    return path


def _decode(path: Path, raw: bytes, skip_bad_rows: bool) -> tuple[str, bool]:
    """Return the file's text and whether it holds undecodable bytes (only allowed when skipping)."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError as err:
        if not skip_bad_rows:
            line = raw.count(b"\n", 0, err.start) + 1
            raise DataError(f"{path.name} line {line}: bytes {raw[err.start:err.end]!r} are not "
                            f"valid UTF-8 ({path}). Re-save the file as UTF-8, or pass "
                            f"--skip-bad-rows to skip such rows.") from None
        return raw.decode("utf-8", errors="surrogateescape"), True


def _columns(header: list[str] | None) -> tuple[int, int | None, int]:
    """Return (class, title or None, description) column positions for a header (None: canonical)."""
    if header is None:
        return 0, 1, 2
    names = [h.strip().lower() for h in header]
    title = names.index("title") if "title" in names else None
    return names.index("class index"), title, names.index("description")


def _is_header(row: list[str]) -> bool:
    names = [h.strip().lower() for h in row]
    return "class index" in names and "description" in names


def _looks_like_header(row: list[str]) -> bool:
    """Return True for a first row of column names: its first field is not a number (a data row's class is one,
    even a wrong one, which the row check then names)."""
    return bool(row) and not row[0].strip().lstrip("+-").isdigit()


def read_split(path: str | os.PathLike, text_field: str = "description",
               skip_bad_rows: bool = False) -> NewsSplit:
    """Return the checked rows of one AG News CSV (canonical or headered `Class Index,...` form).

    Raises DataError naming the file and line of the first bad row, unless `skip_bad_rows`, in
    which case bad rows are left out and listed in `NewsSplit.skipped`.
    """
    path = Path(path)
    if text_field not in TEXT_FIELDS:
        raise ValueError(f"text_field must be one of {TEXT_FIELDS}, not {text_field!r}")
    if not path.is_file():
        split_path(path.parent, path.stem)  # raises the how-to-get-the-data error
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise DataError(f"{path}: the file is empty. Expected AG News rows "
                        f"\"class\",\"title\",\"description\"; re-download it with \"make data\".")
    text, may_hold_undecodable = _decode(path, raw, skip_bad_rows)

    limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # a long description is data, not a quoting error
    try:
        return _read_rows(path, text, text_field, skip_bad_rows, may_hold_undecodable)
    finally:
        csv.field_size_limit(limit)


def _read_rows(path: Path, text: str, text_field: str, skip_bad_rows: bool, may_hold_undecodable: bool) -> NewsSplit:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    texts: list[str] = []
    labels: list[int] = []
    lines: list[int] = []
    skipped: list[BadRow] = []
    columns = None
    n_fields = 3
    last_line = 0
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            where = f"line {start}" + (f" (the row runs on to line {reader.line_num})" if reader.line_num > start else "")
            raise DataError(f"{path.name} {where}: malformed CSV ({err}) in {path}. "
                            f"Check the quoting of the row that starts on line {start}.") from None
        last_line = reader.line_num
        if columns is None:
            if not _is_header(row) and _looks_like_header(row):
                raise DataError(f"{path.name} line 1: header {','.join(row)!r} is not an AG News header ({path}). "
                                f"Expected no header (\"class\",\"title\",\"description\") or a header naming "
                                f"'Class Index' and 'Description' (and optionally 'Title'); rename the columns.")
            columns = _columns(row if _is_header(row) else None)
            if _is_header(row):
                n_fields = len(row)
                if text_field == "title+description" and columns[1] is None:
                    raise DataError(f"{path}: has no Title column (header: {','.join(row)}), so "
                                    f"text_field='title+description' cannot be used; use 'description'.")
                continue
        reason = _check_row(row, n_fields, columns, text_field, may_hold_undecodable)
        if reason is not None:
            if not skip_bad_rows:
                raise DataError(f"{path.name} line {start}: {reason} ({path}). Fix or remove the "
                                f"row, or pass --skip-bad-rows to skip such rows.")
            skipped.append(BadRow(start, reason))
            continue
        class_col, title_col, desc_col = columns
        body = row[desc_col]
        if text_field == "title+description":
            body = f"{row[title_col]} {body}"
        texts.append(body)
        labels.append(int(row[class_col].strip()) - 1)
        lines.append(start)
    if not texts:
        raise DataError(f"{path}: no valid rows (header only, or every row was bad).")
    return NewsSplit(path, texts, np.asarray(labels, dtype=np.int64),
                     np.asarray(lines, dtype=np.int64), skipped)


def _check_row(row: list[str], n_fields: int, columns: tuple[int, int | None, int],
               text_field: str, may_hold_undecodable: bool) -> str | None:
    """Return why `row` is bad, or None when it is fine."""
    if len(row) != n_fields:
        return f"expected {n_fields} fields, found {len(row)}"
    if may_hold_undecodable and any(_UNDECODABLE.search(value) for value in row):
        return "bytes that are not valid UTF-8"
    class_col, title_col, desc_col = columns
    value = row[class_col].strip()
    if value not in ("1", "2", "3", "4"):
        return f"class \"{row[class_col]}\" is not one of 1-4"
    body = row[desc_col] if text_field == "description" else f"{row[title_col]}{row[desc_col]}"
    if not body.strip():
        return "empty " + ("description" if text_field == "description" else "title and description")
    return None


def read_news(data_dir: str | os.PathLike | None = None, text_field: str = "description",
              skip_bad_rows: bool = False) -> dict[str, NewsSplit]:
    """Return {"train": ..., "test": ...} read from the AG News folder."""
    news = {split: read_split(split_path(data_dir, split), text_field, skip_bad_rows) for split in SPLITS}
    for split in news.values():
        require_every_class(split.labels, str(split.path), "Use a file with rows of all four classes.")
    return news


def require_every_class(labels: np.ndarray, where: str, fix: str, least: int = 1) -> None:
    """Raise DataError naming the classes with fewer than `least` rows in `labels` (0..3) of `where`: a classifier
    that never sees a class, or a validation split without one, gives accuracies that mean nothing."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(CLASS_NAMES))
    short = [f"{name} (class {index + 1}: {counts[index]} rows)" for index, name in enumerate(CLASS_NAMES)
             if counts[index] < least]
    if short:
        need = "no rows" if least == 1 else f"fewer than {least} rows"
        raise DataError(f"{where}: {need} of {', '.join(short)}. {fix}")


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (kept, held_out) sorted index arrays, holding out `fraction` of each class, seeded."""
    if not 0 < fraction < 1:
        raise ValueError(f"validation fraction must be in (0, 1), not {fraction}")
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_held = max(1, int(round(fraction * len(members))))
        held.append(rng.permutation(members)[:n_held])
    held_out = np.sort(np.concatenate(held))
    kept = np.setdiff1d(np.arange(len(labels)), held_out)
    return kept, held_out


def stratified_head(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Return sorted indices of a seeded class-stratified sample of about `n` rows (all if n >= len)."""
    if n >= len(labels):
        return np.arange(len(labels))
    _, sample = stratified_split(labels, n / len(labels), seed)
    return sample
