import json

import numpy as np

from elmo_lib.metrics import classification_metrics, model_result


def test_schema_and_values():
    y_true = np.array([0, 0, 1, 2, 3, 3])
    y_pred = np.array([0, 1, 1, 2, 3, 0])
    metrics = classification_metrics(y_true, y_pred)
    assert metrics["accuracy"] == 4 / 6
    assert metrics["labels"] == ["World", "Sports", "Business", "Sci/Tech"]
    assert metrics["per_class"]["World"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert metrics["confusion_matrix"][3] == [1, 0, 0, 1]
    assert set(metrics) >= {"macro avg", "weighted avg", "n"}
    record = model_result("svd", {"train": (y_true, y_pred), "test": (y_true, y_pred)}, {"k": 1})
    assert json.loads(json.dumps(record))["test_predictions"] == y_pred.tolist()
