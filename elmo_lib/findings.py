"""Statistics and computed sentences: McNemar's test, bootstrap intervals, seed spreads, and the narrative the report
shows, every sentence generated from the records."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from elmo_lib.comparisons import AGAINST_STATIC
from elmo_lib.registry import label, reference_accuracy


def mcnemar(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> dict:
    """Return McNemar's exact test on paired predictions: a-only-right count, b-only-right count, two-sided p."""
    right_a, right_b = np.asarray(pred_a) == y_true, np.asarray(pred_b) == y_true
    only_a, only_b = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    p_value = 1.0 if only_a + only_b == 0 else binomtest(only_a, only_a + only_b, 0.5).pvalue
    return {"only_a_right": only_a, "only_b_right": only_b, "p_value": float(p_value)}


def pairwise_mcnemar(results: dict[str, dict], y_true: np.ndarray, alpha: float = 0.05) -> pd.DataFrame:
    """Return McNemar's test between every pair of models on the test predictions (no rows for a single model)."""
    columns = ["model A", "model B", "a", "b", "accuracy A − B (points)", "only A right", "only B right", "p-value",
               f"significant at {alpha}"]
    rows = []
    for a, b in itertools.combinations(results, 2):
        test = mcnemar(y_true, results[a]["test_predictions"], results[b]["test_predictions"])
        rows.append({"model A": label(a, results[a]), "model B": label(b, results[b]), "a": a, "b": b,
                     "accuracy A − B (points)": 100 * (results[a]["test"]["accuracy"] - results[b]["test"]["accuracy"]),
                     "only A right": test["only_a_right"], "only B right": test["only_b_right"],
                     "p-value": test["p_value"], f"significant at {alpha}": test["p_value"] < alpha})
    return pd.DataFrame(rows, columns=columns).round(4)


def _points(x: float) -> str:
    return f"{abs(100 * x):.1f} point{'s' if round(abs(100 * x), 1) != 1 else ''}"


def narrative(results: dict[str, dict], significance: pd.DataFrame, alpha: float = 0.05,
              planned: list[dict] | None = None) -> str:
    """Return the report's findings as Markdown, every claim computed from `results`, `significance` (the pairwise,
    uncorrected McNemar table) and `planned` (elmo_lib.comparisons.planned_comparisons). Every "best" is chosen
    on validation accuracy; what is distinguishable is said by the planned comparisons alone."""
    acc = {key: record["test"]["accuracy"] for key, record in results.items()}
    val = {key: record["validation"]["accuracy"] for key, record in results.items()}

    def name(key: str) -> str:
        return label(key, results[key])
    if len(acc) == 1:
        (only,) = acc
        return f"- **{name(only)}** is the only row of this run: test accuracy {acc[only]:.4f}. Nothing is compared."
    top = max(val.values())
    leaders = sorted(k for k in val if val[k] == top)
    lines = [f"- **{' and '.join(name(k) for k in leaders)}** {'has' if len(leaders) == 1 else 'share'} the best "
             f"validation accuracy ({top:.4f}); on test: " + ", ".join(f"{name(k)} {acc[k]:.4f}" for k in leaders) + "."]
    lines.append("- Test accuracy by row: " + "; ".join(f"{name(k)} {acc[k]:.4f}"
                                                      for k in sorted(acc, key=lambda k: (-acc[k], k))) + ".")
    if {"elmo_trainable", "elmo_frozen"} <= acc.keys():
        gap = acc["elmo_trainable"] - acc["elmo_frozen"]
        word = "loses" if gap > 0 else "gains"
        lines.append(f"- Frozen λ {word} {_points(gap)} against trainable λ on test "
                     f"({acc['elmo_frozen']:.4f} vs {acc['elmo_trainable']:.4f}).")
    elmo_keys = [k for k in acc if results[k]["settings"].get("arm") == "elmo"]  # the frozen-biLM rows
    static_keys = [k for k in acc if results[k]["settings"].get("arm") == "static"]
    if elmo_keys and static_keys:
        best_elmo = max(elmo_keys, key=lambda k: (val[k], k))
        best_static = max(static_keys, key=lambda k: (val[k], k))
        gap = acc[best_elmo] - acc[best_static]
        relation = "is above" if gap > 0 else ("ties" if gap == 0 else "is below")
        lines.append(f"- On test, the contextual row chosen on validation ({name(best_elmo)}, {acc[best_elmo]:.4f}) "
                     f"{relation} the static row chosen on validation ({name(best_static)}, {acc[best_static]:.4f})"
                     + (f" by {_points(abs(gap))}." if gap else "."))
        below = [k for k in elmo_keys if acc[k] < acc[best_static]]
        lines.append(f"- Every contextual row at or above {name(best_static)} on test: "
                     + ("**missed** by " + "; ".join(f"{name(k)} ({_points(acc[best_static] - acc[k])} below)"
                                                     for k in below) if below else "met") + ".")
    compared = [k for k in acc if reference_accuracy(k) is not None]
    beaten = [k for k in compared if acc[k] > reference_accuracy(k)]
    lines.append(f"- {len(beaten)} of {len(compared)} models with a reference figure beat the reference study's test accuracy"
                 + (": " + "; ".join(name(k) for k in beaten) if beaten else "") + ".")
    for key in (k for k in acc if results[k]["settings"].get("arm") == "finetuned"):
        line = (f"- {name(key)} ({acc[key]:.4f}) trains the biLM's top layer, so it stands apart from the "
                f"frozen-biLM comparison above")
        if "elmo_trainable" in acc:
            gap = acc[key] - acc["elmo_trainable"]
            line += (f"; it is {_points(gap)} {'ahead of' if gap > 0 else 'behind'} the same mix over the frozen "
                     f"biLM ({name('elmo_trainable')}, {acc['elmo_trainable']:.4f})")
        lines.append(line + ".")
    lines += [planned_sentence(entry, alpha) for entry in planned or []]
    n_significant = int(significance[f"significant at {alpha}"].sum())
    lines.append(f"- Exploratory, uncorrected: {n_significant} of {len(significance)} pairs of rows have McNemar "
                 f"p < {alpha} (the matrix under *Are the differences real?*).")
    return "\n".join(lines)


