"""The README's results block and headline figure, generated from a committed results file (so every number the
README quotes is in that file: tests/test_readme_results.py regenerates the block and compares).

    python -m elmo_lib.headline benchmarks/results_cpu.json README.md docs/headline_cpu.png
"""
from __future__ import annotations

import sys
from pathlib import Path

from elmo_lib.io import read_json
from elmo_lib.registry import label, reference_accuracy

BEGIN, END = "<!-- results:begin (made by python -m elmo_lib.headline; do not edit) -->", "<!-- results:end -->"


def results_block(results: dict, figure: str | None = None) -> str:
    """Return the README's results block for a results file: its provenance, the test accuracies by row (best
    first) with the reference study's figure, and the headline figure's image link."""
    accuracy = results["test_accuracy"]
    order = sorted(accuracy, key=lambda key: -accuracy[key])
    lines = [BEGIN, "",
             f"`{Path(results.get('path', 'benchmarks/results_' + results['profile'] + '.json')).name}`: profile "
             f"`{results['profile']}`, commit {results['git_commit'][:7]}, {results['device']}, "
             f"{results['wall_seconds']:,.0f} s from empty artifacts, one seed.", ""]
    if figure:
        lines += [f"![test accuracy by row]({figure})", ""]
    lines += ["| row | test accuracy | reference study |", "| --- | --- | --- |"]
    for key in order:
        reference = reference_accuracy(key)
        lines.append(f"| {label(key)} | {accuracy[key]:.4f} | {'–' if reference is None else f'{reference:.2f}'} |")
    return "\n".join(lines + ["", END])


def plot_headline(results: dict, path: str | Path) -> None:
    """Write a horizontal bar chart of every row's test accuracy (the reference study's as a mark) to `path`."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    accuracy = results["test_accuracy"]
    order = sorted(accuracy, key=lambda key: accuracy[key])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(order) + 1.2), dpi=110)
    ax.barh([label(k) for k in order], [accuracy[k] for k in order], color="#4c72b0")
    for y, key in enumerate(order):
        if reference_accuracy(key) is not None:
            ax.plot(reference_accuracy(key), y, marker="|", markersize=16, color="#c44e52")
    low = min(min(accuracy.values()), *(r for k in order if (r := reference_accuracy(k)) is not None))
    ax.set_xlim(low - 0.01, max(accuracy.values()) + 0.01)
    ax.set_xlabel("test accuracy (red mark: the reference study)")
    ax.set_title(f"AG News, profile {results['profile']}, commit {results['git_commit'][:7]}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def update_readme(results_path: str, readme: str, figure: str | None = None) -> None:
    """Replace the README's results block with the one made from `results_path` (and redraw the figure)."""
    results = {**read_json(Path(results_path)), "path": results_path}
    if figure:
        plot_headline(results, figure)
    text = Path(readme).read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    Path(readme).write_text(text[:start] + results_block(results, figure) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    update_readme(*sys.argv[1:4])
