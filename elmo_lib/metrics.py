"""Classification metrics in the one JSON schema every model's results share."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix

from elmo_lib.data import CLASS_NAMES

METRICS_SCHEMA = "elmo_lib.metrics/1"


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Return accuracy, per-class precision/recall/F1/support, macro and weighted averages, confusion matrix.

    Schema: {"accuracy", "n", "labels", "per_class": {name: {...}}, "macro avg": {...},
    "weighted avg": {...}, "confusion_matrix": rows = true class, columns = predicted class}.
    """
    labels = list(range(len(CLASS_NAMES)))
    report = classification_report(y_true, y_pred, labels=labels, target_names=list(CLASS_NAMES),
                                   output_dict=True, zero_division=0)
    def row(entry: dict) -> dict:
        return {"precision": float(entry["precision"]), "recall": float(entry["recall"]),
                "f1": float(entry["f1-score"]), "support": int(entry["support"])}
    return {
        "accuracy": float(np.mean(np.asarray(y_true) == np.asarray(y_pred))),
        "n": int(len(y_true)),
        "labels": list(CLASS_NAMES),
        "per_class": {name: row(report[name]) for name in CLASS_NAMES},
        "macro avg": row(report["macro avg"]),
        "weighted avg": row(report["weighted avg"]),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def model_result(model: str, splits: dict[str, tuple[np.ndarray, np.ndarray]], settings: dict,
                 extra: dict | None = None) -> dict:
    """Return one model's result record: metrics per split plus its test predictions and settings."""
    record = {"schema": METRICS_SCHEMA, "model": model, "settings": settings}
    for name, (y_true, y_pred) in splits.items():
        record[name] = classification_metrics(y_true, y_pred)
    if "test" in splits:
        record["test_predictions"] = np.asarray(splits["test"][1]).tolist()
    record.update(extra or {})
    return record
