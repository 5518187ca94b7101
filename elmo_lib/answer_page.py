"""The report's answer page: the question answered in computed sentences, the headline figure, the planned
comparisons as a table, the replicates of the whole pipeline, and what this profile left out (with the command that
adds it). Every number comes from the run's records.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from elmo_lib.comparisons import AGAINST_STATIC
from elmo_lib.findings import _points
from elmo_lib.plugins import static_rows
from elmo_lib.registry import BILM_ARMS, bilm_start_of, label


def bilm_start(record: dict) -> str:
    """Return where a row's biLM word embeddings started: "<method> vectors", "random (from scratch)", or "–" for a
    row without a biLM."""
    if record.get("settings", {}).get("arm") not in BILM_ARMS:
        return "–"
    start = bilm_start_of(record) or "random"  # a biLM row that does not say is from before the static start existed
    return "random (from scratch)" if start == "random" else f"{start} vectors"


def family_of(record: dict) -> str | None:
    """Return the ELMo family of a frozen-biLM row's record ("from <method> vectors" or "from scratch"), or None for
    another row."""
    if record["settings"].get("arm") != "elmo":
        return None
    start = bilm_start_of(record) or "random"
    if start == "random":
        return "from scratch"
    return f"from {label(start).lower() if start in static_rows() else start} vectors"


def answer(replicates: list[dict[str, dict]], planned: list[dict], alpha: float = 0.05,
           spread: dict | None = None) -> str:
    """Return the report's answer as Markdown: for each ELMo family (the biLM's start), its row with the best mean
    validation accuracy against the best static row by validation, with the paired interval and the Holm-corrected
    p of that planned comparison, stated plainly; then how much of the pipeline's spread was measured (`spread`: a
    committed multi-replicate results file, quoted where this run has one replicate)."""
    results = replicates[0]
    validation = {k: float(np.mean([r[k]["validation"]["accuracy"] for r in replicates])) for k in results}
    test = {k: float(np.mean([r[k]["test"]["accuracy"] for r in replicates])) for k in results}
    lines = ["**Question.** What does a contextual biLM, pretrained from scratch on this corpus, buy a news-topic "
             "classifier over static word vectors, and how sure are we?", ""]
    against = {e["a"]: e for e in planned if e["why"] == AGAINST_STATIC}
    families: dict[str, list[str]] = {}
    for key, record in results.items():
        if family_of(record) and key in against:
            families.setdefault(family_of(record), []).append(key)
    if not families:
        lines.append("**Answer.** This run has no ELMo row compared with a static row, so it does not answer it.")
    for name, keys in families.items():
        best = max(keys, key=lambda k: (validation[k], k))
        e = against[best]
        word = "above" if e["difference"] > 0 else ("level with" if e["difference"] == 0 else "below")
        verdict = ("a difference this study can tell" if e["distinguishable"]
                   else "**no difference this study can tell**")
        lines.append(f"- **ELMo, biLM {name}**: its best row by validation ({label(best, results[best])}, test "
                     f"{test[best]:.4f}) is {_points(e['difference'])} {word} the best static row by validation "
                     f"({e['b_label']}, test {test[e['b']]:.4f}); paired 95 % interval [{100 * e['low']:+.2f}, "
                     f"{100 * e['high']:+.2f}] points, Holm-corrected p = {e['p_holm']:.3g}: {verdict}.")
    if len(replicates) > 1:
        sds = {k: float(np.std([r[k]["test"]["accuracy"] for r in replicates], ddof=1)) for k in results}
        lines.append(f"- Spread: {len(replicates)} replicates of the whole pipeline; the sd of a row's test accuracy "
                     f"over them runs from {_points(min(sds.values()))} to {_points(max(sds.values()))}.")
    elif spread:
        sds = [row["test_sd"] for row in spread["rows"].values() if row.get("test_sd") is not None]
        lines.append(f"- Spread: not measured in this run (one replicate). The committed {spread['replicates']}-replicate "
                     f"record ({spread['path']}, commit {spread['git_commit'][:7]}) measured a row's test-accuracy sd "
                     f"of {_points(min(sds))} to {_points(max(sds))}.")
        if spread.get("comparisons") and "verdict" in spread["comparisons"][0]:
            lines.append(f"- {replicate_verdict(spread['comparisons'])}")
    else:
        lines.append("- Spread: not measured in this run (one replicate of the pipeline), and no multi-replicate "
                     "record is committed for this profile; the intervals above hold the test set's noise alone.")
    return "\n".join(lines)


def replicate_verdict(comparisons: list[dict]) -> str:
    """Return the sentences that sort the planned comparisons by their verdict over the replicates (comparisons_over:
    a Holm-corrected t-test, "no difference" within one sd, "not resolved" between) and say what the test leaves
    out."""
    def named(verdict: str) -> str:
        found = [f"{e['a_label']} − {e['b_label']} ({100 * e['mean']:+.2f})" for e in comparisons
                 if e["verdict"] == verdict]
        return "; ".join(found) if found else "none"
    n = len(comparisons[0]["differences"])
    freedom = f"{n - 1} degree{'s' if n > 2 else ''} of freedom"
    return (f"Over the {n} replicates (a t-test of each planned difference on {freedom}, "
            f"Holm-corrected over the {len(comparisons)}, its family-wise interval excluding zero), distinguishable: "
            f"{named('distinguishable')}. No difference (the mean within one sd of zero): {named('no difference')}. "
            f"Not resolved (larger than its sd, but {n} replicates do not exclude zero): {named('not resolved')}. "
            "The test carries the pipeline's randomness on one test set, not the test set's own noise.")


def planned_frame(planned: list[dict], compact: bool = False) -> pd.DataFrame:
    """Return the planned comparisons as a table: why each is planned, the difference in points with its paired 95 %
    interval, the exact McNemar p and its Holm correction over the family, and the verdict (`compact`: without the
    why and the uncorrected p, for the answer page)."""
    rows = [{"comparison": f"{e.get('a_label', label(e['a']))} − {e.get('b_label', label(e['b']))}", "why": e["why"],
             "difference (points)": f"{100 * e['difference']:+.2f}",
             "paired 95 % interval (points)": f"[{100 * e['low']:+.2f}, {100 * e['high']:+.2f}]",
             "McNemar p": f"{e['p']:.2g}", "Holm-corrected p": f"{e['p_holm']:.2g}",
             "distinguishable": "yes" if e["distinguishable"] else "no"} for e in planned]
    frame = pd.DataFrame(rows).set_index("comparison") if rows else pd.DataFrame()
    return frame.drop(columns=["why", "McNemar p"]) if compact and rows else frame


def _replicate_table(rows: list[tuple[str, str, list[float], list[float]]]) -> pd.DataFrame:
    """Return the replicate table from (label, biLM start, test accuracies, validation accuracies) per row: mean ± sd
    of test accuracy over the replicates (sd NaN at one replicate), each replicate's test accuracy, and the mean
    validation accuracy."""
    frame = []
    for name, start, test, validation in rows:
        test = np.asarray(test, dtype=float)
        frame.append({"model": name, "biLM start": start, "mean test accuracy": test.mean(),
                      "sd": test.std(ddof=1) if len(test) > 1 else np.nan,
                      **{f"replicate {i}": value for i, value in enumerate(test, start=1)},
                      "mean validation accuracy": float(np.mean(validation))})
    return pd.DataFrame(frame).set_index("model").round(4)


def replicate_frame(replicates: list[dict[str, dict]]) -> pd.DataFrame:
    """Return per row of this run's replicates: where its biLM started, mean ± sd of test accuracy over the
    replicates of the whole pipeline, each replicate's test accuracy, and the mean validation accuracy."""
    return _replicate_table([(label(key, record), bilm_start(record),
                              [r[key]["test"]["accuracy"] for r in replicates],
                              [r[key]["validation"]["accuracy"] for r in replicates])
                             for key, record in replicates[0].items()])


