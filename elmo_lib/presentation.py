"""How the report shows what it computed: numbered figures with captions, tables as a reader expects them (no unnamed
index, "–" for what is missing), the pairwise significance as one matrix, λ as bars, and the headline figure of this
run's own rows.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from elmo_lib.registry import label

MISSING = "–"


class Figures:
    """Shows figures in a notebook, each followed by its numbered caption ("Figure n. ...")."""

    def __init__(self):
        self.count = 0

    def show(self, fig, caption: str) -> None:
        """Display `fig` (closing it, so it shows once) and its caption; nothing for a missing figure."""
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display
        if fig is None:
            return
        self.count += 1
        display(fig)
        plt.close(fig)
        display(Markdown(f'<p class="caption"><b>Figure {self.count}.</b> {caption}</p>'))


def table(frame: pd.DataFrame, index: str | list[str] | None = None) -> pd.DataFrame:
    """Return `frame` ready to show: indexed by `index` (or its first column where its index is an unnamed range),
    missing values as "–"."""
    if frame is None or not len(frame):
        return frame
    if index is not None:
        frame = frame.set_index(index)
    elif isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        frame = frame.set_index(frame.columns[0])
    return frame.astype(object).where(frame.notna(), MISSING)


def plot_significance(results: dict[str, dict], y_true: np.ndarray):
    """Return a heatmap of the exact McNemar p-value (uncorrected) of every pair of rows, the accuracy difference
    (row minus column, points) written in each cell."""
    import matplotlib.pyplot as plt
    from elmo_lib.comparisons import exact_mcnemar
    keys = list(results)
    y = np.asarray(y_true)
    correct = {k: np.asarray(results[k]["test_predictions"]) == y for k in keys}
    p = np.full((len(keys), len(keys)), np.nan)
    for (i, a), (j, b) in itertools.combinations(enumerate(keys), 2):
        p[i, j] = p[j, i] = exact_mcnemar(correct[a], correct[b])[0]
    fig, ax = plt.subplots(figsize=(1.0 * len(keys) + 3, 0.75 * len(keys) + 1.5))
    shown = ax.imshow(np.log10(np.clip(p, 1e-6, 1)), cmap="viridis_r", vmin=-6, vmax=0)
    for i, j in itertools.product(range(len(keys)), repeat=2):
        if i != j:
            gap = 100 * (correct[keys[i]].mean() - correct[keys[j]].mean())
            ax.text(j, i, f"{gap:+.1f}\np={p[i, j]:.2g}", ha="center", va="center", fontsize=7,
                    color="white" if p[i, j] < 1e-3 else "black")
    names = [label(k, results[k]) for k in keys]
    ax.set_xticks(range(len(keys)), names, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(keys)), names, fontsize=8)
    fig.colorbar(shown, ax=ax, label="log10 of McNemar's exact p (uncorrected)")
    fig.tight_layout()
    return fig


def plot_lambda(results: dict[str, dict]):
    """Return bars of the softmax-normalised layer weights λ of every scalar-mix row, before and after training,
    or None when no row has them."""
    import matplotlib.pyplot as plt
    keys = [k for k, r in results.items() if (r.get("mix_weights") or {}).get("final")]
    if not keys:
        return None
    columns = min(3, len(keys))
    lines = -(-len(keys) // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(3.6 * columns, 3.1 * lines), squeeze=False, sharey=True)
    for ax in axes.flat[len(keys):]:
        ax.axis("off")
    for ax, key in zip(axes.flat, keys):
        weights = results[key]["mix_weights"]
        layers = np.arange(len(weights["final"]["lambda"]))
        ax.bar(layers - 0.2, weights["initial"]["lambda"], 0.4, label="before training", color="#bbbbbb")
        ax.bar(layers + 0.2, weights["final"]["lambda"], 0.4, label="after", color="#4c72b0")
        ax.set_xticks(layers, [f"layer {j}" for j in layers])
        ax.set_title(f"{label(key, results[key]).replace(' (biLM', chr(10) + '(biLM')}\n"
                     f"γ {weights['initial']['gamma']:.2f} → {weights['final']['gamma']:.2f}", fontsize=9)
    for row in axes:
        row[0].set_ylabel("λ (softmax-normalised)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def headline_results(study, replicates: list[dict[str, dict]]) -> dict:
    """Return this run's rows in the results file's form (elmo_lib.evidence), for the headline figure."""
    from elmo_lib.evidence import row_evidence
    from elmo_lib.provenance import git_commit
    y = study.corpus.test.labels
    return {"profile": study.profile.name, "git_commit": git_commit() or "unknown",
            "rows": {key: row_evidence(key, [r[key] for r in replicates], y) for key in replicates[0]}}
