"""What a killed run leaves behind (temporary files, report staging folders), removed by the next run's start.

Each such name carries the PID of the process that made it (`.<name>.<pid>.<random>.tmp`,
`.build-<pid>-<random>`), so only the leftovers of processes that no longer run are removed, never
those a live run still writes.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

TEMP_FILE = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp$")
STAGING_FOLDER = re.compile(r"^\.build-(\d+)-[A-Za-z0-9_]+$")


def alive(pid: int) -> bool:
    """Return True when a process with this PID runs (or may run: it belongs to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_temp_files(root: Path) -> list[Path]:
    """Delete the temporary files under `root` whose writing process is gone; return them."""
    removed = []
    for path in Path(root).rglob(".*.tmp") if Path(root).is_dir() else ():
        match = TEMP_FILE.match(path.name)
        if match and not alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        print(f"removed {len(removed)} temporary file(s) left by killed runs under {root}")
    return removed


def remove_dead_staging(out_dir: Path) -> list[Path]:
    """Delete the report staging folders in `out_dir` whose building process is gone; return them."""
    removed = []
    for path in Path(out_dir).glob(".build-*") if Path(out_dir).is_dir() else ():
        match = STAGING_FOLDER.match(path.name)
        if match and path.is_dir() and not alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