def spread_record(profile_name: str, benchmarks=None) -> dict | None:
    """Return the committed multi-replicate record of a profile with its path: benchmarks/results_<profile>-complete.json
    (one run of every replicate) where it exists, else benchmarks/replicates_<profile>.json (replicates computed in
    several sittings and joined, elmo_lib.replicates); None when neither holds more than one replicate."""
    from pathlib import Path

    from elmo_lib.io import read_json
    from elmo_lib.paths import project_root
    folder = Path(benchmarks) if benchmarks else (project_root() or Path(".")) / "benchmarks"
    for path in (folder / f"results_{profile_name}-complete.json", folder / f"replicates_{profile_name}.json"):
        if path.is_file():
            record = read_json(path)
            if record.get("schema", 1) >= 2 and record.get("replicates", 1) >= 2:
                return {**record, "path": f"benchmarks/{path.name}"}
    return None


def spread_frame(spread: dict) -> pd.DataFrame:
    """Return per row of a multi-replicate record (spread_record) the same table as replicate_frame: where its biLM
    started, the mean ± sd of test accuracy over the replicates, each replicate's test accuracy, and the mean
    validation accuracy."""
    return _replicate_table([(row["label"], bilm_start({"settings": {"arm": row["arm"], "bilm_start": row["bilm_start"]}}),
                              row["test_accuracy"], row["validation_accuracy"]) for row in spread["rows"].values()])


def not_run_sentence(study, section: str) -> str:
    """Return the Markdown line saying that `section` was not run at this profile and the command that adds it."""
    from elmo_lib.evidence import sections_not_run
    command = sections_not_run(study.profile).get(section)
    if command is None and section == "ablations" and not study.profile.ablations:
        return f"Profile `{study.profile.name}` lists no ablation (the setting `ablations`)."
    return (f"Not run at profile `{study.profile.name}`" + (f": add it with `{command}` (it reuses every cached "
                                                             f"stage)." if command else "."))
