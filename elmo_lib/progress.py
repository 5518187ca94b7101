"""Progress bars that stay readable in logs: live in a terminal, a line every 30 s otherwise."""
from __future__ import annotations

import sys
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], **kwargs) -> tqdm:
    """Return a tqdm bar over `iterable`; off a terminal it redraws at most every 30 s."""
    if not sys.stderr.isatty():
        kwargs.setdefault("mininterval", 30.0)
    return tqdm(iterable, **kwargs)
