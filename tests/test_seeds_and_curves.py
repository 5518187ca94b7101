"""Seed variance and learning curves: nested stratified subsets, seeded classifiers, bootstrap intervals."""
import numpy as np

from elmo_lib.batching import SubsetSource, TokenIdSource, nested_subset
from elmo_lib.classify import train_and_record
from elmo_lib.config import ClassifierConfig
from elmo_lib.embeddings.static import StaticEncoder
from elmo_lib.report import bootstrap_interval
from elmo_lib.study import median_seed
from tests.test_classifier import _toy_split


def test_learning_curve_subsets_are_nested_stratified_and_identical_across_runs():
    labels = np.random.default_rng(0).integers(0, 4, 2000)
    subsets = {f: nested_subset(labels, f, seed=13) for f in (0.01, 0.03, 0.1, 0.3)}
    assert np.array_equal(subsets[0.1], nested_subset(labels, 0.1, seed=13))
    assert not np.array_equal(subsets[0.1], nested_subset(labels, 0.1, seed=14))
    for small, large in ((0.01, 0.03), (0.03, 0.1), (0.1, 0.3)):
        assert set(subsets[small]) < set(subsets[large])
    for fraction, chosen in subsets.items():
        for label in range(4):
            expected = max(1, round(fraction * (labels == label).sum()))
            assert (labels[chosen] == label).sum() == expected


def _train(seed: int, fraction: float | None = None, **settings) -> dict:
    vectors = np.random.default_rng(0).normal(size=(20, 6)).astype(np.float32)
    cfg = ClassifierConfig(**{"hidden": 8, "lr": 1e-2, "max_epochs": 2, "patience": 2, "batch_size": 16, "seed": seed,
                              "device": "cpu", **settings})
    train = TokenIdSource(_toy_split(200, 1))
    if fraction:
        train = SubsetSource(train, nested_subset(train.labels, fraction, 13))
    sources = {"train": train, "validation": TokenIdSource(_toy_split(60, 2)), "test": TokenIdSource(_toy_split(60, 3))}
    return train_and_record("toy", lambda: StaticEncoder(vectors), sources, cfg, {"arm": "static"})


def test_a_seed_changes_the_classifier_and_the_same_seed_reproduces_it():
    first, again, other = _train(0), _train(0), _train(1)
    assert first["history"] == again["history"] and first["test_predictions"] == again["test_predictions"]
    assert first["history"] != other["history"]
    small = _train(0, fraction=0.25)
    assert small["train"]["n"] == 50 and small["history"] != first["history"]


def test_bootstrap_interval_contains_the_point_estimate_and_median_seed_is_by_validation():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 500)
    predictions = np.where(rng.random(500) < 0.8, y, (y + 1) % 4)
    low, high = bootstrap_interval(y, predictions)
    accuracy = (predictions == y).mean()
    assert low < accuracy < high and high - low < 0.1
    assert bootstrap_interval(y, predictions) == (low, high)  # seeded
    records = [{"validation": {"accuracy": v}, "settings": {"classifier": {"seed": s}}, "test": {"accuracy": t}}
               for s, v, t in ((0, 0.80, 0.70), (1, 0.90, 0.60), (2, 0.85, 0.99))]
    assert median_seed(records)["settings"]["classifier"]["seed"] == 2