def planned_sentence(entry: dict, alpha: float = 0.05) -> str:
    """Return one planned comparison as a sentence: the difference (the mean over replicates where there are
    several), its paired interval, both p-values and the verdict (distinguishable only when the corrected test and
    the family-wise interval both say so)."""
    replicates = entry.get("replicates", 1)
    noise = "the test set's and the replicates' noise" if replicates > 1 else "the test set's noise"
    verdict = ("**distinguishable**" if entry["distinguishable"]
               else f"**no difference this study can tell** (the gap is inside {noise})")
    where = f"mean over {replicates} replicates of the whole pipeline" if replicates > 1 else "on test"
    return (f"- {entry.get('a_label', label(entry['a']))} against {entry.get('b_label', label(entry['b']))} "
            f"({entry['why']}): {100 * entry['difference']:+.2f} points ({where}), paired 95 % interval "
            f"[{100 * entry['low']:+.2f}, {100 * entry['high']:+.2f}]; exact McNemar p = {entry['p']:.3g}"
            f"{' (the largest over replicates)' if replicates > 1 else ''}, "
            f"Holm-corrected p = {entry['p_holm']:.3g} (α = {alpha}): {verdict}.")


def ablation_frame(base: dict, ablations: list[dict]) -> pd.DataFrame:
    """Return the trainable-λ ELMo row as run and under each ablation override (biLM start, <unk> dropout, layer
    norm): best validation and test accuracy."""
    def row(setting: str, record: dict) -> dict:
        bilm = record["settings"].get("bilm", {})
        return {"setting": setting, "biLM word embeddings start": bilm.get("embed_init") or "random",
                "biLM <unk> dropout": bilm.get("unk_dropout"), "layer norm": record["settings"]["elmo"]["layer_norm"],
                "best validation accuracy": max(h["val_accuracy"] for h in record["history"]),
                "test accuracy": record["test"]["accuracy"], "epochs": len(record["history"])}
    rows = [row("as run (profile settings)", base)] + [row(a["setting"], a["record"]) for a in ablations]
    return pd.DataFrame(rows).set_index("setting").round(4)


def ablation_sentence(base: dict, ablations: list[dict]) -> str:
    """Return one Markdown sentence naming the ablation with the best validation accuracy and its test accuracy."""
    if not ablations:
        return "No ablations were run at this profile."
    frame = ablation_frame(base, ablations)
    best = frame["best validation accuracy"].idxmax()
    return (f"Of the {len(frame)} trainable-λ variants, **{best}** has the best validation accuracy "
            f"({frame.loc[best, 'best validation accuracy']:.4f}; test {frame.loc[best, 'test accuracy']:.4f}).")


def epoch_curve_sentence(curve: list[dict]) -> str:
    """Return one Markdown sentence: how perplexity and the joined-layer probe moved from the first epoch to the last."""
    if len(curve) < 2:
        return "Fewer than two biLM epochs were kept, so there is no curve at this profile."
    joined = next(k for k in curve[0]["probes"] if "joined" in k)
    first, last = curve[0], curve[-1]
    gain = last["probes"][joined]["validation"] - first["probes"][joined]["validation"]
    step = curve[-1]["probes"][joined]["validation"] - curve[-2]["probes"][joined]["validation"]
    return (f"From epoch {first['epoch']} to {last['epoch']}, validation perplexity went from "
            f"{first['val_perplexity']:.1f} to {last['val_perplexity']:.1f} and the probe on all layers joined "
            f"{'rose' if gain >= 0 else 'fell'} by {_points(gain)} (validation, {first['probes'][joined]['validation']:.4f} → "
            f"{last['probes'][joined]['validation']:.4f}); the last epoch alone {'added' if step >= 0 else 'removed'} "
            f"{_points(step)}.")


