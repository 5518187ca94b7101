"""The README's results block and the headline figure, generated from a committed results file (so every number the
README quotes is in that file: tests/test_readme_results.py regenerates the block and compares). The report's answer
page draws the same figure from its own run's results.

    python -m elmo_lib.headline benchmarks/results_cpu.json README.md docs/headline_cpu.png

A results file of schema 2 (elmo_lib.evidence) gives every row's mean test accuracy with its 95 % interval and each
replicate; an older one (test accuracies only) gives those alone.
"""
from __future__ import annotations

import sys
from pathlib import Path

from elmo_lib.io import read_json
from elmo_lib.registry import is_baseline, label, reference_accuracy

BEGIN, END = "<!-- results:begin (made by python -m elmo_lib.headline; do not edit) -->", "<!-- results:end -->"
SPREAD_BEGIN = "<!-- spread:begin (made by python -m elmo_lib.headline; do not edit) -->"
SPREAD_END = "<!-- spread:end -->"
FAMILIES = ("baseline", "static vectors", "ELMo, biLM from static vectors", "ELMo, biLM from scratch",
            "ELMo, top layer fine-tuned")


def result_rows(results: dict) -> dict[str, dict]:
    """Return {key: row evidence} of a results file: its `rows` (schema 2), or rows made from an older file's test
    accuracies (label, test accuracy, reference; nothing else is known of them)."""
    if "rows" in results:
        return results["rows"]
    return {key: {"label": label(key), "test_accuracy": [accuracy], "test_mean": accuracy, "test_sd": None,
                  "test_interval": None, "validation_accuracy": None, "arm": None, "bilm_start": None,
                  "reference_test_accuracy": reference_accuracy(key)} for key, accuracy in results["test_accuracy"].items()}


def family(key: str, row: dict) -> str:
    """Return the family a row belongs to in the headline figure (FAMILIES)."""
    if row.get("arm") == "finetuned":
        return FAMILIES[4]
    if row.get("arm") == "elmo" or key.startswith("elmo_"):
        return FAMILIES[3] if row.get("bilm_start") in (None, "random") and row.get("arm") else FAMILIES[2]
    return FAMILIES[0] if is_baseline(key) else FAMILIES[1]


def results_block(results: dict, figure: str | None = None) -> str:
    """Return the README's results block for a results file: its provenance, the test accuracy by row (best mean
    first) with its interval and the reference study's figure, the planned comparisons, and the figure's link."""
    found = result_rows(results)
    order = sorted(found, key=lambda key: -found[key]["test_mean"])
    name = Path(results.get("path", f"benchmarks/results_{results['profile']}.json")).name
    machine = results.get("machine", {}).get("cpu") or results.get("device", "")
    replicates = results.get("replicates", 1)
    spread = (f"{replicates} replicates of the whole pipeline (mean ± sd)" if replicates > 1
              else "one replicate, so no spread was measured in this run")
    empty = "from empty artifacts" if results.get("from_empty_artifacts", True) else "over cached stages"
    if len(results.get("sittings", [])) > 1:
        empty += f" in {len(results['sittings'])} sittings"
    lines = [BEGIN, "", f"`{name}`: profile `{results['profile']}`, commit {results['git_commit'][:7]}, {machine}, "
             f"{results['wall_seconds']:,.0f} s {empty}, {spread}.", ""]
    if figure:
        lines += [f"![test accuracy by row]({figure})", ""]
    lines += ["| row | test accuracy | 95 % interval | reference study |", "| --- | --- | --- | --- |"]
    for key in order:
        row = found[key]
        reference = row.get("reference_test_accuracy")
        accuracy = f"{row['test_mean']:.4f}" + (f" ± {row['test_sd']:.4f}" if row.get("test_sd") is not None else "")
        interval = f"{row['test_interval'][0]:.4f}–{row['test_interval'][1]:.4f}" if row.get("test_interval") else "–"
        lines.append(f"| {row['label']} | {accuracy} | {interval} | {'–' if reference is None else f'{reference:.2f}'} |")
    planned = results.get("planned_comparisons") or []
    if planned:
        lines += ["", "| planned comparison | difference (points) | paired 95 % interval | Holm p | verdict |",
                  "| --- | --- | --- | --- | --- |"]
        for e in planned:
            verdict = "distinguishable" if e["distinguishable"] else "no difference"
            lines.append(f"| {e['a_label']} − {e['b_label']} | {100 * e['difference']:+.2f} | "
                         f"[{100 * e['low']:+.2f}, {100 * e['high']:+.2f}] | {e['p_holm']:.3g} | {verdict} |")
    return "\n".join(lines + ["", END])


