"""Integration: both static embeddings and the shared classifier on a slice of the shared data."""

import pytest

from elmo_lib.config import get_profile
from elmo_lib.study import Study


def OVERRIDES(shared_dir):
    return {"data.data_dir": str(shared_dir), "data.max_train_rows": 4000, "data.max_test_rows": 800,
            "classifier.max_epochs": 1, "svd.windows": [2, 5], "skipgram.windows": [3]}


@pytest.mark.integration
def test_static_embeddings_classify_well_above_chance(shared_dir, tmp_path):
    profile = get_profile("smoke", OVERRIDES(shared_dir))
    study = Study(profile, tmp_path)
    for method in ("svd", "skipgram"):
        result = study.static(method)
        assert result["test"]["accuracy"] > 0.5
        assert result["train"]["n"] == len(study.corpus.train) and result["test"]["n"] == 800
        assert len(list(tmp_path.glob(f"{method}_embeddings/*/embeddings/vectors.npy"))) == 1
    assert set(study.static("svd")["settings"]["embedding"]["window_scores"]) == {"2", "5"}
    tfidf = study.result("tfidf")
    assert tfidf["test"]["accuracy"] > 0.5 and tfidf["settings"]["chosen_c"] in study.profile.tfidf.c_grid
    # a new classifier setting retrains the classifier but reuses the embeddings
    changed = Study(get_profile("smoke", {**OVERRIDES(shared_dir), "classifier.hidden": 16}), tmp_path)
    stamp = next(tmp_path.glob("svd_embeddings/*/embeddings/vectors.npy")).stat().st_mtime_ns
    assert changed.static("svd")["settings"]["classifier"]["hidden"] == 16
    assert next(tmp_path.glob("svd_embeddings/*/embeddings/vectors.npy")).stat().st_mtime_ns == stamp
    assert len(list(tmp_path.glob("svd/*/metrics.json"))) == 2 and "svd embeddings" not in changed.timings
