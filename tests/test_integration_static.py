"""Integration: both static embeddings and the shared classifier on a slice of the shared data."""
import dataclasses

import pytest

from elmo_lib.config import get_profile
from elmo_lib.corpus import build_corpus
from elmo_lib.io import read_json
from elmo_lib.static_study import run_static


@pytest.mark.integration
def test_static_embeddings_classify_well_above_chance(shared_dir, tmp_path):
    profile = get_profile("smoke", {"data.data_dir": str(shared_dir), "data.max_train_rows": 4000,
                                    "data.max_test_rows": 800, "classifier.max_epochs": 1,
                                    "svd.windows": [2, 5], "skipgram.windows": [3]})
    corpus = build_corpus(profile.data, profile.vocab)
    for method in ("svd", "skipgram"):
        result = run_static(method, corpus, profile, tmp_path)
        saved = read_json(tmp_path / method / "metrics.json")
        assert saved["test"]["accuracy"] == result["test"]["accuracy"] > 0.5
        assert saved["train"]["n"] == len(corpus.train) and saved["test"]["n"] == 800
        assert (tmp_path / method / "embeddings" / "vectors.npy").is_file()
    assert set(read_json(tmp_path / "svd" / "metrics.json")["settings"]["embedding"]["window_scores"]) == {"2", "5"}
