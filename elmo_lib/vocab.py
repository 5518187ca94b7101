"""Vocabulary: frequency-ordered token ids with fixed special tokens, saved as JSON."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from itertools import chain
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from elmo_lib.io import atomic_write_text

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(4)


class Vocabulary:
    """Token <-> id mapping: ids 0..3 are the specials, then words by descending count, ties by word.

    The order depends only on the counts and the words themselves, never on hash seeds or set
    order, so the same corpus gives the same ids in every process.
    """

    def __init__(self, words: Sequence[str], counts: Sequence[int], min_freq: int = 1,
                 max_size: int | None = None):
        if len(words) != len(counts):
            raise ValueError("words and counts differ in length")
        self.itos: tuple[str, ...] = SPECIALS + tuple(words)
        self.counts: tuple[int, ...] = (0,) * len(SPECIALS) + tuple(int(c) for c in counts)
        self.min_freq = min_freq
        self.max_size = max_size
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("vocabulary words are not unique")

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_freq: int = 1,
              max_size: int | None = None) -> "Vocabulary":
        """Return the vocabulary of words seen at least `min_freq` times, at most `max_size` words."""
        counter = Counter(chain.from_iterable(token_lists))
        for special in SPECIALS:
            counter.pop(special, None)
        ranked = sorted(((w, c) for w, c in counter.items() if c >= min_freq),
                        key=lambda wc: (-wc[1], wc[0]))
        if max_size is not None:
            ranked = ranked[:max_size]
        return cls([w for w, _ in ranked], [c for _, c in ranked], min_freq, max_size)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Return the int32 ids of `tokens`; words outside the vocabulary become <unk>."""
        get = self.stoi.get
        return np.fromiter((get(t, UNK_ID) for t in tokens), dtype=np.int32, count=len(tokens))

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Return the tokens for `ids`."""
        return [self.itos[i] for i in ids]

    def fingerprint(self) -> str:
        """Return a short SHA-256 of the id order, to tie models and caches to this vocabulary."""
        return hashlib.sha256("\n".join(self.itos).encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict:
        """Return a JSON-ready dict of this vocabulary."""
        n = len(SPECIALS)
        return {"specials": list(SPECIALS), "words": list(self.itos[n:]),
                "counts": list(self.counts[n:]), "min_freq": self.min_freq,
                "max_size": self.max_size, "fingerprint": self.fingerprint()}

    def save(self, path: str | Path) -> None:
        """Write the vocabulary to `path` as JSON (atomically)."""
        atomic_write_text(Path(path), json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> "Vocabulary":
        """Return the vocabulary saved at `path`."""
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(payload["specials"]) != SPECIALS:
            raise ValueError(f"{path}: special tokens {payload['specials']} differ from {list(SPECIALS)}")
        vocab = cls(payload["words"], payload["counts"], payload["min_freq"], payload["max_size"])
        if payload.get("fingerprint") not in (None, vocab.fingerprint()):
            raise ValueError(f"{path}: fingerprint does not match its words; the file is corrupt")
        return vocab
