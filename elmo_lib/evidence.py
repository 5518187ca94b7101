"""The study's evidence file, benchmarks/results_<profile>.json: every number the README and the report quote, read
from the cached stages of one run (written by `elmo-lib report`; tests read it).

    schema 2: profile, overrides, commit, machine (CPU model and kind, threads, torch)
              rows:        {key: label, arm, biLM start, reference, validation and test accuracy per replicate,
                            mean and sd of test accuracy (sd None for one replicate), precision}
              chosen:      per replicate, the windows of the swept vectors and TF-IDF's C
              frozen_lambda, perplexities (per replicate and biLM), planned_comparisons, ablations, learning_curve
              sections_not_run: {section: the command that adds it}
              stage_seconds, notebook_seconds, wall_seconds (the run's, from empty artifacts only if every stage ran)
"""
from __future__ import annotations

import platform

import numpy as np

from elmo_lib.comparisons import accuracy_interval, planned_comparisons
from elmo_lib.names import EXTRAS
from elmo_lib.provenance import cpu_kind, cpu_model, git_commit, git_dirty
from elmo_lib.registry import BILM_ARMS, label, reference_accuracy

SCHEMA = 2


def results_record(study, stage_seconds: dict[str, float], notebook_seconds: dict[str, float]) -> dict:
    """Return the evidence record of `study`'s run (every stage computed) and the seconds each stage and notebook
    took; nothing in it is computed on the test split beyond scoring."""
    profile = study.profile
    replicates = study.replicate_results()
    test_labels = study.corpus.test.labels
    return {
        "schema": SCHEMA, "profile": profile.name, "overrides": _plain(study.overrides, drop=("data.data_dir",)),
        "git_commit": git_commit(), "git_dirty": git_dirty(),
        "machine": machine(),
        "replicates": profile.replicates, "classifier_seeds": profile.seeds,
        "rows": {key: row_evidence(key, [r[key] for r in replicates], test_labels) for key in replicates[0]},
        "chosen": [chosen_settings(r) for r in replicates],
        "frozen_lambda": [r["elmo_frozen"]["mix_weights"]["initial"]["lambda"] for r in replicates if "elmo_frozen" in r],
        "perplexities": perplexities(study),
        "planned_comparisons": [{k: v for k, v in e.items()} for e in planned_comparisons(replicates, test_labels)],
        "ablations": ablation_cells(study) if study.runs("ablations") else None,
        "learning_curve": study.learning_curve() if study.runs("learning_curve") else None,
        "sections_not_run": sections_not_run(profile),
        **stage_times(study, stage_seconds, notebook_seconds),
    }


