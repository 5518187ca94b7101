"""The planned comparisons, declared once, with paired statistics: what the study's answer rests on.

For rows a and b scored on the same test documents (correct_a, correct_b in {0, 1} per document):

    difference      = mean(correct_a) - mean(correct_b)
    paired interval = percentiles of that difference over bootstrap resamples of the documents, the same
                      resample for both rows (so their shared easy and hard documents cancel); with several
                      replicates, the replicates are resampled too (replicate r of a paired with r of b)
    McNemar p       = exact two-sided binomial test on the discordant documents (a right, b wrong vs b right, a wrong);
                  with several replicates of the whole pipeline, the largest of theirs
    Holm p          = Holm's step-down correction of the McNemar p-values over the planned family

A difference is *distinguishable* only when its Holm-corrected p is below α and its paired interval at the
family-wise level 1 - α/m (m planned comparisons) excludes zero. Every "best" is chosen on validation accuracy.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import binomtest, t as student_t

from elmo_lib.registry import SCRATCH_SUFFIX, label

ALPHA = 0.05
AGAINST_STATIC = "ELMo row against the best static row by validation"


def paired_bootstrap(correct_a: np.ndarray, correct_b: np.ndarray, level: float = 0.95, n: int = 2000,
                     seed: int = 0) -> tuple[float, float, float]:
    """Return (difference in accuracy a - b, lower, upper) with a percentile interval at `level` from `n` resamples,
    each resample shared by both rows. One row of documents (1-D) resamples the documents; several replicates
    (2-D, replicate x document, replicate r of a paired with replicate r of b) resample the replicates and the
    documents, so the interval carries both the test set's noise and the pipeline's."""
    a, b = np.asarray(correct_a, dtype=np.float64), np.asarray(correct_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim not in (1, 2) or not a.size:
        raise ValueError(f"paired rows need the same documents: {a.shape} and {b.shape}")
    diff = np.atleast_2d(a - b)
    rng = np.random.default_rng(seed)
    replicates, documents = diff.shape
    picks = rng.integers(0, documents, size=(n, documents))
    if replicates == 1:
        means = diff[0][picks].mean(axis=1)
    else:
        chosen = rng.integers(0, replicates, size=(n, replicates))
        means = np.array([diff[chosen[i]][:, picks[i]].mean() for i in range(n)])
    tail = (1 - level) / 2
    return float(diff.mean()), float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def accuracy_interval(correct: np.ndarray, level: float = 0.95, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Return the percentile interval at `level` of a row's test accuracy from `correct` (documents, or replicates x
    documents): the documents resampled, and the replicates too where there are several."""
    correct = np.asarray(correct, dtype=np.float64)
    _, low, high = paired_bootstrap(correct, np.zeros_like(correct), level, n, seed)
    return low, high


def exact_mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[float, int, int]:
    """Return (two-sided exact p, documents only a gets right, documents only b gets right)."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    if only_a + only_b == 0:
        return 1.0, 0, 0
    return float(binomtest(only_a, only_a + only_b, 0.5).pvalue), only_a, only_b


def replicate_t_test(differences: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Return (low, high, p) of a one-sample t-test of per-replicate differences against zero: the `level` t-interval
    of their mean and the two-sided p, on n - 1 degrees of freedom. It measures the pipeline's randomness on one test
    set (each replicate's paired bootstrap carries the test set's). Where every difference is the same, the interval
    is that value and p is 0 (1 at zero). Raise ValueError below two replicates."""
    values = np.asarray(differences, dtype=float)
    if len(values) < 2:
        raise ValueError(f"a t-test over replicates needs two or more, got {len(values)}")
    mean, error = float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))
    if error == 0.0:
        return mean, mean, 0.0 if mean != 0.0 else 1.0
    half = float(student_t.ppf(0.5 + level / 2, len(values) - 1)) * error
    return mean - half, mean + half, float(2 * student_t.sf(abs(mean) / error, len(values) - 1))


