"""Classify new text with a trained row: its saved classifier over its frozen encoder, the biLM run on the text.

    predictor = load_classifier("elmo_trainable", profile="cpu")
    classes, probabilities = predictor.predict(["Stocks fell after the earnings report"])
"""
from __future__ import annotations

import contextlib
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, TextIO

import numpy as np

from elmo_lib.data import CLASS_NAMES
from elmo_lib.registry import BILM_ARMS


class PredictError(ValueError):
    """Input that cannot be classified: the message names the text or line and what to change."""


@dataclass
class Predictor:
    """A trained row ready for new text: its classifier, the vocabulary and tokenizer limits, and the biLM if any."""

    key: str
    model: object            # classify.DocumentClassifier, eval mode
    vocab: object            # vocab.Vocabulary the row was trained with
    max_tokens: int
    bilm: object | None      # embeddings.bilm.BiLM for ELMo rows (its states are computed for the new text)
    device: object
    feature_dtype: str = "float16"  # the cached layers' dtype in training, so new text sees the same rounding
    precision: str = "auto"         # the classifier's precision in training (classifier.precision)

    def predict(self, texts: Sequence[str], batch_size: int = 256) -> tuple[list[str], np.ndarray]:
        """Return (class name per text, (texts, 4) probabilities in CLASS_NAMES order)."""
        from elmo_lib.batching import TokenIdSource
        from elmo_lib.classify import predict_proba
        from elmo_lib.corpus import EncodedSplit, tokenize_all
        from elmo_lib.embeddings.features import compute_features
        if not isinstance(batch_size, int) or batch_size < 1:
            raise PredictError(f"batch_size={batch_size!r}: give a whole number of at least 1")
        for number, text in enumerate(texts, start=1):
            if not isinstance(text, str) or not text.strip():
                raise PredictError(f"text {number} is empty; give every document some words")
        ids = [self.vocab.encode(tokens) for tokens in tokenize_all(list(texts), self.max_tokens)]
        split = EncodedSplit("input", ids, np.zeros(len(ids), dtype=np.int64))
        if self.bilm is not None:
            source = compute_features(self.bilm, split, self.device, self.feature_dtype, batch_size=batch_size)
        else:
            source = TokenIdSource(split)
        probabilities = predict_proba(self.model, source, self.device, batch_size, self.precision)
        return [CLASS_NAMES[i] for i in probabilities.argmax(axis=1)], probabilities


def load_classifier(model: str, profile: str = "auto", overrides: dict | None = None,
                    artifacts: str | Path | None = None) -> Predictor:
    """Return a Predictor for the trained row `model` (e.g. "elmo_trainable") of `profile`, computing nothing."""
    from elmo_lib.notebook import open_study
    return predictor_for(open_study(profile, overrides, artifacts, announce=False), model)


def predictor_for(study, model: str) -> Predictor:
    """Return a Predictor for the trained row `model` of `study` (a Study), computing nothing."""
    from elmo_lib.classify import load_trained
    from elmo_lib.device import choose_device
    record, weights, make_encoder = study.trained_row(model)
    with contextlib.redirect_stdout(sys.stderr):  # loading messages never mix with predictions on stdout
        vocab = study.trained_vocab()
        classifier = load_trained(model, make_encoder, study.profile.classifier, weights)
        bilm = study.bilm_study(model).bilm.model if record["settings"].get("arm") in BILM_ARMS else None
    device = choose_device(study.profile.classifier.device, announce=False)
    return Predictor(model, classifier.to(device), vocab, study.profile.data.max_tokens, bilm, device,
                     study.profile.elmo.feature_dtype, study.profile.classifier.precision or "auto")


def servable_rows(study) -> list[str]:
    """Return the model keys of `study` whose trained classifier is saved (what load_classifier can serve)."""
    from elmo_lib.study import NotTrainedError
    keys = []
    for key in study.model_keys():
        try:
            study.trained_row(key)
        except NotTrainedError:
            continue
        keys.append(key)
    return keys


TEXT_COLUMNS = ("text", "description")


