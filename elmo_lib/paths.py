"""Where things are: the project root, and user-given paths resolved the same way from any folder."""
from __future__ import annotations

import os
from pathlib import Path


def project_root(start: Path | None = None) -> Path | None:
    """Return the checkout holding `start` (default: the working directory), or None outside one."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "elmo_lib").is_dir():
            return folder
    return None


def resolve_path(path: str | os.PathLike) -> Path:
    """Return `path` made absolute: against the working directory, or against the project root when a
    relative path exists only there (so `data/ag_news` works from notebooks/ as from the root)."""
    path = Path(path).expanduser()
    if path.is_absolute():
        return path
    here = Path.cwd() / path
    root = project_root()
    if not here.exists() and root is not None and (root / path).exists():
        return root / path
    return here.resolve()
