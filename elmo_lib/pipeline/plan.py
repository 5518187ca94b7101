"""The pipeline, declared once: which stages a profile runs, what each needs first, and how to compute it.

    stages(profile) -> [Stage("data"), Stage("svd_embeddings"), ..., Stage("bilm"), Stage("bilm_layers"),
                        Stage("svd"), ..., Stage("elmo_trainable"), ..., Stage("replicate_2"), ...,
                        Stage("seeds"), Stage("learning_curve"),
                        Stage("probes"), Stage("epoch_curve"), Stage("ablations")]

`elmo-lib report` computes them in this order before any notebook runs (a plan first, then a line per stage); the
report's notebooks only read. A stage's name is its artifacts folder where it has one of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from elmo_lib.plugins import vector_methods
from elmo_lib.registry import BILM_ARMS, is_baseline, label, rows
from elmo_lib.settings import Profile


class NotComputedError(RuntimeError):
    """A stage a read-only study (the report's notebooks) was asked for that the artifacts do not hold yet."""


@dataclass(frozen=True)
class Stage:
    """One cached stage: its name, a line saying what it is, the stages it needs first, and how a Study computes
    it (the returned value is the stage's product)."""

    name: str
    what: str
    after: tuple[str, ...]
    compute: Callable[[object], object]


def stages(profile: Profile) -> list[Stage]:
    """Return every stage `profile` runs, each after the stages it needs."""
    found = rows(profile)
    uses_bilm = any(row.arm in BILM_ARMS for row in found.values())
    vectors = [m for m in vector_methods() if m in profile.static_methods
               or (uses_bilm and m in (profile.bilm.embed_init, profile.elmo.concat_static))]
    plan = [Stage("data", "corpus and vocabulary", (), lambda s: s.corpus)]
    plan += [Stage(f"{m}_embeddings", f"{label(m)} vectors (window sweep on validation)", ("data",),
                   lambda s, m=m: s.static_embeddings(m)) for m in vectors]
    if uses_bilm:
        start = (f"{profile.bilm.embed_init}_embeddings",) if profile.bilm.embed_init else ()
        what = f"from the {profile.bilm.embed_init} vectors" if profile.bilm.embed_init else "from a random start"
        plan.append(Stage("bilm", f"biLM pretraining, word embeddings {what}", ("data", *start), lambda s: s.bilm))
        plan.append(Stage("bilm_layers", "the biLM's layers of every document, cached", ("bilm",),
                          lambda s: s.elmo_features))
    if any(row.scratch for row in found.values()):
        plan.append(Stage("bilm_scratch", "biLM pretraining, word embeddings from a random start (the reference's)",
                          ("data",), lambda s: s.scratch_study.bilm))
        plan.append(Stage("bilm_scratch_layers", "the from-scratch biLM's layers of every document, cached",
                          ("bilm_scratch",), lambda s: s.scratch_study.elmo_features))
    for key, row in found.items():
        needs = (("bilm_scratch_layers",) if row.scratch else ("bilm_layers",)) if row.arm in BILM_ARMS else (
            (f"{key}_embeddings",) if key in vectors else ("data",))
        if row.concat_static:
            needs += (f"{row.concat_static}_embeddings",)
        plan.append(Stage(key, label(key), needs, lambda s, key=key: s.result(key)))
    keys = tuple(found)
    for number in range(2, profile.replicates + 1):
        plan.append(Stage(f"replicate_{number}", f"replicate {number} of {profile.replicates}: every row again, every "
                          f"seed + {number - 1}", keys, lambda s, number=number: s.replicate(number).results()))
    if profile.seeds > 1:
        plan.append(Stage("seeds", f"every row with {profile.seeds} classifier seeds", keys, lambda s: s.seed_results()))
    if profile.learning_curve:
        plan.append(Stage("learning_curve", f"every row on {len(profile.learning_curve)} labelled shares", keys,
                          lambda s: s.learning_curve()))
    if uses_bilm:
        plan.append(Stage("probes", "mean-pool probes of every layer and vector set", ("bilm_layers", *keys),
                          lambda s: s.probes()))
        if "epoch_curve" in profile.extras:
            plan.append(Stage("epoch_curve", "probes of the biLM after each pretraining epoch", ("bilm",),
                              lambda s: s.epoch_curve()))
    if "ablations" in profile.extras and profile.ablations and "elmo_trainable" in found:
        plan.append(Stage("ablations", f"trainable λ under {len(profile.ablations)} ablation settings",
                          ("elmo_trainable",), lambda s: s.ablations()))
    return plan


def stage_named(profile: Profile, name: str) -> Stage:
    """Return the stage called `name` of `profile`'s plan, or raise KeyError listing the names there are."""
    plan = {stage.name: stage for stage in stages(profile)}
    if name not in plan:
        raise KeyError(f"no stage {name!r} at profile {profile.name}; the stages are {list(plan)}")
    return plan[name]


def row_stages(profile: Profile) -> list[str]:
    """Return, in plan order, the names of the stages the rows are and need (the corpus, vectors, biLMs, layers)."""
    plan = {stage.name: stage for stage in stages(profile)}
    needed, todo = set(), list(rows(profile))
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(plan[name].after)
    return [name for name in plan if name in needed]


def derived_estimates(profile: Profile, known: dict[str, tuple[float, str]]) -> dict[str, tuple[float, str]]:
    """Return {stage: (seconds, how it was derived)} for the stages of `profile` that repeat stages with a figure
    in `known` ({stage: (seconds, where from)}, as stage_log.estimates returns): a replicate as the sum of every
    row stage it runs again (all but the corpus and the baselines, which draw nothing), the ablations as the
    trainable-λ row once per setting, plus the biLM and its layers for each setting that changes them. A stage
    whose parts lack a figure gets none."""
    names, derived = [stage.name for stage in stages(profile)], {}
    again = [name for name in row_stages(profile) if name != "data" and not is_baseline(name)]
    if again and all(name in known for name in again):
        total = sum(known[name][0] for name in again)
        sources = " and ".join(sorted({known[name][1] for name in again}))
        derived.update({name: (total, f"the sum over the {len(again)} stages it runs again, from {sources}")
                        for name in names if name.startswith("replicate_")})
    retrain = [a for a in profile.ablations if a.startswith(("bilm.", "pretrain.", "vocab."))]
    parts = ("elmo_trainable", *(("bilm", "bilm_layers") if retrain else ()))
    if "ablations" in names and all(name in known for name in parts):
        seconds = len(profile.ablations) * known["elmo_trainable"][0] + len(retrain) * sum(
            known[name][0] for name in parts[1:])
        derived["ablations"] = (seconds, f"the trainable-λ row once per setting, from {known['elmo_trainable'][1]}")
    return derived
