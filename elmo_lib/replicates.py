"""Replicates of the whole pipeline, one at a time: each computed on its own (in a sitting that fits it) and kept as a
committed record, then joined into the profile's spread record.

    elmo-lib replicate 2 --profile cpu   -> benchmarks/records/replicates_cpu/replicate_2.json
        schema 2; profile, replicate, seeds (how replicate 2's seeds differ from replicate 1's), commit, machine;
        rows (as in results_<profile>.json, one replicate), chosen, frozen_lambda, perplexities,
        planned_comparisons (this replicate's test documents alone), stage_seconds, wall_seconds
    elmo-lib join-replicates --profile cpu -> benchmarks/replicates_cpu.json
        replicate 1 from benchmarks/results_<profile>.json (a one-replicate run), the others from their records:
        per row the validation and test accuracy of every replicate, their mean and sd; per planned comparison
        (pairs chosen on the mean validation accuracy) each replicate's test-accuracy difference, mean and sd, and a
        t-test of the differences over the replicates with Holm's correction over the planned family, and a verdict:
        "distinguishable" when the Holm p is below α and the family-wise (1 - α/m) t-interval excludes zero (the
        rule of elmo_lib.comparisons, applied to the replicates' spread instead of the test documents'); "no
        difference" when the mean difference is within its sd over the replicates; else "not resolved" (larger
        than its sd, but too few replicates to exclude zero)

The report of a one-replicate run quotes the joined record's sds (answer_page.spread_record).
"""
from __future__ import annotations

import shutil
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from elmo_lib.carried import carry, partial_folder, save
from elmo_lib.comparisons import ALPHA, holm, planned_comparisons, planned_pairs, replicate_t_test
from elmo_lib.errors import ReplicateError
from elmo_lib.evidence import SCHEMA, bilm_perplexities, chosen_settings, machine, row_evidence
from elmo_lib.io import read_json
from elmo_lib.pipeline.experiments import replicate_overrides
from elmo_lib.pipeline.plan import row_stages, stages
from elmo_lib.provenance import git_commit, git_dirty
from elmo_lib.registry import rows


def record_path(benchmarks: Path, profile: str, number: int) -> Path:
    """Return where replicate `number` of `profile` is recorded under the benchmarks folder."""
    return Path(benchmarks) / "records" / f"replicates_{profile}" / f"replicate_{number}.json"


def compute_replicate(study, number: int, say=print, carried_from: Path | None = None, seconds=None,
                      stop_before=None, carried_sittings: list | None = None) -> dict[str, float]:
    """Compute every stage the rows of replicate `number` of `study` are and need (its vectors, biLMs, layers and
    rows; what is cached is read), logging each computed one in the artifacts folder's stage log as
    "replicate_<number>/<stage>"; return each stage's seconds (0.0 for a cached one), filled into `seconds` as they
    finish where given. Between the inputs and the rows, the rows saved in `carried_from` (elmo_lib.carried) are
    carried in where they were trained from the same inputs, and the sittings that trained them are appended to
    `carried_sittings`. `stop_before()`, asked before each stage, may stop it short: a stage it left has no seconds."""
    replicate, seconds = study.replicate(number), {} if seconds is None else seconds
    plan = {stage.name: stage for stage in stages(replicate.profile)}
    needed = [plan[name] for name in row_stages(replicate.profile)]
    row_names = set(rows(replicate.profile))
    missing = {stage.name for stage in needed if stage.name not in row_names and not replicate._holds(stage)}
    prefix = f"replicate_{number}/"
    inputs = [stage for stage in needed if stage.name not in row_names]
    replicate.compute_logged(inputs, missing, say, prefix=prefix, seconds=seconds, stop_before=stop_before)
    if missing - set(seconds):
        return seconds                                                # stopped before the rows' inputs were done
    partial = carry(replicate, number, carried_from, say) if carried_from else None
    if partial is not None and carried_sittings is not None:
        carried_sittings.extend(partial["sittings"])
    row_plan = [stage for stage in needed if stage.name in row_names]
    missing = {stage.name for stage in row_plan if not replicate._holds(stage)}
    return replicate.compute_logged(row_plan, missing, say, prefix=prefix, seconds=seconds, stop_before=stop_before)