def holm(pvalues: list[float]) -> list[float]:
    """Return Holm's step-down adjusted p-values, in the order given (monotone, at most 1)."""
    order = np.argsort(pvalues, kind="stable")
    m, adjusted, running = len(pvalues), [0.0] * len(pvalues), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def planned_pairs(results: dict[str, dict]) -> list[tuple[str, str, str]]:
    """Return the planned family as (row a, row b, why) from the rows present: each frozen-biLM ELMo row against the
    best static row by validation, each mode's biLM from static vectors against the same mode's from scratch,
    trainable against frozen λ, and the function against trainable λ."""
    validation = {key: record["validation"]["accuracy"] for key, record in results.items()}
    arm = {key: record["settings"].get("arm") for key, record in results.items()}
    statics = [k for k in results if arm[k] == "static"]
    elmo = [k for k in results if arm[k] == "elmo"]
    pairs = []
    if statics:
        best_static = max(statics, key=lambda k: (validation[k], k))
        pairs += [(key, best_static, AGAINST_STATIC) for key in elmo]
    pairs += [(key[:-len(SCRATCH_SUFFIX)], key, "biLM from static vectors against from scratch, same mode")
              for key in elmo if key.endswith(SCRATCH_SUFFIX) and key[:-len(SCRATCH_SUFFIX)] in results]
    if {"elmo_trainable", "elmo_frozen"} <= set(results):
        pairs.append(("elmo_trainable", "elmo_frozen", "trainable against frozen λ"))
    if {"elmo_function", "elmo_trainable"} <= set(results):
        pairs.append(("elmo_function", "elmo_trainable", "learnable function against trainable λ"))
    return pairs


def mean_record(replicates: list[dict[str, dict]]) -> dict[str, dict]:
    """Return, per row, a record whose validation accuracy is the mean over `replicates` (what "best by validation"
    reads when there are several) and whose settings are replicate 1's."""
    return {key: {**replicates[0][key], "validation": {"accuracy": float(np.mean(
        [r[key]["validation"]["accuracy"] for r in replicates]))}} for key in replicates[0]}


def planned_comparisons(results: dict[str, dict] | list[dict[str, dict]], y_test: np.ndarray, alpha: float = ALPHA,
                        n: int = 2000, seed: int = 0) -> list[dict]:
    """Return one entry per planned comparison: the rows, why, the mean test-accuracy difference with its paired
    95 % interval and its family-wise interval (over documents, and over replicates when `results` is a list of
    several replicates' records), the exact McNemar p (the largest over replicates), its Holm-corrected p, and
    whether it is distinguishable."""
    replicates = [results] if isinstance(results, dict) else list(results)
    y = np.asarray(y_test)
    correct = {key: np.stack([np.asarray(r[key]["test_predictions"]) == y for r in replicates])
               for key in replicates[0]}
    pairs = planned_pairs(mean_record(replicates))
    family_level = 1 - alpha / max(len(pairs), 1)
    entries = []
    for a, b, why in pairs:
        difference, low, high = paired_bootstrap(correct[a], correct[b], 0.95, n, seed)
        _, family_low, family_high = paired_bootstrap(correct[a], correct[b], family_level, n, seed)
        tests = [exact_mcnemar(ca, cb) for ca, cb in zip(correct[a], correct[b])]
        p, only_a, only_b = max(tests)
        entries.append({"a": a, "b": b, "a_label": label(a, replicates[0][a]), "b_label": label(b, replicates[0][b]),
                        "why": why, "difference": difference, "low": low, "high": high,
                        "family_low": family_low, "family_high": family_high, "family_level": family_level,
                        "replicates": len(replicates), "differences": [float(ca.mean() - cb.mean())
                                                                       for ca, cb in zip(correct[a], correct[b])],
                        "only_a_right": only_a, "only_b_right": only_b, "p": p})
    for entry, adjusted in zip(entries, holm([e["p"] for e in entries])):
        entry["p_holm"] = adjusted
        entry["distinguishable"] = bool(adjusted < alpha and (entry["family_low"] > 0 or entry["family_high"] < 0))
    return entries
