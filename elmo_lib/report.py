"""Records -> tables, figures, significance tests and narrative that the report notebooks show."""
from __future__ import annotations

import numpy as np
import pandas as pd

from elmo_lib.data import CLASS_NAMES
from elmo_lib.answer_page import answer, bilm_start, not_run_sentence, planned_frame, replicate_frame, spread_frame, spread_record
from elmo_lib.headline import plot_headline
from elmo_lib.presentation import Figures, headline_results, plot_lambda, plot_significance, table
from elmo_lib.findings import (
    ablation_frame,
    ablation_sentence,
    bootstrap_interval,
    distinguishable_sentence,
    epoch_curve_sentence,
    learning_curve_sentence,
    mcnemar,
    narrative,
    pairwise_mcnemar,
    planned_sentence,
    seed_frame,
)
from elmo_lib.registry import label, reference_accuracy
from elmo_lib.vocab import UNK_ID

# the report notebooks call the findings from here too
__all__ = [
    "Figures", "headline_results", "plot_headline", "plot_lambda", "plot_significance", "table",
    "ablation_frame", "ablation_section", "answer", "not_run_sentence", "replicate_frame", "spread_frame", "spread_record", "ablation_sentence", "bilm_start", "bootstrap_interval", "classification_frame", "comparison_frame",
    "data_summary", "distinguishable_sentence", "epoch_curve_frame", "epoch_curve_sentence", "lambda_frame",
    "learning_curve_frame", "learning_curve_sentence", "mcnemar", "model_details", "narrative",
    "pairwise_mcnemar", "planned_frame", "planned_sentence", "plot_confusion", "plot_data_overview", "plot_learning_curve", "plot_perplexity_vs_probe",
    "plot_pretraining", "plot_training_curve", "probe_frame", "seed_frame", "show_model",
    "window_sweep_frame"
]


def classification_frame(metrics: dict) -> pd.DataFrame:
    """Return per-class precision/recall/F1/support, then accuracy and the macro and weighted averages."""
    rows = {name: metrics["per_class"][name] for name in CLASS_NAMES}
    rows["macro avg"] = metrics["macro avg"]
    rows["weighted avg"] = metrics["weighted avg"]
    frame = pd.DataFrame(rows).T[["precision", "recall", "f1", "support"]]
    frame.loc["accuracy"] = [np.nan, np.nan, metrics["accuracy"], metrics["n"]]  # shown as "–" (presentation.table)
    frame["support"] = frame["support"].astype(int)
    return frame.round(4).rename_axis("class")


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
        rows.append({"model": label(key, record), "key": key,
                     "test accuracy": record["test"]["accuracy"],
                     "test macro F1": record["test"]["macro avg"]["f1"],
                     "train accuracy": record["train"]["accuracy"],
                     "biLM start": bilm_start(record),
                     "precision": record.get("ran_in", {}).get("precision", "scikit-learn" if record.get(
                         "settings", {}).get("classifier") is None else "–"),
                     "reference test accuracy": reference,
                     "difference (points)": None if reference is None else 100 * (record["test"]["accuracy"] - reference)})
    return pd.DataFrame(rows).set_index("model").round(4)


def lambda_frame(results: dict[str, dict]) -> pd.DataFrame:
    """Return the λ weights (softmax-normalised) and γ of the trainable and frozen modes, before and after training."""
    rows = []
    for key in [k for k, r in results.items() if (r.get("mix_weights") or {}).get("final")]:
        for stage in ("initial", "final"):
            weights = results[key]["mix_weights"][stage]
            rows.append({"model": label(key, results[key]), "stage": stage,
                         **{f"λ_{j}": value for j, value in enumerate(weights["lambda"])}, "γ": weights["gamma"]})
    return pd.DataFrame(rows).round(4)


def window_sweep_frame(results: dict[str, dict]) -> pd.DataFrame:
    """Return the validation probe accuracy of each window for the static models, and the chosen window."""
    rows = []
    for key in [k for k, r in results.items() if "window_scores" in r["settings"].get("embedding", {})]:
        embedding = results[key]["settings"]["embedding"]
        for window, score in sorted(embedding["window_scores"].items(), key=lambda kv: int(kv[0])):
            rows.append({"model": label(key, results[key]), "window": int(window), "validation accuracy": score,
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


def show_model(key: str, record: dict, figures=None) -> None:
    """Display one model's classification reports (train and test side by side) and its train and test confusion
    heatmaps, the model's name above them, with a caption (in a notebook; `figures` numbers the captions)."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, Markdown, display

    from elmo_lib.presentation import Figures, table
    name = label(key, record)
    display(Markdown(f"### {name} (`{key}`)"))
    frames = {split: table(classification_frame(record[split]).rename_axis(
        f"{split}: accuracy {record[split]['accuracy']:.4f}, {record[split]['n']:,} documents")) for split in ("train", "test")}
    display(HTML('<div class="side-by-side">' + "".join(f.to_html() for f in frames.values()) + "</div>"))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    plot_confusion(record["train"], "train", axes[0])
    plot_confusion(record["test"], "test", axes[1])
    fig.suptitle(name)
    fig.tight_layout()
    (figures or Figures()).show(fig, f"{name}: confusion matrices on train (left) and test (right); rows are the "
                                     f"true class, columns the predicted one.")


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


def plot_training_curve(record: dict):
    """Plot a row's classifier training: loss per epoch, and training and validation accuracy, the best epoch marked;
    return the figure (None for a baseline, which has no epochs)."""
    import matplotlib.pyplot as plt
    history = record.get("history")
    if not history:
        return None
    epochs = [h["epoch"] for h in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    left.plot(epochs, [h["train_loss"] for h in history], marker="o")
    left.set(xlabel="epoch", ylabel="training loss", title="loss")
    right.plot(epochs, [h["train_accuracy"] for h in history], marker="o", label="train")
    right.plot(epochs, [h["val_accuracy"] for h in history], marker="o", label="validation")
    right.axvline(record["best_epoch"], color="grey", linestyle=":", label=f"best epoch ({record['best_epoch']})")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend()
    fig.tight_layout()
    return fig


def ablation_section(study, results: dict) -> tuple[str, pd.DataFrame] | None:
    """Return the ablations' sentence and table (the trainable-λ row under each ablation setting), or None when the
    profile runs none."""
    if not study.runs("ablations"):
        return None
    base, variants = results["elmo_trainable"], study.ablations()
    return ablation_sentence(base, variants), ablation_frame(base, variants)