def bootstrap_interval(y_true: np.ndarray, predictions: np.ndarray, n: int = 1000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """Return the percentile bootstrap interval of accuracy over test documents (resampled with replacement)."""
    right = (np.asarray(predictions) == np.asarray(y_true)).astype(np.float64)
    draws = np.random.default_rng(seed).integers(0, len(right), size=(n, len(right)))
    means = right[draws].mean(axis=1)
    tail = 100 * (1 - level) / 2
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def seed_frame(seed_runs: dict[str, list[dict]], results: dict[str, dict], y_true: np.ndarray) -> pd.DataFrame:
    """Return per model: seeds, mean ± sd of test accuracy over seeds, and the bootstrap 95 % interval (over test
    documents) of the median-seed record in `results`."""
    rows = []
    for key, records in seed_runs.items():
        accuracy = np.array([r["test"]["accuracy"] for r in records])
        low, high = bootstrap_interval(y_true, results[key]["test_predictions"])
        rows.append({"model": label(key, results[key]), "key": key, "seeds": len(records), "mean test accuracy": accuracy.mean(),
                     "sd": accuracy.std(ddof=1) if len(records) > 1 else 0.0,
                     "median-seed accuracy": results[key]["test"]["accuracy"],
                     "95 % interval low": low, "95 % interval high": high})
    return pd.DataFrame(rows).set_index("model").round(4)


def distinguishable_sentence(planned: list[dict], alpha: float = 0.05) -> str:
    """Return the planned comparisons of the ELMo rows against the best static row, one sentence each (what is
    distinguishable is decided there, by the paired test and interval, never by two marginal intervals)."""
    against_static = [e for e in planned if e["why"] == AGAINST_STATIC]
    if not against_static:
        return "Only one arm was run, so there is nothing to compare."
    return "\n".join(planned_sentence(entry, alpha) for entry in against_static)


def learning_curve_sentence(entries: list[dict], results: dict[str, dict]) -> str:
    """Return one Markdown sentence: at the smallest labelled share, the contextual and the static row with the best
    mean validation accuracy there, and their mean test accuracies (nothing is chosen on test)."""
    frame = pd.DataFrame(entries)
    smallest = frame["fraction"].min()
    if smallest >= 1:
        return "No learning curve at this profile (no labelled fractions set)."
    at = frame[frame["fraction"] == smallest].groupby("model")[["val_accuracy", "test_accuracy"]].mean()
    arms = {k: results[k]["settings"].get("arm") for k in at.index}

    def best(arm: str):
        keys = [k for k in at.index if arms[k] == arm]
        return max(keys, key=lambda k: (at.loc[k, "val_accuracy"], k)) if keys else None
    e, s = best("elmo"), best("static")
    if e is None or s is None:
        top = max(at.index, key=lambda k: (at.loc[k, "val_accuracy"], k))
        return (f"At {smallest:g} of the labels the row with the best validation accuracy is "
                f"{label(top, results[top])} (test {at.loc[top, 'test_accuracy']:.4f}).")
    gap = at.loc[e, "test_accuracy"] - at.loc[s, "test_accuracy"]
    relation = "ahead of" if gap > 0 else ("level with" if gap == 0 else "behind")
    return (f"With {smallest:g} of the labelled training documents, the contextual row with the best validation "
            f"accuracy ({label(e, results[e])}, test {at.loc[e, 'test_accuracy']:.4f}) is "
            f"{_points(gap) + ' ' if gap else ''}{relation} the static row with the best validation accuracy "
            f"({label(s, results[s])}, test {at.loc[s, 'test_accuracy']:.4f}).{_schedules_sentence(frame)}")


def _schedules_sentence(frame: pd.DataFrame) -> str:
    """Return " The shares ... schedule." naming each share's learning-rate schedule where the shares' differ, else
    "" (also for entries cached before they named it)."""
    if "schedule" not in frame or frame["schedule"].nunique() < 2:
        return ""
    shares = frame.groupby("fraction")["schedule"].agg(lambda s: "/".join(sorted(set(s))))
    named = "; ".join(f"{'the full split' if f >= 1 else f'{f:g}'}: {name}" for f, name in shares.items())
    return (f" The classifiers' learning-rate schedules differ by share ({named}): a few cosine epochs on a small "
            f"share are fewer optimiser steps than the warm-up.")
