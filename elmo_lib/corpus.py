"""The prepared corpus: AG News split into train/validation/test, tokenised and encoded to ids."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elmo_lib.config import DataConfig, VocabConfig
from elmo_lib.data import NewsSplit, read_news, require_every_class, stratified_head, stratified_split
from elmo_lib.text import tokenize
from elmo_lib.vocab import BOS_ID, EOS_ID, UNK, Vocabulary


@dataclass
class EncodedSplit:
    """Token ids (one int32 array per document, cut to max_tokens) and labels 0..3 of one split."""

    name: str
    ids: list[np.ndarray]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        """Return the token count of each document."""
        return np.fromiter((len(d) for d in self.ids), dtype=np.int64, count=len(self.ids))

    @property
    def offsets(self) -> np.ndarray:
        """Return where each document's tokens start in a flat per-token array (and the total at the end)."""
        return np.concatenate([[0], np.cumsum(self.lengths)])

    def lm_sequences(self) -> list[np.ndarray]:
        """Return every document as `<bos> w_1 .. w_n <eos>` int64 ids, as the biLM reads it."""
        return [np.concatenate([[BOS_ID], doc, [EOS_ID]]).astype(np.int64) for doc in self.ids]

    def take(self, n: int) -> "EncodedSplit":
        """Return the first `n` documents."""
        return EncodedSplit(self.name, self.ids[:n], self.labels[:n])


@dataclass
class Corpus:
    """Everything downstream code needs: the vocabulary and the encoded train/validation/test splits."""

    vocab: Vocabulary
    train: EncodedSplit
    validation: EncodedSplit
    test: EncodedSplit

    def splits(self) -> dict[str, EncodedSplit]:
        """Return {"train", "validation", "test"} splits."""
        return {"train": self.train, "validation": self.validation, "test": self.test}


def tokenize_all(texts: list[str], max_tokens: int | None = None) -> list[list[str]]:
    """Return the tokens of every text, cut to `max_tokens`; a text with no tokens becomes [<unk>]."""
    return [tokenize(t)[:max_tokens] or [UNK] for t in texts]


def split_news(data: DataConfig) -> dict[str, NewsSplit]:
    """Return the raw train (validation carved out), validation and test splits for `data`."""
    news = read_news(data.data_dir, data.text_field, data.skip_bad_rows)
    train, test = news["train"], news["test"]
    if data.max_train_rows:
        train = train.subset(stratified_head(train.labels, data.max_train_rows, data.split_seed))
    if data.max_test_rows:
        test = test.subset(stratified_head(test.labels, data.max_test_rows, data.split_seed))
    fix = ("Raise data.max_train_rows, or use more training rows of each class" if data.max_train_rows
           else "Use a training file with more rows of each class")
    require_every_class(train.labels, f"{train.path} (after data.max_train_rows={data.max_train_rows})", fix + ".",
                        least=MIN_ROWS_PER_CLASS)
    kept, held = stratified_split(train.labels, data.val_fraction, data.split_seed)
    return {"train": train.subset(kept), "validation": train.subset(held), "test": test}


MIN_ROWS_PER_CLASS = 3  # before the validation split: at least one validation and two training rows of each class


def build_corpus(data: DataConfig, vocab_cfg: VocabConfig) -> Corpus:
    """Return the encoded corpus; the vocabulary is built on the training part only."""
    raw = split_news(data)
    tokens = {name: tokenize_all(split.texts, data.max_tokens) for name, split in raw.items()}
    vocab = Vocabulary.build(tokens["train"], vocab_cfg.min_freq, vocab_cfg.max_size)
    encoded = {name: EncodedSplit(name, [vocab.encode(doc) for doc in docs], raw[name].labels)
               for name, docs in tokens.items()}
    return Corpus(vocab, encoded["train"], encoded["validation"], encoded["test"])
