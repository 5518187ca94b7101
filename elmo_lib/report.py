"""Records -> tables, figures, significance tests and narrative that the report notebooks show."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from elmo_lib.data import CLASS_NAMES
from elmo_lib.registry import label, reference_accuracy
from elmo_lib.vocab import UNK_ID


def classification_frame(metrics: dict) -> pd.DataFrame:
    """Return per-class precision/recall/F1/support, then accuracy and the macro and weighted averages."""
    rows = {name: metrics["per_class"][name] for name in CLASS_NAMES}
    rows["macro avg"] = metrics["macro avg"]
    rows["weighted avg"] = metrics["weighted avg"]
    frame = pd.DataFrame(rows).T[["precision", "recall", "f1", "support"]]
    frame.loc["accuracy"] = [np.nan, np.nan, metrics["accuracy"], metrics["n"]]
    frame["support"] = frame["support"].astype(int)
    return frame.round(4)


def plot_confusion(metrics: dict, title: str, ax=None):
    """Return the axes of a confusion-matrix heatmap (rows: true class, columns: predicted), class names on both."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 3.8))
    sns.heatmap(np.asarray(metrics["confusion_matrix"]), annot=True, fmt="d", cmap="Blues", cbar=False,
                xticklabels=CLASS_NAMES, yticklabels=CLASS_NAMES, ax=ax)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return ax


def comparison_frame(results: dict[str, dict]) -> pd.DataFrame:
    """Return one row per model: test accuracy and macro F1, the precision its classifier ran in (bf16 only where the
    CPU or GPU computes it natively), the reference study's accuracy and our difference."""
    rows = []
    for key, record in results.items():
        reference = reference_accuracy(key)
        rows.append({"model": label(key), "key": key,
                     "test accuracy": record["test"]["accuracy"],
                     "test macro F1": record["test"]["macro avg"]["f1"],
                     "train accuracy": record["train"]["accuracy"],
                     "precision": record.get("ran_in", {}).get("precision", "scikit-learn" if record.get(
                         "settings", {}).get("classifier") is None else "–"),
                     "reference test accuracy": reference,
                     "difference (points)": None if reference is None else 100 * (record["test"]["accuracy"] - reference)})
    return pd.DataFrame(rows).set_index("model").round(4)


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
        rows.append({"model A": label(a), "model B": label(b), "a": a, "b": b,
                     "accuracy A − B (points)": 100 * (results[a]["test"]["accuracy"] - results[b]["test"]["accuracy"]),
                     "only A right": test["only_a_right"], "only B right": test["only_b_right"],
                     "p-value": test["p_value"], f"significant at {alpha}": test["p_value"] < alpha})
    return pd.DataFrame(rows, columns=columns).round(4)


def lambda_frame(results: dict[str, dict]) -> pd.DataFrame:
    """Return the λ weights (softmax-normalised) and γ of the trainable and frozen modes, before and after training."""
    rows = []
    for key in [k for k, r in results.items() if (r.get("mix_weights") or {}).get("final")]:
        for stage in ("initial", "final"):
            weights = results[key]["mix_weights"][stage]
            rows.append({"model": label(key), "stage": stage,
                         **{f"λ_{j}": value for j, value in enumerate(weights["lambda"])}, "γ": weights["gamma"]})
    return pd.DataFrame(rows).round(4)


def window_sweep_frame(results: dict[str, dict]) -> pd.DataFrame:
    """Return the validation probe accuracy of each window for the static models, and the chosen window."""
    rows = []
    for key in [k for k, r in results.items() if "window_scores" in r["settings"].get("embedding", {})]:
        embedding = results[key]["settings"]["embedding"]
        for window, score in sorted(embedding["window_scores"].items(), key=lambda kv: int(kv[0])):
            rows.append({"model": label(key), "window": int(window), "validation accuracy": score,
                         "chosen": int(window) == embedding["window"]})
    return pd.DataFrame(rows).round(4)


