"""The classifier's cosine schedule, the opt-in report sections (`extras`, `--with`) and the stage log that shows no
artifact made twice."""
import math

import pytest

from elmo_lib.cli import build_parser
from elmo_lib.commands import profile_overrides
from elmo_lib.config import apply_overrides, get_profile
from elmo_lib.findings import learning_curve_sentence
from elmo_lib.optim import warmup_factor
from elmo_lib.pipeline.experiments import share_overrides
from elmo_lib.pipeline.plan import derived_estimates, row_stages, stages
from elmo_lib.stage_log import made_twice
from tests.elmo_helpers import load_benchmark
from tests.test_seeds_and_curves import _train


def test_the_cosine_schedule_warms_up_then_falls_to_zero_at_its_last_step():
    assert warmup_factor(0, 10) == pytest.approx(0.1) and warmup_factor(50, 10) == 1.0   # plateau: stays
    assert warmup_factor(9, 10, 110) == pytest.approx(1.0)
    assert warmup_factor(60, 10, 110) == pytest.approx(0.5)
    assert warmup_factor(110, 10, 110) == pytest.approx(0.0, abs=1e-12)
    assert warmup_factor(35, 10, 110) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.25)))


def test_a_cosine_run_trains_every_epoch_and_keeps_the_best():
    import elmo_lib.config as config
    record = _train(0, schedule="cosine", warmup_steps=2, max_epochs=3)
    assert record["stop_reason"] == "schedule" and len(record["history"]) == 3
    assert len(record["epoch_seconds"]) == 3 and all(s > 0 for s in record["epoch_seconds"])
    lrs = [h["lr"] for h in record["history"]]                            # the rate at each epoch's end: falling
    assert lrs[0] > lrs[1] > lrs[2] >= 0 and lrs[2] < 1e-3 * 1e-2
    assert config.ClassifierConfig().schedule is None                     # the default stays plateau
    # cosine_epochs sets the cosine's length apart from max_epochs (the plateau's cap): the same run, step for step
    capped = _train(0, schedule="cosine", warmup_steps=2, max_epochs=30, cosine_epochs=3)
    assert capped["history"] == record["history"] and capped["test_predictions"] == record["test_predictions"]


def test_cpu_leaves_the_extras_out_and_with_adds_them_over_the_same_stages():
    cpu, complete = get_profile("cpu"), get_profile("cpu-complete")
    names = [s.name for s in stages(cpu)]
    assert "ablations" not in names and "epoch_curve" not in names and "probes" in names and "learning_curve" in names
    more = [s.name for s in stages(complete)]
    assert {"ablations", "epoch_curve", "replicate_2", "replicate_3"} <= set(more)
    assert set(names) <= set(more)
    args = build_parser().parse_args(["report", "--profile", "cpu", "--with", "ablations,epoch_curve"])
    overrides = profile_overrides(args)
    assert overrides["extras"] == ("ablations", "epoch_curve")
    assert "ablations" in [s.name for s in stages(get_profile("cpu", overrides))]
    bad = build_parser().parse_args(["report", "--profile", "cpu", "--with", "everything"])
    with pytest.raises(KeyError, match="--with everything: no such section; choose among ablations, epoch_curve"):
        profile_overrides(bad)


def test_the_stage_log_names_an_artifact_two_stages_wrote():
    entries = [{"run": "r1", "stage": "bilm", "created": ["bilm/k/bilm.pt"], "seconds": 1},
               {"run": "r1", "stage": "elmo_trainable", "created": ["elmo_trainable/k/metrics.json"], "seconds": 1},
               {"run": "r2", "stage": "bilm", "created": ["bilm/k/bilm.pt"], "seconds": 1},
               {"run": "r2", "stage": "epoch_curve", "created": ["bilm/k/bilm.pt"], "seconds": 1}]
    assert made_twice(entries) == {"r1": {}, "r2": {"bilm/k/bilm.pt": ["bilm", "epoch_curve"]}}


def test_a_learning_curve_share_keeps_the_plateau_schedule_where_the_rows_use_cosine():
    cosine = get_profile("smoke", {"classifier.schedule": "cosine", "classifier.cosine_epochs": 3})
    assert share_overrides(cosine, 1.0) == {}
    share = apply_overrides(cosine, share_overrides(cosine, 0.1))
    assert (share.classifier.schedule, share.classifier.cosine_epochs, share.classifier.train_fraction) == (None, None, 0.1)
    assert share.classifier.max_epochs == cosine.classifier.max_epochs and share.classifier.patience == cosine.classifier.patience
    assert share_overrides(get_profile("smoke"), 0.1) == {"classifier.train_fraction": 0.1}