def sitting(seconds: dict[str, float]) -> dict:
    """Return this sitting's part of a replicate: commit, machine, and the seconds of each stage it computed."""
    return {"git_commit": git_commit(), "git_dirty": git_dirty(), "machine": machine(),
            "stage_seconds": {name: value for name, value in seconds.items() if value > 0}}


def replicate_record(study, number: int, seconds: dict[str, float], earlier: list[dict] | None = None) -> dict:
    """Return the record of replicate `number` of `study` (its rows computed) with each stage's `seconds` in this
    sitting and the `earlier` sittings whose rows it carried (elmo_lib.carried): a carried row's seconds are those
    of the sitting that trained it, and wall_seconds sums what every sitting computed."""
    replicate = study.replicate(number)
    results = replicate.results()
    labels = study.corpus.test.labels
    sittings = [*(earlier or []), sitting(seconds)]
    stage_seconds = dict(seconds)
    for before in earlier or []:
        for name, value in before["stage_seconds"].items():
            if name in rows(study.profile) and not stage_seconds.get(name):
                stage_seconds[name] = value
    return {"schema": SCHEMA, "profile": study.profile.name, "replicate": number,
            "seeds": replicate_overrides(study.profile, number), "git_commit": git_commit(), "git_dirty": git_dirty(),
            "machine": machine(),
            "rows": {key: row_evidence(key, [record], labels) for key, record in results.items()},
            "chosen": [chosen_settings(results)],
            "frozen_lambda": [results["elmo_frozen"]["mix_weights"]["initial"]["lambda"]] if "elmo_frozen" in results
            else [],
            "perplexities": {name: [values] for name, values in bilm_perplexities(replicate).items()},
            "planned_comparisons": planned_comparisons(results, labels),
            "stage_seconds": stage_seconds, "sittings": sittings,
            "wall_seconds": round(sum(sum(s["stage_seconds"].values()) for s in sittings), 1)}


def join(records: list[dict]) -> dict:
    """Return the spread record of one profile from one-replicate records (replicate 1: a results file with
    "replicates": 1; replicate k > 1: its replicate record): every row's validation and test accuracy per replicate
    with their mean and sd, and each planned comparison's per-replicate test-accuracy difference with its mean, sd
    and t-test over the replicates (comparisons_over), the pairs chosen on the mean validation accuracy. Raise
    ReplicateError when they are not replicates 1..n of one profile's rows."""
    numbers = [r.get("replicate", 1 if r.get("replicates") == 1 else None) for r in records]
    if None in numbers:
        raise ReplicateError("a record that is neither a one-replicate results file nor a replicate record")
    if sorted(numbers) != list(range(1, len(records) + 1)):
        raise ReplicateError(f"replicates {sorted(numbers)}: expected each of 1 to {len(records)} once")
    profiles = {r["profile"] for r in records}
    if len(profiles) != 1:
        raise ReplicateError(f"records of several profiles: {sorted(profiles)}")
    ordered = [r for _, r in sorted(zip(numbers, records), key=lambda pair: pair[0])]
    keys = list(ordered[0]["rows"])
    for number, record in enumerate(ordered, start=1):
        if list(record["rows"]) != keys or any(record["rows"][k]["label"] != ordered[0]["rows"][k]["label"]
                                               for k in keys):
            raise ReplicateError(f"replicate {number} has other rows than replicate 1: {list(record['rows'])}")
    rows = {}
    for key in keys:
        validation = [r["rows"][key]["validation_accuracy"][0] for r in ordered]
        test = [r["rows"][key]["test_accuracy"][0] for r in ordered]
        first = ordered[0]["rows"][key]
        rows[key] = {"label": first["label"], "arm": first["arm"], "bilm_start": first["bilm_start"],
                     "validation_accuracy": validation, "test_accuracy": test,
                     "validation_mean": float(np.mean(validation)), "test_mean": float(np.mean(test)),
                     "test_sd": float(np.std(test, ddof=1)) if len(test) > 1 else None}
    return {"schema": SCHEMA, "profile": ordered[0]["profile"], "replicates": len(ordered),
            "git_commit": ordered[-1]["git_commit"], "git_commits": [r["git_commit"] for r in ordered],
            "git_dirty": [r["git_dirty"] for r in ordered], "cpus": [r["machine"]["cpu"] for r in ordered],
            "torch_threads": [r["machine"]["torch_threads"] for r in ordered],
            "rows": rows, "comparisons": comparisons_over(rows),
            "perplexities": {name: [r["perplexities"][name][0] for r in ordered]
                             for name in ordered[0]["perplexities"]},
            "chosen": [r["chosen"][0] for r in ordered], "frozen_lambda": [r["frozen_lambda"] for r in ordered],
            "wall_seconds": [r["wall_seconds"] for r in ordered]}


