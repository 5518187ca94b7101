"""Replicates of the whole pipeline: each moves every random source, is its own cached stage, and feeds the evidence
file and the paired statistics."""
import numpy as np
import pytest
import torch

from elmo_lib import stage_log
from elmo_lib.comparisons import accuracy_interval, paired_bootstrap, planned_comparisons
from elmo_lib.config import get_profile
from elmo_lib.evidence import results_record
from elmo_lib.pipeline.experiments import REPLICATED_SEEDS, replicate_overrides
from elmo_lib.pipeline.plan import stages
from elmo_lib.stage_log import made_twice
from elmo_lib.study import Study
from tests.elmo_helpers import TINY_REPLICATED_STUDY


def test_replicate_one_is_the_profile_and_each_other_moves_every_seed():
    profile = get_profile("smoke", {"replicates": 3})
    assert replicate_overrides(profile, 1) == {}
    third = replicate_overrides(profile, 3)
    assert set(third) == set(REPLICATED_SEEDS)
    assert third["pretrain.seed"] == profile.pretrain.seed + 2 and third["elmo.frozen_seed"] == profile.elmo.frozen_seed + 2
    with pytest.raises(ValueError, match="replicates 1 to 3"):
        replicate_overrides(profile, 4)
    names = [stage.name for stage in stages(profile)]
    assert "replicate_2" in names and "replicate_3" in names and "replicate_4" not in names
    assert "replicate_2" not in [stage.name for stage in stages(get_profile("smoke"))]


def test_the_paired_bootstrap_over_replicates_carries_their_spread():
    rng = np.random.default_rng(0)
    a = rng.random((1, 3000)) < 0.9
    same = np.repeat(a, 3, axis=0)                      # three replicates that agree: no replicate spread
    apart = same.copy()
    apart[1] = True                                     # replicate 2 of a gets every document right
    b = np.repeat(rng.random((1, 3000)) < 0.9, 3, axis=0)
    d_same, low_same, high_same = paired_bootstrap(same, b, n=400)
    d_apart, low_apart, high_apart = paired_bootstrap(apart, b, n=400)
    assert d_same == pytest.approx(a.mean() - b[0].mean())
    assert d_apart == pytest.approx((apart.mean(axis=1) - b.mean(axis=1)).mean())
    assert high_apart - low_apart > 1.5 * (high_same - low_same)  # resampled replicates widen the interval
    low, high = accuracy_interval(a[0], n=400)
    assert low < a.mean() < high


def _record(arm, val, predictions, start=None):
    settings = {"arm": arm, **({"bilm_start": start} if start else {})}
    predictions = np.asarray(predictions)
    return {"settings": settings, "validation": {"accuracy": val}, "test_predictions": list(predictions),
            "test": {"accuracy": float((predictions == 0).mean())}}


def test_planned_comparisons_over_replicates_take_the_largest_mcnemar_p_and_pair_the_starts():
    y = np.zeros(400, dtype=int)
    replicates = [{"skipgram": _record("static", 0.85, np.r_[np.zeros(300), np.ones(100)]),
                   "elmo_trainable": _record("elmo", 0.9, np.r_[np.zeros(390 - shift), np.ones(10 + shift)], "skipgram"),
                   "elmo_trainable_scratch": _record("elmo", 0.8, np.r_[np.zeros(350), np.ones(50)], "random")}
                  for shift in (0, 40)]
    entries = {(e["a"], e["b"]): e for e in planned_comparisons(replicates, y, n=300)}
    assert ("elmo_trainable", "elmo_trainable_scratch") in entries     # each mode's start against from scratch
    against = entries[("elmo_trainable", "skipgram")]
    assert against["replicates"] == 2 and against["differences"] == pytest.approx([0.225, 0.125])
    assert against["difference"] == pytest.approx(0.175)
    assert against["a_label"] == "ELMo, trainable λ (biLM from skip-gram start)"
    one = {(e["a"], e["b"]): e for e in planned_comparisons(replicates[1], y, n=300)}
    assert against["p"] == max(against["p"], one[("elmo_trainable", "skipgram")]["p"])


@pytest.mark.integration
def test_a_replicate_changes_the_bilm_and_the_vectors_and_is_cached_apart(tiny_dir, tmp_path):
    overrides = {**TINY_REPLICATED_STUDY, "data.data_dir": str(tiny_dir), "extras": [], "replicates": 2}
    study = Study(get_profile("smoke", overrides), tmp_path)
    seconds = study.compute_all(say=lambda line: None)
    first, second = study.replicate(1), study.replicate(2)
    assert first is study and second is study.replicate(2)
    weights = first.bilm.model.state_dict(), second.bilm.model.state_dict()
    assert not all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    for method in ("skipgram", "svd"):
        assert not np.array_equal(first.static_embeddings(method).vectors, second.static_embeddings(method).vectors)
    assert first.bilm_checkpoint() != second.bilm_checkpoint()
    frozen = [r["elmo_frozen"]["mix_weights"]["initial"]["lambda"] for r in study.replicate_results()]
    assert frozen[0] != frozen[1]                                          # a frozen λ draw per replicate
    record = results_record(study, seconds, {"04_report": 1.0})
    row = record["rows"]["elmo_trainable"]
    assert record["schema"] == 2 and record["replicates"] == 2 and len(row["test_accuracy"]) == 2
    assert row["bilm_start"] == "skipgram" and row["label"].endswith("(biLM from skip-gram start)")
    assert row["test_sd"] is not None and row["test_interval"][0] <= row["test_mean"] <= row["test_interval"][1]
    assert len(record["chosen"]) == 2 and record["chosen"][0]["svd_window"] == 2
    assert len(record["perplexities"]["bilm"]) == 2 and record["frozen_lambda"] == frozen
    assert record["sections_not_run"] == {"ablations": "elmo-lib report --profile smoke --with ablations",
                                          "epoch_curve": "elmo-lib report --profile smoke --with epoch_curve"}
    again = Study(get_profile("smoke", overrides), tmp_path)
    assert all(again._holds(stage) for stage in stages(again.profile))      # every replicate stage cached
    log = stage_log.read(tmp_path / stage_log.LOG_FILE)
    # each stage computed once (the corpus, rebuilt in seconds and never cached whole, is read while planning)
    assert [e["stage"] for e in log] == [s.name for s in stages(study.profile)][1:]
    assert made_twice(log) == {log[0]["run"]: {}}                           # no artifact written by two stages
    assert again.compute_all(say=lambda line: None) == {name: 0.0 for name in seconds}
    assert record["from_empty_artifacts"] and len(record["sittings"]) == 1
    reread = results_record(again, {name: 0.0 for name in seconds}, {"04_report": 1.0})  # every stage cached now
    assert reread["from_empty_artifacts"] and reread["stage_seconds"] == record["stage_seconds"]
