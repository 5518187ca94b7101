"""Integration: a tiny biLM pretrained for one epoch on a slice of the shared data, all three modes."""
import pytest

from elmo_lib.config import get_profile
from elmo_lib.device import cpu_has_native_bf16
from elmo_lib.study import Study


def profile_overrides(shared_dir):
    return {"data.data_dir": str(shared_dir), "data.max_train_rows": 3000, "data.max_test_rows": 600,
            "classifier.max_epochs": 6, "classifier.patience": 6, "classifier.dropout": 0.0}


@pytest.mark.integration
def test_elmo_three_modes_end_to_end(shared_dir, tmp_path):
    profile = get_profile("smoke", profile_overrides(shared_dir))
    study = Study(profile, tmp_path)
    results = {mode: study.elmo(mode) for mode in ("trainable", "frozen", "function")}
    for mode, result in results.items():
        assert result["model"] == f"elmo_{mode}" and result["test"]["n"] == 600
        assert result["test"]["accuracy"] > 0.3, mode  # chance is 0.25
        assert len(list(tmp_path.glob(f"elmo_{mode}/*/metrics.json"))) == 1
    frozen = results["frozen"]["mix_weights"]
    assert frozen["initial"] == frozen["final"] and not frozen["final"]["trainable"]
    trainable = results["trainable"]["mix_weights"]
    assert trainable["initial"]["lambda"] == pytest.approx([1 / 3] * 3)
    assert trainable["final"]["lambda"] != pytest.approx([1 / 3] * 3)
    assert abs(sum(trainable["final"]["lambda"]) - 1) < 1e-6
    assert results["function"]["mix_weights"]["final"] is None
    log = study.pretrain_log()
    assert len(log["epochs"]) == profile.pretrain.epochs and log["epochs"][-1]["val_perplexity"] < log["epochs"][0]["val_perplexity"]
    # a new classifier setting reuses the finished biLM instead of training it again
    checkpoint = study.bilm_checkpoint()
    stamp = checkpoint.stat().st_mtime_ns
    changed = Study(get_profile("smoke", {**dict(profile_overrides(shared_dir)), "classifier.hidden": 16}), tmp_path)
    assert changed.bilm_checkpoint() == checkpoint
    assert changed.elmo("frozen")["settings"]["classifier"]["hidden"] == 16
    assert checkpoint.stat().st_mtime_ns == stamp and "biLM pretraining" in changed.timings
    assert changed.timings["biLM pretraining"] < 5
    # ELMo joined with skip-gram: a new row from the registry, trained on the same slice
    joined = study.result("elmo_trainable_skipgram")
    assert joined["test"]["accuracy"] > 0.3 and joined["settings"]["concat_static"] == "skipgram"
    # bench classify on the same layers: one epoch with the old loader, ours, and ours at the other precision
    from elmo_lib.bench import run_classify_benchmark
    figures = run_classify_benchmark(study, "trainable", json_path=str(tmp_path / "classify.json"))
    assert [figures[name]["precision"] for name in ("per_document", "vectorised")] == ["fp32", "fp32"]
    if cpu_has_native_bf16():  # else bf16 would run fp32: no second arm
        assert figures["vectorised_bf16"]["precision"] == "bf16" and figures["ratio_fp32_over_bf16"] > 0
    else:
        assert "vectorised_bf16" not in figures and figures["ratio_fp32_over_bf16"] is None
    assert figures["ratio"] > 0 and (tmp_path / "classify.json").is_file()
    # bench probes on the same layers: the BLAS's own threads against one, same features, same accuracy scale
    from threadpoolctl import threadpool_limits

    from elmo_lib.bench import run_probes_benchmark
    with threadpool_limits(limits=1, user_api="blas"):  # both runs single-threaded: the wiring is checked, not speed
        probes = run_probes_benchmark(study, json_path=str(tmp_path / "probes.json"))
    assert set(probes["views"]) == {"biLM layer 1", "biLM layers 1..L joined"} and (tmp_path / "probes.json").is_file()
    for view in probes["views"].values():
        assert view["ratio"] > 0 and 0.25 < view["one_blas_thread"]["validation"] <= 1
        assert abs(view["one_blas_thread"]["validation"] - view["blas_default_threads"]["validation"]) < 0.05


@pytest.mark.integration
def test_epoch_curve_probes_the_weights_after_every_epoch(shared_dir, tmp_path):
    """One snapshot per biLM epoch; the last is the final model; the curve probes each and is cached."""
    import torch

    from elmo_lib.checkpoint import load_checkpoint
    from elmo_lib.pretrain import epoch_snapshot
    overrides = {**profile_overrides(shared_dir), "pretrain.epochs": 2, "data.max_train_rows": 1500}
    study = Study(get_profile("smoke", overrides), tmp_path)
    curve = study.epoch_curve()
    assert [e["epoch"] for e in curve] == [1, 2]
    assert [e["val_perplexity"] for e in curve] == [e["val_perplexity"] for e in study.pretrain_log()["epochs"]]
    assert set(curve[0]["probes"]) == {"biLM layer 0", "biLM layer 1", "biLM layer 2", "biLM layers 0..L joined"}
    assert all(0.25 < s["validation"] <= 1 for e in curve for s in e["probes"].values())
    last = load_checkpoint(epoch_snapshot(study.bilm_checkpoint(), 2))["model"]
    first = load_checkpoint(epoch_snapshot(study.bilm_checkpoint(), 1))["model"]
    final = study.bilm.model.state_dict()
    assert all(torch.equal(last[k], final[k].cpu()) for k in final)
    assert not all(torch.equal(first[k], final[k].cpu()) for k in final)
    again = Study(get_profile("smoke", overrides), tmp_path)
    assert again.epoch_curve() == curve and "biLM epoch curve" not in again.timings


@pytest.mark.integration
def test_pretrain_benchmark_runs_on_token_budget_batches(shared_dir, tmp_path, capsys):
    from elmo_lib.bench import run_pretrain_benchmark
    from elmo_lib.config import get_profile
    profile = get_profile("smoke", {"data.data_dir": str(shared_dir), "data.max_train_rows": 600,
                                    "pretrain.batch_tokens": 2048})
    figures = run_pretrain_benchmark(profile, budget_seconds=1.0, json_path=str(tmp_path / "bench.json"))
    assert figures["ours"]["settings"]["batch_tokens"] == 2048 and figures["ours"]["steps"] > 0
    assert figures["ratio"] > 0 and "batches of at most 2,048 tokens" in capsys.readouterr().out