def comparisons_over(rows: dict[str, dict], alpha: float = ALPHA) -> list[dict]:
    """Return the planned pairs of `rows` (a joined record's rows; best static row by mean validation accuracy), each
    with its test-accuracy difference per replicate, their mean and sd, and with two replicates or more a t-test over
    them: its 95 % interval, the family-wise (1 - alpha/m) interval, p, Holm's p over the m planned pairs,
    "distinguishable" (Holm p below alpha and the family-wise interval excluding zero) and the verdict:
    "distinguishable", "no difference" (|mean| within one sd) or "not resolved" (neither)."""
    records = {key: {"validation": {"accuracy": row["validation_mean"]}, "settings": {"arm": row["arm"]}}
               for key, row in rows.items()}
    entries = []
    for a, b, why in planned_pairs(records):
        differences = [x - y for x, y in zip(rows[a]["test_accuracy"], rows[b]["test_accuracy"])]
        entries.append({"a": a, "b": b, "a_label": rows[a]["label"], "b_label": rows[b]["label"], "why": why,
                        "differences": differences, "mean": float(np.mean(differences)),
                        "sd": float(np.std(differences, ddof=1)) if len(differences) > 1 else None})
    if entries and len(entries[0]["differences"]) > 1:
        m = len(entries)
        for entry in entries:
            low, high, p = replicate_t_test(entry["differences"])
            wide_low, wide_high, _ = replicate_t_test(entry["differences"], level=1 - alpha / m)
            entry.update({"t_interval": [low, high], "t_interval_familywise": [wide_low, wide_high], "t_p": p})
        for entry, adjusted in zip(entries, holm([e["t_p"] for e in entries])):
            low, high = entry["t_interval_familywise"]
            apart = bool(adjusted < alpha and (low > 0 or high < 0))
            verdict = "distinguishable" if apart else "no difference" if abs(entry["mean"]) <= entry["sd"] else \
                "not resolved"
            entry.update({"t_p_holm": adjusted, "distinguishable": apart, "verdict": verdict})
    return entries


def read_records(benchmarks: Path, profile: str) -> list[dict]:
    """Return replicate 1 (benchmarks/results_<profile>.json) and every committed replicate record of `profile`, or
    raise ReplicateError naming the file that is missing or of another kind."""
    first = Path(benchmarks) / f"results_{profile}.json"
    if not first.is_file():
        raise ReplicateError(f"{first}: missing; `make report PROFILE={profile}` writes replicate 1")
    records = [read_json(first)]
    if records[0].get("replicates") != 1:
        raise ReplicateError(f"{first}: holds {records[0].get('replicates')} replicates, not one")
    folder = record_path(benchmarks, profile, 2).parent
    records += [read_json(path) for path in sorted(folder.glob("replicate_*.json"))]
    return records


def benchmarks_folder() -> Path:
    """Return the project's benchmarks folder (where the committed records live)."""
    from elmo_lib.paths import project_root
    return (project_root() or Path(".")) / "benchmarks"


