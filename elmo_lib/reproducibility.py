"""The report's reproducibility section, as tables a reviewer can tick off: data files and SHA-256, settings that
differ from the defaults, seeds and replicates, hardware with the thread count and each row's precision, package
versions, wall time per stage, and the command that rebuilds the report.
"""
from __future__ import annotations

import dataclasses
import json

import pandas as pd

from elmo_lib.settings import Profile


def flat_settings(profile: Profile) -> dict[str, object]:
    """Return every setting of `profile` as {"section.field": value} (the profile's name and data folder left out)."""
    found = {}
    for section, value in dataclasses.asdict(profile).items():
        if isinstance(value, dict):
            found.update({f"{section}.{k}": v for k, v in value.items() if f"{section}.{k}" != "data.data_dir"})
        elif section != "name":
            found[section] = value
    return found


def settings_frame(profile: Profile) -> pd.DataFrame:
    """Return the settings where `profile` differs from the defaults: setting, this run's value, the default."""
    ours, defaults = flat_settings(profile), flat_settings(Profile(name=profile.name))
    rows = [{"setting": k, "this run": json.dumps(v), "default": json.dumps(defaults.get(k))}
            for k, v in ours.items() if v != defaults.get(k)]
    return pd.DataFrame(rows, columns=["setting", "this run", "default"]).set_index("setting")


def tables(study, results: dict[str, dict], manifest: dict, seconds: dict[str, float] | None,
           command: str) -> dict[str, pd.DataFrame]:
    """Return the section's tables by title, from the study, its records, the run manifest
    (elmo_lib.provenance.manifest), the run's seconds per stage and notebook (None outside `elmo-lib report`) and
    the command that rebuilt it."""
    profile = study.profile
    data = pd.DataFrame([{"split": split, "file": f["name"], "SHA-256": f["sha256"]}
                         for split, f in manifest["data_files"].items()]).set_index("split")
    seeds = pd.DataFrame([
        {"what": "replicates of the whole pipeline", "value": profile.replicates},
        {"what": "classifier seeds per row", "value": profile.seeds},
        {"what": "SVD / skip-gram / biLM / classifier seed (replicate 1)",
         "value": f"{profile.svd.seed} / {profile.skipgram.seed} / {profile.pretrain.seed} / {profile.classifier.seed}"},
        {"what": "frozen λ seed (replicate 1)", "value": profile.elmo.frozen_seed},
        {"what": "data split seed", "value": profile.data.split_seed}]).set_index("what")
    hardware = pd.DataFrame([
        {"what": "device", "value": manifest["device"]}, {"what": "CPU", "value": manifest["cpu"]},
        {"what": "torch threads", "value": manifest["torch_threads"]},
        {"what": "torch results follow the thread count", "value": "yes" if manifest["torch_follows_threads"] else "no"},
        {"what": "Python", "value": manifest["python"]},
        {"what": "commit", "value": f"{manifest['git_commit']}" + (" (uncommitted changes)" if manifest["git_dirty"] else "")},
    ]).set_index("what")
    precision = pd.DataFrame([{"row": key, "device": r.get("ran_in", {}).get("device", "cpu"),
                               "precision": r.get("ran_in", {}).get("precision", "scikit-learn (float64)")}
                              for key, r in results.items()]).set_index("row")
    packages = pd.DataFrame([{"package": p, "version": v or "not installed"} for p, v in manifest["packages"].items()
                             ]).set_index("package")
    found = {"Data files": data, "Settings that differ from the defaults": settings_frame(profile),
             "Seeds and replicates": seeds, "Hardware": hardware, "Precision per row": precision,
             "Package versions": packages}
    if seconds:
        found["Wall time per stage and notebook"] = pd.DataFrame(
            [{"stage or notebook": k.removeprefix("stage "), "seconds": round(v, 1),
              "kind": "stage (as computed; 0: no record of it here)" if k.startswith("stage ") else "notebook"}
             for k, v in seconds.items()]
        ).set_index("stage or notebook")
    found["Command that rebuilds this report"] = pd.DataFrame([{"command": command}]).set_index("command")
    return found


def rebuild_command(study, overrides: dict) -> str:
    """Return the `elmo-lib report` command line that rebuilds this report's profile and settings."""
    sets = " ".join(f"--set {k}={json.dumps(list(v) if isinstance(v, tuple) else v)}" for k, v in overrides.items()
                    if k != "data.data_dir")
    return f"elmo-lib report --profile {study.profile.name}" + (f" {sets}" if sets else "")