def machine() -> dict:
    """Return what this process runs on: the CPU model and kind (provenance.cpu_kind), whether it has native bf16,
    numpy's BLAS kernels (elmo_lib.blas), torch's version and threads, and the CUDA device if any."""
    import torch

    from elmo_lib.blas import blas_kernels
    from elmo_lib.device import cpu_has_native_bf16
    return {"cpu": cpu_model(), "cpu_kind": cpu_kind(), "machine": platform.machine(),
            "native_bf16": cpu_has_native_bf16(), "blas_kernels": list(blas_kernels()),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def stage_times(study, stage_seconds: dict[str, float], notebook_seconds: dict[str, float]) -> dict:
    """Return the run's times: each stage's seconds where this run computed it, else from its computation logged in
    the artifacts folder on this CPU (a stage built in an earlier sitting), the sittings they came from, the
    notebooks' seconds, the total, and whether every stage was computed in this folder on this CPU (so the total is
    the cost from empty artifacts, if in several sittings)."""
    from elmo_lib import stage_log
    seconds, logged = stage_log.with_logged(study.root, study.profile.name, stage_seconds, cpu_model())
    sittings = sorted({entry["run"] for entry in logged.values()})
    return {"stage_seconds": seconds, "notebook_seconds": dict(notebook_seconds),
            "wall_seconds": round(sum(seconds.values()) + sum(notebook_seconds.values()), 1),
            # the corpus is rebuilt by every run (in seconds) and never cached whole, so it is no stage to have built
            "from_empty_artifacts": bool(seconds) and all(s > 0 or name in logged for name, s in seconds.items()
                                                          if name != "data"),
            "sittings": sittings}


def row_evidence(key: str, records: list[dict], test_labels: np.ndarray) -> dict:
    """Return one row's evidence over its replicates' records: label, arm, biLM start, reference accuracy,
    validation and test accuracy per replicate, the test mean and sd, and the 95 % interval of the mean test
    accuracy (bootstrap over the test documents, and over the replicates where there are several)."""
    test = [r["test"]["accuracy"] for r in records]
    correct = np.stack([np.asarray(r["test_predictions"]) == np.asarray(test_labels) for r in records])
    settings = records[0]["settings"]
    return {"label": label(key, records[0]), "arm": settings.get("arm"),
            "bilm_start": settings.get("bilm_start") if settings.get("arm") in BILM_ARMS else None,
            "reference_test_accuracy": reference_accuracy(key),
            "validation_accuracy": [r["validation"]["accuracy"] for r in records], "test_accuracy": test,
            "test_mean": float(np.mean(test)), "test_sd": float(np.std(test, ddof=1)) if len(test) > 1 else None,
            "test_interval": list(accuracy_interval(correct)),
            "precision": records[0].get("ran_in", {}).get("precision")}


def chosen_settings(results: dict[str, dict]) -> dict:
    """Return what one replicate chose on validation: each swept method's window and TF-IDF's C."""
    chosen = {}
    for key, record in results.items():
        embedding = record["settings"].get("embedding") or {}
        if "window" in embedding:
            chosen[f"{key}_window"] = embedding["window"]
        if "chosen_c" in record["settings"]:
            chosen[f"{key}_C"] = record["settings"]["chosen_c"]
    return chosen


def perplexities(study) -> dict:
    """Return the validation perplexity after each pretraining epoch of every biLM the study read, per replicate:
    {"bilm": [[epoch 1, ...] per replicate], "bilm_scratch": ...}."""
    found = {}
    for number in range(1, study.profile.replicates + 1):
        for name, values in bilm_perplexities(study.replicate(number)).items():
            found.setdefault(name, []).append(values)
    return found


def bilm_perplexities(study) -> dict[str, list[float]]:
    """Return the validation perplexity after each pretraining epoch of each biLM `study`'s rows read:
    {"bilm": [epoch 1, ...], "bilm_scratch": [...]} (the biLM from static vectors, the one from scratch)."""
    keys = study.model_keys()
    owners = {}
    if any(not k.endswith("_scratch") and k.startswith("elmo_") for k in keys):
        owners["bilm"] = study
    if any(k.endswith("_scratch") for k in keys):
        owners["bilm_scratch"] = study.scratch_study
    return {name: [e["val_perplexity"] for e in owner.bilm.log["epochs"]] for name, owner in owners.items()}


def ablation_cells(study) -> list[dict]:
    """Return each ablation setting with the trainable-λ row's best validation and test accuracy under it."""
    return [{"setting": a["setting"], "validation_accuracy": a["record"]["validation"]["accuracy"],
             "test_accuracy": a["record"]["test"]["accuracy"]} for a in study.ablations()]


def sections_not_run(profile) -> dict[str, str]:
    """Return {section: the command that adds it} for every extra section and spread this profile leaves out."""
    missing = {name: f"elmo-lib report --profile {profile.name} --with {name}" for name in EXTRAS
               if name not in profile.extras}
    if profile.replicates == 1:
        missing["replicates"] = f"elmo-lib report --profile {profile.name} --set replicates=3"
    return missing


def _plain(overrides: dict, drop: tuple[str, ...] = ()) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items() if k not in drop}
