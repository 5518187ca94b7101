"""Progress that moves wherever it is read: a live tqdm bar in a terminal (and in a notebook), and off a terminal
(a log, a pipe, `make report > run.log`) a whole line every ELMO_PROGRESS_SECONDS (default 30): step, rate and time
left, so a reader of the log sees a long stage advance instead of one line at its end.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
INTERVAL_VARIABLE = "ELMO_PROGRESS_SECONDS"


def progress(iterable: Iterable[T], **kwargs):
    """Return a progress bar over `iterable`: tqdm where standard error is a terminal or a notebook shows it, else
    a LineProgress writing one line every ELMO_PROGRESS_SECONDS."""
    if sys.stderr.isatty() or _in_notebook():
        from tqdm.auto import tqdm
        return tqdm(iterable, **kwargs)
    interval = float("inf") if kwargs.get("disable") else float(os.environ.get(INTERVAL_VARIABLE, "30"))
    return LineProgress(iterable, kwargs.get("desc", ""), kwargs.get("unit", "it"), kwargs.get("total"), interval)


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules and type(sys.stderr).__module__.startswith("ipykernel")


class LineProgress:
    """Iterate over `iterable`, writing "desc: n/total unit (rate/s or s/unit, m:ss left) extra" to standard error
    at most every `interval` seconds and once at the end when a line was written before."""

    def __init__(self, iterable: Iterable[T], desc: str, unit: str, total: int | None, interval: float):
        self.iterable, self.desc, self.unit, self.interval = iterable, desc, unit, interval
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.n, self.postfix, self.started, self.last, self.written = 0, "", time.perf_counter(), None, False

    def __iter__(self) -> Iterator[T]:
        self.started = self.last = time.perf_counter()
        for item in self.iterable:
            yield item
            self.n += 1
            now = time.perf_counter()
            if now - self.last >= self.interval:
                self.last = now
                self._write(now)
        if self.written:
            self._write(time.perf_counter())

    def set_postfix(self, refresh: bool = True, **values) -> None:
        """Keep `values` (e.g. loss, tokens/s) for the next line (`refresh`: tqdm's, unused here)."""
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def close(self) -> None:
        """Nothing to release (tqdm's interface)."""

    def _write(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.n / elapsed
        count = f"{self.n:,}/{self.total:,}" if self.total else f"{self.n:,}"
        left = ""
        if self.total and rate > 0:
            seconds = int((self.total - self.n) / rate)
            left = f", {seconds // 60}:{seconds % 60:02d} left"
        extra = f" {self.postfix}" if self.postfix else ""
        # a step slower than a second reads as seconds per step ("27.4 s/window"), not as "0.0 window/s"
        speed = f"{rate:,.1f} {self.unit}/s" if rate >= 1 else f"{1 / rate:,.1f} s/{self.unit}"
        print(f"  {self.desc}: {count} {self.unit} ({speed}{left}){extra}", file=sys.stderr, flush=True)
        self.written = True
