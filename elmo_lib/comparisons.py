"""The planned comparisons, declared once, with paired statistics: what the study's answer rests on.

For rows a and b scored on the same test documents (correct_a, correct_b in {0, 1} per document):

    difference      = mean(correct_a) - mean(correct_b)
    paired interval = percentiles of that difference over bootstrap resamples of the documents, the same
                      resample for both rows (so their shared easy and hard documents cancel)
    McNemar p       = exact two-sided binomial test on the discordant documents (a right, b wrong vs b right, a wrong)
    Holm p          = Holm's step-down correction of the McNemar p-values over the planned family

A difference is *distinguishable* only when its Holm-corrected p is below α and its paired interval at the
family-wise level 1 - α/m (m planned comparisons) excludes zero. Every "best" is chosen on validation accuracy.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

ALPHA = 0.05


def paired_bootstrap(correct_a: np.ndarray, correct_b: np.ndarray, level: float = 0.95, n: int = 2000,
                     seed: int = 0) -> tuple[float, float, float]:
    """Return (difference in accuracy a - b, lower, upper) with a percentile interval at `level` from `n` resamples
    of the documents, each resample shared by both rows."""
    a, b = np.asarray(correct_a, dtype=np.float64), np.asarray(correct_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError(f"paired rows need the same documents: {a.shape} and {b.shape}")
    diff = a - b
    picks = np.random.default_rng(seed).integers(0, len(diff), size=(n, len(diff)))
    means = diff[picks].mean(axis=1)
    tail = (1 - level) / 2
    return float(diff.mean()), float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def exact_mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[float, int, int]:
    """Return (two-sided exact p, documents only a gets right, documents only b gets right)."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    if only_a + only_b == 0:
        return 1.0, 0, 0
    return float(binomtest(only_a, only_a + only_b, 0.5).pvalue), only_a, only_b


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
    best static row by validation, trainable against frozen λ, and the function against trainable λ."""
    validation = {key: record["validation"]["accuracy"] for key, record in results.items()}
    arm = {key: record["settings"].get("arm") for key, record in results.items()}
    statics = [k for k in results if arm[k] == "static"]
    elmo = [k for k in results if arm[k] == "elmo"]
    pairs = []
    if statics:
        best_static = max(statics, key=lambda k: (validation[k], k))
        pairs += [(key, best_static, "ELMo row against the best static row by validation") for key in elmo]
    if {"elmo_trainable", "elmo_frozen"} <= set(results):
        pairs.append(("elmo_trainable", "elmo_frozen", "trainable against frozen λ"))
    if {"elmo_function", "elmo_trainable"} <= set(results):
        pairs.append(("elmo_function", "elmo_trainable", "learnable function against trainable λ"))
    return pairs


def planned_comparisons(results: dict[str, dict], y_test: np.ndarray, alpha: float = ALPHA, n: int = 2000,
                        seed: int = 0) -> list[dict]:
    """Return one entry per planned comparison: the rows, why, the test-accuracy difference with its paired 95 %
    interval and its family-wise interval, the exact McNemar p, its Holm-corrected p, and whether it is
    distinguishable."""
    y = np.asarray(y_test)
    correct = {key: np.asarray(record["test_predictions"]) == y for key, record in results.items()}
    pairs = planned_pairs(results)
    family_level = 1 - alpha / max(len(pairs), 1)
    entries = []
    for a, b, why in pairs:
        difference, low, high = paired_bootstrap(correct[a], correct[b], 0.95, n, seed)
        _, family_low, family_high = paired_bootstrap(correct[a], correct[b], family_level, n, seed)
        p, only_a, only_b = exact_mcnemar(correct[a], correct[b])
        entries.append({"a": a, "b": b, "why": why, "difference": difference, "low": low, "high": high,
                        "family_low": family_low, "family_high": family_high, "family_level": family_level,
                        "only_a_right": only_a, "only_b_right": only_b, "p": p})
    for entry, adjusted in zip(entries, holm([e["p"] for e in entries])):
        entry["p_holm"] = adjusted
        entry["distinguishable"] = bool(adjusted < alpha and (entry["family_low"] > 0 or entry["family_high"] < 0))
    return entries