def test_the_learning_curve_sentence_names_the_schedules_only_where_the_shares_differ():
    results = {"svd": {"settings": {"arm": "static"}}, "elmo_trainable": {"settings": {"arm": "elmo"}}}

    def entries(full_schedule):
        return [{"model": m, "fraction": f, "seed": 0, "train_documents": 10, "val_accuracy": v, "test_accuracy": v,
                 "schedule": full_schedule if f == 1 else "plateau"}
                for m, base in (("svd", 0.80), ("elmo_trainable", 0.82)) for f, v in ((0.1, base), (1.0, base + 0.1))]
    mixed = learning_curve_sentence(entries("cosine"), results)
    assert "(0.1: plateau; the full split: cosine)" in mixed and "2.0 points ahead of" in mixed
    assert "schedule" not in learning_curve_sentence(entries("plateau"), results)
    legacy = [{k: v for k, v in e.items() if k != "schedule"} for e in entries("cosine")]
    assert "schedule" not in learning_curve_sentence(legacy, results)


def test_a_replicate_and_the_ablations_are_estimated_from_the_stages_they_repeat():
    profile = get_profile("cpu-complete")
    parts = row_stages(profile)
    assert parts[0] == "data" and "bilm_scratch_layers" in parts and "elmo_trainable_scratch" in parts
    known = {name: (10.0 * (number + 1), "the last run here") for number, name in enumerate(parts)}
    derived = derived_estimates(profile, known)
    repeated = sum(known[n][0] for n in parts if n not in ("data", "tfidf"))
    assert derived["replicate_2"][0] == derived["replicate_3"][0] == repeated
    assert "13 stages it runs again, from the last run here" in derived["replicate_2"][1]
    assert derived["ablations"][0] == 2 * known["elmo_trainable"][0]          # two layer-norm settings at cpu
    del known["bilm_scratch"]
    assert "replicate_2" not in derived_estimates(profile, known)            # a part without a figure: none
    full = get_profile("full")                                                # bilm.unk_dropout retrains the biLM
    known = {name: (10.0, "x") for name in row_stages(full)}
    assert derived_estimates(full, known)["ablations"][0] == len(full.ablations) * 10.0 + 20.0


def test_a_shorter_patience_stops_where_the_history_of_a_longer_one_says():
    module = load_benchmark("patience_cpu")
    values = [0.80, 0.85, 0.84, 0.86, 0.86, 0.85, 0.84]           # patience 3: best epoch 4, stopped at epoch 7
    history = [{"epoch": e, "val_accuracy": v} for e, v in enumerate(values, start=1)]
    assert module.stopped_at(history, 3) == (7, 4)
    assert module.stopped_at(history, 2) == (6, 4)                # a tie (epoch 5) is not a new best
    assert module.stopped_at(history, 1) == (3, 2)                # stops before the later best
    record = {"history": history, "best_epoch": 4, "epoch_seconds": [10.0] * 7, "test": {"accuracy": 0.9}}
    assert module.under_patience(record, 2) == {"epochs": 6, "best_epoch": 4, "validation_accuracy": 0.86,
                                                "seconds": 60.0, "test_accuracy": 0.9, "same_weights": True}
    early = module.under_patience(record, 1)
    assert early["test_accuracy"] is None and early["validation_accuracy"] == 0.85 and early["seconds"] == 30.0


def test_the_hindsight_bound_stops_at_the_first_epoch_within_the_tolerance():
    module = load_benchmark("patience_cpu")
    values = [0.80, 0.855, 0.84, 0.86, 0.858, 0.85]                # best 0.86 at epoch 4
    history = [{"epoch": e, "val_accuracy": v} for e, v in enumerate(values, start=1)]
    assert module.first_within(history, 0.3) == 4                 # 0.855 is 0.5 points below: not within 0.3
    assert module.first_within(history, 0.5) == 2
    assert module.first_within(history, 0.0) == 4
    record = {"history": history, "best_epoch": 4, "epoch_seconds": [10.0, 12.0, 11.0, 50.0, 13.0, 9.0]}
    assert module.hindsight(record, 0.5) == {"epoch": 2, "validation_accuracy": 0.855, "seconds": 22.0,
                                             "seconds_to_best": 83.0, "seconds_all": 105.0}
    steady = module.with_median_seconds(record)                   # the slowed epoch counts as the row's median
    assert steady["epoch_seconds"] == [11.5] * 6 and steady["history"] is history
    assert module.hindsight(steady, 0.5)["seconds"] == 23.0