def machines_clause(spread: dict) -> str:
    """Return where a multi-replicate record's replicates ran, as ", on CPU (replicates 1, 2)" joined by "and" (each
    CPU model with the replicates it ran), followed, where they differ, by a clause saying that the spread then holds
    each CPU kind's rounding too; "" where the record names no CPU."""
    where: dict[str, list[int]] = {}
    for number, cpu in enumerate(spread.get("cpus") or [], start=1):
        where.setdefault(cpu, []).append(number)
    if not where:
        return ""
    named = " and ".join(f"{cpu} (replicate{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))})"
                         for cpu, numbers in where.items())
    mixed = (": the spread holds each CPU kind's rounding as well as the seeds (same seeds on two CPU kinds give "
             "other bytes, docs/design.md)") if len(where) > 1 else ""
    return f", on {named}{mixed}"


def spread_block(spread: dict) -> str:
    """Return the README's spread block for a multi-replicate record (answer_page.spread_record): its provenance,
    every row's test accuracy as mean ± sd with each replicate, and each planned comparison's difference per
    replicate with its mean ± sd (the pairs chosen on mean validation accuracy)."""
    numbers = range(1, spread["replicates"] + 1)
    commits = ", ".join(dict.fromkeys(c[:7] for c in spread.get("git_commits", [spread["git_commit"]]) if c))
    each = " | ".join(f"replicate {n}" for n in numbers)
    lines = [SPREAD_BEGIN, "", f"`{Path(spread['path']).name}`: profile `{spread['profile']}`, {spread['replicates']} "
             f"replicates of the whole pipeline (replicate r adds r − 1 to the seed of SVD, skip-gram, the biLM, the "
             f"classifier and the frozen λ), commits {commits}{machines_clause(spread)}.", "",
             f"| row | test accuracy, mean ± sd | {each} |", "| --- | --- |" + " --- |" * len(numbers)]
    for key in sorted(spread["rows"], key=lambda k: -spread["rows"][k]["test_mean"]):
        row = spread["rows"][key]
        values = " | ".join(f"{v:.4f}" for v in row["test_accuracy"])
        lines.append(f"| {row['label']} | {row['test_mean']:.4f} ± {row['test_sd']:.4f} | {values} |")
    comparisons = spread.get("comparisons") or []
    tested = bool(comparisons) and "t_p_holm" in comparisons[0]
    if comparisons:
        extra = " t-test over the replicates, Holm p | verdict |" if tested else ""
        lines += ["", f"| planned comparison | difference (points), mean ± sd | {each} |{extra}",
                  "| --- | --- |" + " --- |" * (len(numbers) + 2 * tested)]
        for e in comparisons:
            values = " | ".join(f"{100 * d:+.2f}" for d in e["differences"])
            verdict = f" {e['t_p_holm']:.2g} | {e['verdict']} |" if tested else ""
            lines.append(f"| {e['a_label']} − {e['b_label']} | {100 * e['mean']:+.2f} ± {100 * e['sd']:.2f} | "
                         f"{values} |{verdict}")
    sds = [100 * row["test_sd"] for row in spread["rows"].values()]
    moved = f"A row's test accuracy moves by an sd of {min(sds):.2f} to {max(sds):.2f} points over the replicates"
    if comparisons:
        apart = [100 * e["sd"] for e in comparisons]
        moved += f"; a planned difference, by {min(apart):.2f} to {max(apart):.2f} points"
    sentences = [moved + "."]
    if tested:
        from elmo_lib.answer_page import replicate_verdict
        sentences.append(replicate_verdict(comparisons))
    return "\n".join(lines + ["", " ".join(sentences), "", SPREAD_END])