def read_input(spec: str) -> tuple[str, str]:
    """Return (UTF-8 text, name for messages) of an input file, or of standard input for "-" (see decode_input)."""
    if spec == "-":
        return decode_input(sys.stdin.buffer.read(), "standard input"), "standard input"
    path = Path(spec)
    if not path.is_file():
        raise PredictError(f"{path}: no such file; give a file, or - for standard input")
    return decode_input(path.read_bytes(), str(path)), str(path)


def decode_input(raw: bytes, name: str) -> str:
    """Return the UTF-8 text of an input file or stream, or raise PredictError naming the line of the first bytes
    that are not UTF-8 (binary data, or a file saved as latin-1) and how to convert it."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise PredictError(f"{name}, line {line}: bytes {raw[err.start:err.start + 4]!r} are not UTF-8 text. Give "
                           f"text saved as UTF-8 (a latin-1 file converts with: iconv -f latin1 -t utf-8 FILE)") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise PredictError(f"{name}, line {line}: a NUL byte, so this is binary data, not text; give one text a "
                           f"line or a CSV")
    return text


def read_texts(handle: TextIO, name: str, text_field: str = "description") -> list[str]:
    """Return the texts of a CSV: a header with a `text` or `Description` column (and `Title`, joined when the
    profile reads title+description), canonical AG News rows (class, title, description), or one text a line."""
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # a long text is data (data.max_tokens cuts it), not a quoting error
    try:
        rows = list(csv.reader(handle))
    except csv.Error as err:
        raise PredictError(f"{name}: not readable as CSV ({err}); check the quoting, or give one text a line") from None
    finally:
        csv.field_size_limit(limit)
    if not rows:
        raise PredictError(f"{name}: no rows; give one text per line, or a CSV with a 'text' column")
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(c) for c in TEXT_COLUMNS if c in header), None)
    title = header.index("title") if "title" in header and text_field == "title+description" else None
    if column is not None:
        body, first_line = rows[1:], 2
    else:
        body, first_line = rows, 1
        widths = {len(row) for row in rows if row}
        if widths == {3}:
            column, title = 2, (1 if text_field == "title+description" else None)
        elif widths == {1}:
            column = 0
        else:
            raise PredictError(f"{name}: rows of {sorted(widths)} fields and no header naming a 'text' or "
                               f"'Description' column; add such a header, or give one text a line")
    texts = []
    for number, row in enumerate(body, start=first_line):
        if len(row) <= column or not row[column].strip():
            raise PredictError(f"{name}, line {number}: no text in column {column + 1}; fill it or drop the line")
        texts.append(f"{row[title]} {row[column]}" if title is not None else row[column])
    return texts


def check_writable(path: Path) -> None:
    """Raise PredictError unless predictions can be written to `path` (a file in a writable, existing folder)."""
    import os
    if path.is_dir():
        raise PredictError(f"--output {path} is a folder; give a file name, e.g. {path / 'predictions.csv'}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise PredictError(f"--output {path}: the folder {folder} does not exist; create it or choose another file")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PredictError(f"--output {path}: not writable by this user; choose another file")


def write_predictions(handle: TextIO, texts: Sequence[str], classes: Sequence[str], probabilities: np.ndarray) -> None:
    """Write a CSV: text, predicted class, then one probability column per class."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["text", "predicted", *(f"p_{name}" for name in CLASS_NAMES)])
    for text, name, row in zip(texts, classes, probabilities):
        writer.writerow([text, name, *(f"{p:.4f}" for p in row)])


def format_table(texts: Sequence[str], classes: Sequence[str], probabilities: np.ndarray, width: int = 60) -> str:
    """Return a plain-text table: predicted class, the four probabilities, the start of the text."""
    out = io.StringIO()
    out.write(f"{'predicted':<10} " + " ".join(f"{name:>9}" for name in CLASS_NAMES) + "  text\n")
    for text, name, row in zip(texts, classes, probabilities):
        short = text if len(text) <= width else text[: width - 1] + "…"
        out.write(f"{name:<10} " + " ".join(f"{p:>9.4f}" for p in row) + f"  {short}\n")
    return out.getvalue()
