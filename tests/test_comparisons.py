"""The planned comparisons' statistics against cases worked by hand."""
import numpy as np
import pytest
from scipy.stats import binomtest

from elmo_lib.comparisons import exact_mcnemar, holm, paired_bootstrap, planned_comparisons, planned_pairs


def test_holm_on_known_p_values():
    # sorted 0.01, 0.02, 0.03, 0.04 with m = 4: 0.04, 0.06, 0.06 (monotone), 0.06
    assert holm([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([0.2]) == [0.2]


def test_exact_mcnemar_counts_the_discordant_documents():
    a = np.array([1, 1, 1, 0, 0, 1, 1, 1], bool)
    b = np.array([1, 0, 0, 0, 1, 1, 0, 1], bool)   # only a: 3, only b: 1
    p, only_a, only_b = exact_mcnemar(a, b)
    assert (only_a, only_b) == (3, 1) and p == pytest.approx(binomtest(3, 4, 0.5).pvalue) and p == pytest.approx(0.625)
    assert exact_mcnemar(a, a) == (1.0, 0, 0)


def test_the_paired_bootstrap_shares_resamples_and_its_interval_holds_the_difference():
    rng = np.random.default_rng(1)
    a = rng.random(2000) < 0.9
    b = a.copy()
    b[:40] = ~b[:40]                               # 40 documents differ: the difference is a's minus b's there
    difference, low, high = paired_bootstrap(a, b, n=1000)
    assert difference == pytest.approx(a.mean() - b.mean()) and low <= difference <= high
    # paired: identical rows give exactly zero every resample, however noisy each row is alone
    assert paired_bootstrap(a, a, n=200) == (0.0, 0.0, 0.0)
    # a toy pair worked by hand: one document, a right and b wrong, so every resample's difference is 1
    assert paired_bootstrap(np.array([1]), np.array([0]), n=50) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="same documents"):
        paired_bootstrap(a, b[:10])


def _record(arm, val, predictions):
    return {"settings": {"arm": arm}, "validation": {"accuracy": val}, "test_predictions": list(predictions)}


def test_the_planned_family_picks_the_best_static_row_on_validation_not_on_test():
    y = np.zeros(400, dtype=int)
    results = {"svd": _record("static", 0.80, np.r_[np.zeros(390), np.ones(10)]),        # better on test
               "skipgram": _record("static", 0.85, np.r_[np.zeros(300), np.ones(100)]),  # better on validation
               "elmo_trainable": _record("elmo", 0.9, np.zeros(400)),
               "elmo_frozen": _record("elmo", 0.9, np.r_[np.zeros(395), np.ones(5)])}
    pairs = planned_pairs(results)
    assert ("elmo_trainable", "skipgram", "ELMo row against the best static row by validation") in pairs
    assert ("elmo_trainable", "elmo_frozen", "trainable against frozen λ") in pairs and len(pairs) == 3
    entries = {(e["a"], e["b"]): e for e in planned_comparisons(results, y, n=500)}
    big = entries[("elmo_trainable", "skipgram")]           # 100 documents apart of 400: distinguishable
    assert big["difference"] == pytest.approx(0.25) and big["distinguishable"] and big["p_holm"] <= 3 * big["p"]
    small = entries[("elmo_trainable", "elmo_frozen")]      # 5 documents apart: not after correction
    assert small["difference"] == pytest.approx(5 / 400) and not small["distinguishable"]