def plot_headline(results: dict, path: str | Path | None = None, ax=None):
    """Draw every row's mean test accuracy with its 95 % interval (and each replicate as a dot where there are
    several), grouped by family, the reference study's figure as a red mark; save to `path` if given and return
    the figure."""
    import matplotlib
    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    found = result_rows(results)
    grouped = [(f, [k for k in sorted(found, key=lambda k: found[k]["test_mean"]) if family(k, found[k]) == f])
               for f in FAMILIES]
    grouped = [(f, keys) for f, keys in grouped if keys]
    ys, y, centres = {}, 0, []
    for f, keys in reversed(grouped):
        start = y
        for key in keys:
            ys[key], y = y, y + 1
        centres.append((f, start, y - 1))
        y += 0.8
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.3 * len(found) + 0.3 * len(grouped) + 1.4), dpi=110)
    fig = ax.figure
    values = []
    for key, at in ys.items():
        row = found[key]
        values += [*row["test_accuracy"], *(row.get("test_interval") or [])]
        if row.get("test_interval"):
            low, high = row["test_interval"]
            ax.plot([low, high], [at, at], color="#4c72b0", linewidth=2.5, solid_capstyle="butt")
        ax.plot(row["test_mean"], at, "o", color="#4c72b0", markersize=6)
        if len(row["test_accuracy"]) > 1:
            ax.plot(row["test_accuracy"], [at] * len(row["test_accuracy"]), ".", color="black", markersize=4)
        reference = row.get("reference_test_accuracy")
        if reference is not None:
            ax.plot(reference, at, marker="|", markersize=14, color="#c44e52", markeredgewidth=2)
            values.append(reference)
    # the family band names the biLM's start, so a row's tick is its name without it
    ax.set_yticks(list(ys.values()), [found[k]["label"].split(" (biLM from")[0] for k in ys], fontsize=9)
    for f, start, end in centres:
        ax.axhspan(start - 0.45, end + 0.75, color="#f2f2f2", zorder=0)
        ax.text(0.995, end + 0.3, f, transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=8,
                color="#555", style="italic")
    ax.set_xlim(min(values) - 0.005, max(values) + 0.005)
    ax.set_xlabel("test accuracy: mean (dot), 95 % interval (bar), replicates (black), reference study (red)")
    ax.set_title(f"AG News, profile {results['profile']}, commit {results['git_commit'][:7]}")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
        plt.close(fig)
    return fig


def update_readme(results_path: str, readme: str, figure: str | None = None) -> None:
    """Replace the README's results block with the one made from `results_path` (and redraw the figure), and its
    spread block with the one made from the profile's committed multi-replicate record where the README has one."""
    from elmo_lib.answer_page import spread_record
    results = {**read_json(Path(results_path)), "path": results_path}
    if figure:
        plot_headline(results, figure)
    text = Path(readme).read_text(encoding="utf-8")
    text = _replace(text, BEGIN, END, results_block(results, figure))
    spread = spread_record(results["profile"], Path(results_path).parent)
    if spread and SPREAD_BEGIN in text:
        text = _replace(text, SPREAD_BEGIN, SPREAD_END, spread_block(spread))
    Path(readme).write_text(text, encoding="utf-8")


def _replace(text: str, begin: str, end: str, block: str) -> str:
    start, stop = text.index(begin), text.index(end) + len(end)
    return text[:start] + block + text[stop:]


if __name__ == "__main__":
    update_readme(*sys.argv[1:4])