def plot_pretraining(log: dict):
    """Return a figure of the biLM's per-step training loss and per-epoch validation perplexity."""
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    steps = [s["step"] for s in log["steps"]]
    losses = np.asarray([s["loss"] for s in log["steps"]])
    window = max(1, len(losses) // 50)
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    left.plot(steps, losses, alpha=0.3, label="per step")
    left.plot(steps[window - 1:], smooth, label=f"mean of {window}")
    left.set_xlabel("step")
    left.set_ylabel("training NLL (both directions)")
    left.legend()
    epochs = [e["epoch"] for e in log["epochs"]]
    right.plot(epochs, [e["val_perplexity"] for e in log["epochs"]], marker="o")
    right.set_xlabel("epoch")
    right.set_ylabel("validation perplexity")
    right.set_xticks(epochs)
    fig.tight_layout()
    return fig


def _points(x: float) -> str:
    return f"{abs(100 * x):.1f} point{'s' if round(abs(100 * x), 1) != 1 else ''}"


def narrative(results: dict[str, dict], significance: pd.DataFrame, alpha: float = 0.05) -> str:
    """Return the report's findings as Markdown, every claim computed from `results` and `significance`."""
    acc = {key: record["test"]["accuracy"] for key, record in results.items()}
    ranked = sorted(acc, key=lambda k: (-acc[k], k))
    if len(ranked) == 1:
        return (f"- **{label(ranked[0])}** is the only row of this run: test accuracy {acc[ranked[0]]:.4f}. "
                "Nothing is compared.")
    best, runner_up = ranked[0], ranked[1]
    pair = significance[((significance.a == best) & (significance.b == runner_up))
                        | ((significance.a == runner_up) & (significance.b == best))].iloc[0]
    if acc[best] == acc[runner_up]:
        tied = [k for k in ranked if acc[k] == acc[best]]
        lines = [f"- **{' and '.join(label(k) for k in tied)} tie for best** on the test set with accuracy "
                 f"{acc[best]:.4f} (the same number of documents right).",
                 f"- McNemar's test between {label(best)} and {label(runner_up)}: p = {pair['p-value']:.3g}."]
    else:
        verdict = "is" if pair["p-value"] < alpha else "is not"
        lines = [f"- **{label(best)} is best** on the test set with accuracy {acc[best]:.4f}, "
                 f"{_points(acc[best] - acc[runner_up])} ahead of {label(runner_up)} ({acc[runner_up]:.4f}).",
                 f"- That lead {verdict} significant by McNemar's test (p = {pair['p-value']:.3g}, α = {alpha})."]
    lines.append("- Ranking by test accuracy: " + " > ".join(f"{label(k)} ({acc[k]:.4f})" for k in ranked) + ".")
    if {"elmo_trainable", "elmo_frozen"} <= acc.keys():
        gap = acc["elmo_trainable"] - acc["elmo_frozen"]
        word = "loses" if gap > 0 else "gains"
        lines.append(f"- Frozen λ {word} {_points(gap)} against trainable λ "
                     f"({acc['elmo_frozen']:.4f} vs {acc['elmo_trainable']:.4f}).")
    elmo_keys = [k for k in acc if results[k]["settings"].get("arm") == "elmo"]  # the frozen-biLM rows
    static_keys = [k for k in acc if results[k]["settings"].get("arm") == "static"]
    if elmo_keys and static_keys:
        best_elmo = max(elmo_keys, key=lambda k: acc[k])
        best_static = max(static_keys, key=lambda k: acc[k])
        relation = "beats" if acc[best_elmo] > acc[best_static] else ("ties" if acc[best_elmo] == acc[best_static] else "trails")
        lines.append(f"- The best contextual model ({label(best_elmo)}, {acc[best_elmo]:.4f}) {relation} the best "
                     f"static one ({label(best_static)}, {acc[best_static]:.4f}) by {_points(acc[best_elmo] - acc[best_static])}.")
    compared = [k for k in acc if reference_accuracy(k) is not None]
    beaten = [k for k in compared if acc[k] > reference_accuracy(k)]
    lines.append(f"- {len(beaten)} of {len(compared)} models with a reference figure beat the reference study's test accuracy"
                 + (": " + "; ".join(label(k) for k in beaten) if beaten else "") + ".")
    if elmo_keys and static_keys:
        below = [k for k in elmo_keys if acc[k] < acc[best_static]]
        if below:
            lines.append(f"- The study's aim, every contextual row at or above the best static row ({label(best_static)}, "
                         f"{acc[best_static]:.4f}), is **missed** by " + "; ".join(
                             f"{label(k)} ({_points(acc[best_static] - acc[k])} below)" for k in below) + ".")
        else:
            lines.append(f"- Every contextual row is at or above the best static row ({label(best_static)}, "
                         f"{acc[best_static]:.4f}).")
    for key in (k for k in ranked if results[k]["settings"].get("arm") == "finetuned"):
        line = (f"- {label(key)} ({acc[key]:.4f}) trains the biLM's top layer, so it stands apart from the "
                f"frozen-biLM comparison above")
        if "elmo_trainable" in acc:
            gap = acc[key] - acc["elmo_trainable"]
            line += (f"; it is {_points(gap)} {'ahead of' if gap > 0 else 'behind'} the same mix over the frozen "
                     f"biLM ({label('elmo_trainable')}, {acc['elmo_trainable']:.4f})")
        lines.append(line + ".")
    n_significant = int(significance[f"significant at {alpha}"].sum())
    lines.append(f"- {n_significant} of {len(significance)} model pairs differ significantly at α = {alpha}.")
    return "\n".join(lines)


def data_summary(study) -> str:
    """Return the deterministic data statistics as text: rows and classes per split, tokens, vocabulary, coverage."""
    corpus = study.corpus
    lines = [f"profile: {study.profile.name}; text: {study.profile.data.text_field}; "
             f"files: train.csv {study.data_files['train']['sha256'][:12]}, test.csv {study.data_files['test']['sha256'][:12]}"]
    for name, split in corpus.splits().items():
        counts = np.bincount(split.labels, minlength=len(CLASS_NAMES))
        lengths = split.lengths
        unknown = sum(int((doc == UNK_ID).sum()) for doc in split.ids) / max(int(lengths.sum()), 1)
        lines.append(f"{name:>10}: {len(split):>6,} rows | " + ", ".join(f"{c} {n:,}" for c, n in zip(CLASS_NAMES, counts))
                     + f" | {int(lengths.sum()):,} tokens, mean {lengths.mean():.1f}, max {lengths.max()}"
                     + f" | <unk> {unknown:.2%}")
    lines.append(f"vocabulary: {len(corpus.vocab):,} ids (min_freq {study.profile.vocab.min_freq}, "
                 f"max_size {study.profile.vocab.max_size}), built on the training part only")
    return "\n".join(lines)


def plot_data_overview(study):
    """Return a figure of class balance per split and the token-length histogram."""
    import matplotlib.pyplot as plt
    corpus = study.corpus
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    frame = pd.DataFrame({name: np.bincount(split.labels, minlength=len(CLASS_NAMES)) / len(split)
                          for name, split in corpus.splits().items()}, index=CLASS_NAMES)
    frame.plot.bar(ax=left, rot=0)
    left.set_ylabel("share of rows")
    left.set_title("class balance")
    for name, split in corpus.splits().items():
        right.hist(split.lengths, bins=40, alpha=0.5, density=True, label=name)
    right.set_xlabel(f"tokens per document (cut at {study.profile.data.max_tokens})")
    right.set_title("document length")
    right.legend()
    fig.tight_layout()
    return fig


def show_model(key: str, record: dict) -> None:
    """Display one model's classification reports and confusion heatmaps for train and test (in a notebook)."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display
    display(Markdown(f"### {label(key)} (`{key}`)"))
    for split in ("train", "test"):
        display(Markdown(f"**{split}** — accuracy {record[split]['accuracy']:.4f} over {record[split]['n']:,} documents"))
        display(classification_frame(record[split]))
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
    plot_confusion(record["train"], f"{label(key)}: train", axes[0])
    plot_confusion(record["test"], f"{label(key)}: test", axes[1])
    fig.tight_layout()
    plt.show()


def model_details(record: dict) -> None:
    """Display what a record holds beyond its metrics: the window sweep, the layer weights (in a notebook)."""
    from IPython.display import Markdown, display
    results = {record["model"]: record}
    sweep, weights = window_sweep_frame(results), lambda_frame(results)
    if len(sweep):
        display(Markdown("**Window sweep** (validation probe accuracy)"), sweep)
    if len(weights):
        display(Markdown("**Layer weights λ and γ**, before and after training"), weights)
    history = record.get("history") or []
    if history:
        display(Markdown(f"**Training**: best epoch {record['best_epoch']} of {len(history)}, "
                         f"stopped by {record.get('stop_reason', 'max_epochs')}"),
                pd.DataFrame(history).set_index("epoch").round(4))


def probe_frame(probes: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Return the probe accuracy of each representation on validation and test, best validation first."""
    frame = pd.DataFrame(probes).T[["validation", "test"]].rename_axis("representation (mean-pooled)")
    return frame.sort_values("validation", ascending=False).round(4)


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


def epoch_curve_frame(curve: list[dict]) -> pd.DataFrame:
    """Return one row per biLM epoch: validation perplexity and each layer's mean-pool probe accuracy (validation)."""
    rows = [{"epoch": e["epoch"], "validation perplexity": e["val_perplexity"],
             **{f"{label} (val)": scores["validation"] for label, scores in e["probes"].items()}} for e in curve]
    return pd.DataFrame(rows).set_index("epoch").round(4)


def plot_perplexity_vs_probe(curve: list[dict]):
    """Return a figure of validation probe accuracy against validation perplexity, one point per biLM epoch."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    perplexity = [e["val_perplexity"] for e in curve]
    for view in curve[0]["probes"] if curve else ():
        ax.plot(perplexity, [e["probes"][view]["validation"] for e in curve], marker="o", label=view)
    for e in curve:
        ax.annotate(f"epoch {e['epoch']}", (e["val_perplexity"], max(s["validation"] for s in e["probes"].values())),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xlabel("biLM validation perplexity (lower is better)")
    ax.set_ylabel("mean-pool probe accuracy (validation)")
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


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
        rows.append({"model": label(key), "key": key, "seeds": len(records), "mean test accuracy": accuracy.mean(),
                     "sd": accuracy.std(ddof=1) if len(records) > 1 else 0.0,
                     "median-seed accuracy": results[key]["test"]["accuracy"],
                     "95 % interval low": low, "95 % interval high": high})
    return pd.DataFrame(rows).set_index("model").round(4)


def distinguishable_sentence(frame: pd.DataFrame, results: dict[str, dict]) -> str:
    """Return a Markdown sentence per ELMo row: distinguishable or not from the best static row, by whether the
    bootstrap intervals of their median-seed accuracies overlap."""
    arms = {row.key: results[row.key]["settings"].get("arm") for row in frame.itertuples()}
    statics = frame[[arms[k] == "static" for k in frame["key"]]]
    elmos = frame[[arms[k] == "elmo" for k in frame["key"]]]
    if statics.empty or elmos.empty:
        return "Only one arm was run, so there is nothing to compare."
    best = statics["median-seed accuracy"].idxmax()
    b = statics.loc[best]
    lines = []
    for name, row in elmos.iterrows():
        overlap = row["95 % interval low"] <= b["95 % interval high"] and b["95 % interval low"] <= row["95 % interval high"]
        verdict = "**not distinguishable** from" if overlap else "**distinguishable** from"
        lines.append(f"- {name} ({row['median-seed accuracy']:.4f}, 95 % interval [{row['95 % interval low']:.4f}, "
                     f"{row['95 % interval high']:.4f}]) is {verdict} {best} ({b['median-seed accuracy']:.4f}, "
                     f"[{b['95 % interval low']:.4f}, {b['95 % interval high']:.4f}]): the intervals "
                     f"{'overlap' if overlap else 'do not overlap'}.")
    return "\n".join(lines)


def learning_curve_frame(entries: list[dict]) -> pd.DataFrame:
    """Return mean test accuracy per model (rows) and labelled fraction (columns), with training documents."""
    frame = pd.DataFrame(entries)
    table = frame.pivot_table(index="model", columns="fraction", values="test_accuracy", aggfunc="mean")
    table = table.reindex(list(dict.fromkeys(frame["model"])))  # the registry's order
    table.index = [label(k) for k in table.index]
    documents = frame.groupby("fraction")["train_documents"].max()
    table.columns = [f"{f:g} ({int(documents[f]):,} docs)" for f in table.columns]
    return table.rename_axis("mean test accuracy").round(4)


def plot_learning_curve(entries: list[dict]):
    """Return a figure of test accuracy against the labelled fraction (log x), one line per model, the band
    spanning the seeds' lowest and highest accuracy."""
    import matplotlib.pyplot as plt
    frame = pd.DataFrame(entries)
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, rows in frame.groupby("model", sort=False):
        stats = rows.groupby("fraction")["test_accuracy"].agg(["mean", "min", "max"])
        line, = ax.plot(stats.index, stats["mean"], marker="o", label=label(key))
        ax.fill_between(stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.15)
    ax.set_xscale("log")
    ax.set_xlabel("share of the labelled training split (log scale)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def learning_curve_sentence(entries: list[dict], results: dict[str, dict]) -> str:
    """Return one Markdown sentence: at the smallest fraction, the best contextual and the best static row."""
    frame = pd.DataFrame(entries)
    smallest = frame["fraction"].min()
    if smallest >= 1:
        return "No learning curve at this profile (no labelled fractions set)."
    means = frame[frame["fraction"] == smallest].groupby("model")["test_accuracy"].mean()
    arms = {k: results[k]["settings"].get("arm") for k in means.index}
    elmo = means[[arms[k] == "elmo" for k in means.index]]
    static = means[[arms[k] == "static" for k in means.index]]
    if elmo.empty or static.empty:
        return f"At {smallest:g} of the labels the best row is {label(means.idxmax())} ({means.max():.4f})."
    e, s = elmo.idxmax(), static.idxmax()
    relation = "ahead of" if elmo[e] > static[s] else "behind"
    return (f"With {smallest:g} of the labelled training documents, the best contextual row ({label(e)}, "
            f"{elmo[e]:.4f}) is {_points(elmo[e] - static[s])} {relation} the best static row ({label(s)}, {static[s]:.4f}).")