def replicate_command(args) -> int:
    """`elmo-lib replicate NUMBER`: compute replicate NUMBER (2 or more) of the whole pipeline at the profile over the
    artifacts folder and write its record (--json, default under benchmarks/records/); return the exit code."""
    from elmo_lib.commands import _artifacts, profile_name, profile_overrides
    from elmo_lib.config import get_profile
    from elmo_lib.io import write_json
    from elmo_lib.study import Study
    if args.number < 2:
        raise ReplicateError("replicate 1 is the profile's own run: `make report` writes it to "
                             "benchmarks/results_<profile>.json; give a replicate of 2 or more")
    name, overrides = profile_name(args), profile_overrides(args)
    if args.number > get_profile(name, overrides).replicates:
        overrides = {**overrides, "replicates": args.number}
    study = Study(get_profile(name, overrides), _artifacts(args), overrides)
    path = Path(args.json) if args.json else record_path(benchmarks_folder(), name, args.number)
    folder, seconds, started = partial_folder(path), {}, time.perf_counter()
    budget = None if args.budget_minutes is None else 60 * args.budget_minutes
    over = (lambda: time.perf_counter() - started >= budget) if budget is not None else None
    earlier: list[dict] = []                                          # the sittings whose rows were carried in
    try:
        with _terminate_as_interrupt():
            compute_replicate(study, args.number, carried_from=folder, seconds=seconds, stop_before=over,
                              carried_sittings=earlier)
    except KeyboardInterrupt:
        _save_partial(study, args.number, folder, seconds, "interrupted", earlier)
        return 130
    if set(rows(study.profile)) - set(seconds):                      # a row the budget left unstarted
        _save_partial(study, args.number, folder, seconds, f"stopped: its budget of {args.budget_minutes} min is spent",
                      earlier)
        return 3
    path.parent.mkdir(parents=True, exist_ok=True)
    record = replicate_record(study, args.number, seconds, earlier)
    write_json(path, record)
    if folder.exists():
        shutil.rmtree(folder)
        print(f"{folder}: removed (its rows are in the record)")
    tests = ", ".join(f"{key} {row['test_accuracy'][0]:.4f}" for key, row in record["rows"].items())
    over_sittings = f" over {len(record['sittings'])} sittings" if len(record["sittings"]) > 1 else ""
    print(f"replicate {args.number} of profile {name} written to {path} ({record['wall_seconds']:,.0f} s computing"
          f"{over_sittings}): test accuracy {tests}")
    return 0


def _save_partial(study, number: int, folder: Path, seconds: dict[str, float], why: str,
                  earlier: list[dict]) -> None:
    """Save replicate `number`'s finished rows into `folder` (elmo_lib.carried), with the `earlier` sittings whose
    rows were carried in and this one, and say what is there and how the next run carries them."""
    partial = save(study.replicate(number), number, folder, [*earlier, sitting(seconds)])
    if partial is None:
        print(f"replicate {number} {why}: its rows' inputs are unfinished, so nothing is saved to carry (the "
              f"artifacts folder keeps every finished stage)", file=sys.stderr)
        return
    left = [key for key in rows(study.profile) if key not in partial["rows"]]
    print(f"replicate {number} {why}: {len(partial['rows'])} of {len(partial['rows']) + len(left)} rows saved in "
          f"{folder} (commit it to carry them to another sitting); left: {', '.join(left)}. The same command carries "
          f"them where the vectors and biLMs come out the same (the same kind of CPU)", file=sys.stderr)


@contextmanager
def _terminate_as_interrupt():
    """Within the block, SIGTERM raises KeyboardInterrupt (as Ctrl-C does), so a stopped replicate saves its rows."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    try:
        before = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:                                                # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def join_command(args) -> int:
    """`elmo-lib join-replicates`: join replicate 1 (benchmarks/results_<profile>.json) and the committed replicate
    records into benchmarks/replicates_<profile>.json and print each row's mean ± sd and each planned comparison's
    mean difference with its verdict over the replicates; return the exit code."""
    from elmo_lib.commands import profile_name
    from elmo_lib.io import write_json
    name, folder = profile_name(args), benchmarks_folder()
    joined = join(read_records(folder, name))
    path = Path(args.json) if args.json else folder / f"replicates_{name}.json"
    write_json(path, joined)
    print(f"{joined['replicates']} replicates of profile {name} joined into {path}")
    for key, row in joined["rows"].items():
        values = " ".join(f"{v:.4f}" for v in row["test_accuracy"])
        sd = f"{row['test_sd']:.4f}" if row["test_sd"] is not None else "–"
        print(f"  {key}: test {row['test_mean']:.4f} ± {sd} ({values})")
    for e in joined["comparisons"]:
        verdict = f", t-test Holm p {e['t_p_holm']:.3g}: {e['verdict']}" if "verdict" in e else ""
        print(f"  {e['a']} - {e['b']}: {100 * e['mean']:+.2f} points{verdict}")
    return 0
