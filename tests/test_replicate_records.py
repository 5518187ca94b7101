"""Replicates computed one at a time and kept as records: `elmo-lib replicate N` writes one, join() makes the spread
record the one-replicate report and the README quote."""
import json

import pytest

from elmo_lib.answer_page import answer, spread_frame, spread_record
from elmo_lib.cli import main
from elmo_lib.comparisons import replicate_t_test
from elmo_lib.config import get_profile
from elmo_lib.headline import SPREAD_BEGIN, SPREAD_END, spread_block
from elmo_lib.errors import ReplicateError
from elmo_lib.replicates import join, read_records
from elmo_lib.study import Study
from tests.elmo_helpers import TINY_REPLICATED_STUDY


def _row(label, arm, val, test, start=None):
    return {"label": label, "arm": arm, "bilm_start": start, "validation_accuracy": [val], "test_accuracy": [test]}


def _replicate(number, svd, skipgram, elmo, profile="cpu"):
    """A one-replicate record: (validation, test) per row; replicate 1 in the results file's shape."""
    rows = {"svd": _row("SVD", "static", *svd), "skipgram": _row("Skip-gram", "static", *skipgram),
            "elmo_trainable": _row("ELMo, trainable λ (biLM from skip-gram start)", "elmo", *elmo, "skipgram")}
    kind = {"replicates": 1} if number == 1 else {"replicate": number}
    return {"schema": 2, "profile": profile, **kind, "git_commit": f"{number}" * 40, "git_dirty": False,
            "machine": {"cpu": "AMD EPYC", "torch_threads": 2}, "rows": rows, "chosen": [{"svd_window": 5}],
            "frozen_lambda": [], "perplexities": {"bilm": [[400.0 + number, 200.0]]}, "wall_seconds": 60.0 * number}


def _three():
    return [_replicate(3, (0.90, 0.91), (0.87, 0.90), (0.91, 0.93)),
            _replicate(1, (0.90, 0.90), (0.91, 0.92), (0.92, 0.92)),
            _replicate(2, (0.89, 0.92), (0.90, 0.91), (0.90, 0.90))]


def test_join_gives_every_row_its_replicates_mean_and_sd_and_pairs_on_mean_validation():
    joined = join(_three())
    svd, elmo = joined["rows"]["svd"], joined["rows"]["elmo_trainable"]
    assert joined["replicates"] == 3 and joined["git_commits"] == ["1" * 40, "2" * 40, "3" * 40]
    assert svd["test_accuracy"] == [0.90, 0.92, 0.91] and svd["test_mean"] == pytest.approx(0.91)
    assert svd["test_sd"] == pytest.approx(0.01)                       # sd of 0.90, 0.92, 0.91 (n - 1)
    assert elmo["test_sd"] == pytest.approx(0.015275252, abs=1e-8)     # sd of 0.92, 0.90, 0.93
    # mean validation: SVD 0.8967 against skip-gram 0.8933, though skip-gram's mean test accuracy is higher
    (entry,) = joined["comparisons"]
    assert (entry["a"], entry["b"]) == ("elmo_trainable", "svd")
    assert entry["differences"] == pytest.approx([0.02, -0.02, 0.02])
    assert entry["mean"] == pytest.approx(0.02 / 3) and entry["sd"] == pytest.approx(0.0230940108)
    # t = mean / (sd / sqrt 3) = 0.5 on 2 degrees of freedom, where P(|T| > t) = 1 - t / sqrt(t^2 + 2) = 2/3
    assert entry["t_p"] == pytest.approx(2 / 3) and entry["t_p_holm"] == pytest.approx(2 / 3)
    assert entry["t_interval"] == entry["t_interval_familywise"] and not entry["distinguishable"]  # m = 1
    assert entry["verdict"] == "no difference"                          # |+0.67| points within its sd of 2.31
    assert joined["perplexities"]["bilm"] == [[401.0, 200.0], [402.0, 200.0], [403.0, 200.0]]


def test_the_t_test_over_replicates_against_its_closed_form_on_two_degrees_of_freedom():
    low, high, p = replicate_t_test([0.01, 0.02, 0.03])
    # t = 0.02 / (0.01 / sqrt 3) = sqrt 12: p = 1 - sqrt(12 / 14); the 97.5 % quantile q solves q / sqrt(q^2 + 2) = 0.95
    q = (0.95 ** 2 * 2 / (1 - 0.95 ** 2)) ** 0.5
    assert p == pytest.approx(1 - (12 / 14) ** 0.5)
    assert (low, high) == pytest.approx((0.02 - q * 0.01 / 3 ** 0.5, 0.02 + q * 0.01 / 3 ** 0.5))
    assert replicate_t_test([0.01, 0.01]) == (0.01, 0.01, 0.0) and replicate_t_test([0.0, 0.0])[2] == 1.0
    with pytest.raises(ValueError, match="two or more"):
        replicate_t_test([0.01])


def test_a_lead_kept_in_every_replicate_is_distinguishable_after_holm_and_the_readme_says_which():
    records = [_replicate(n, (0.90, 0.90), (0.89, 0.89), (0.93, test)) for n, test in ((1, 0.95), (2, 0.96), (3, 0.94))]
    spread = {**join(records), "path": "benchmarks/replicates_cpu.json"}
    (entry,) = spread["comparisons"]
    assert entry["distinguishable"] and entry["t_p_holm"] < 0.05 and entry["t_interval_familywise"][0] > 0
    block = spread_block(spread)
    assert "| +5.00 | +6.00 | +4.00 |" in block and "| distinguishable |" in block
    assert ("Over the 3 replicates (a t-test of each planned difference on 2 degrees of freedom, Holm-corrected over "
            "the 1, its family-wise interval excluding zero), distinguishable: ELMo, trainable λ (biLM from skip-gram "
            "start) − SVD (+5.00). No difference (the mean within one sd of zero): none. Not resolved") in block
    lead = [_replicate(n, (0.90, 0.90), (0.89, 0.89), (0.93, test)) for n, test in ((1, 0.95), (2, 0.91), (3, 0.94))]
    (entry,) = join(lead)["comparisons"]                                # +5, +1, +4: above its sd, not apart
    assert not entry["distinguishable"] and entry["verdict"] == "not resolved"


def test_join_refuses_records_that_are_not_replicates_one_to_n_of_one_profile():
    records = _three()
    with pytest.raises(ReplicateError, match=r"replicates \[1, 2, 2\]"):
        join([records[1], records[2], records[2]])
    with pytest.raises(ReplicateError, match="several profiles"):
        join([records[1], _replicate(2, (0.9, 0.9), (0.9, 0.9), (0.9, 0.9), profile="smoke")])
    fewer = _replicate(2, (0.9, 0.9), (0.9, 0.9), (0.9, 0.9))
    del fewer["rows"]["svd"]
    with pytest.raises(ReplicateError, match="other rows than replicate 1"):
        join([records[1], fewer])


def test_the_spread_record_is_read_quoted_by_the_answer_and_shown_in_the_readme(tmp_path):
    records = _three()
    (tmp_path / "results_cpu.json").write_text(json.dumps(records[1]))
    folder = tmp_path / "records" / "replicates_cpu"
    folder.mkdir(parents=True)
    for record in (records[0], records[2]):
        (folder / f"replicate_{record['replicate']}.json").write_text(json.dumps(record))
    assert [r.get("replicate", 1) for r in read_records(tmp_path, "cpu")] == [1, 2, 3]
    assert spread_record("cpu", tmp_path) is None                      # not joined yet
    (tmp_path / "replicates_cpu.json").write_text(json.dumps(join(read_records(tmp_path, "cpu"))))
    spread = spread_record("cpu", tmp_path)
    assert spread["path"] == "benchmarks/replicates_cpu.json"
    text = answer([{}], [], spread=spread)
    assert ("The committed 3-replicate record (benchmarks/replicates_cpu.json, commit 3333333) measured a row's "
            "test-accuracy sd of 1.0 point to 1.5 points") in text
    assert "- Over the 3 replicates (a t-test of each planned difference on 2 degrees of freedom" in text
    frame = spread_frame(spread)
    assert list(frame.columns) == ["biLM start", "mean test accuracy", "sd", "replicate 1", "replicate 2",
                                   "replicate 3", "mean validation accuracy"]
    assert frame.loc["SVD", "replicate 2"] == 0.92 and frame.loc["SVD", "biLM start"] == "–"
    block = spread_block(spread)
    assert block.startswith(SPREAD_BEGIN) and block.endswith(SPREAD_END)
    assert "| SVD | 0.9100 ± 0.0100 | 0.9000 | 0.9200 | 0.9100 |" in block
    assert "commits 1111111, 2222222, 3333333, on AMD EPYC (replicates 1, 2, 3)." in block
    records[0]["machine"] = {"cpu": "Intel Xeon", "torch_threads": 2}  # replicate 3 on another CPU kind
    mixed = spread_block({**join(records), "path": "benchmarks/replicates_cpu.json"})
    assert ("on AMD EPYC (replicates 1, 2) and Intel Xeon (replicate 3): the spread holds each CPU kind's rounding "
            "as well as the seeds") in mixed
    assert ("| ELMo, trainable λ (biLM from skip-gram start) − SVD | +0.67 ± 2.31 | +2.00 | -2.00 | +2.00 | 0.67 | "
            "no difference |") in block
    assert ("A row's test accuracy moves by an sd of 1.00 to 1.53 points over the replicates; a planned difference, "
            "by 2.31 to 2.31 points.") in block
    assert "distinguishable: none. No difference (the mean within one sd of zero): ELMo, trainable λ" in block
    (tmp_path / "results_cpu-complete.json").write_text(json.dumps({**records[1], "replicates": 3}))
    assert spread_record("cpu", tmp_path)["path"] == "benchmarks/results_cpu-complete.json"  # one run wins


def test_replicate_one_is_refused_by_the_replicate_command(capsys, tmp_path):
    assert main(["replicate", "1", "--profile", "smoke", "--artifacts", str(tmp_path)]) == 2
    assert "replicate 1 is the profile's own run" in capsys.readouterr().err


@pytest.mark.integration
def test_the_replicate_command_writes_what_the_study_computes_for_that_replicate(tiny_dir, tmp_path):
    overrides = TINY_REPLICATED_STUDY
    path, artifacts = tmp_path / "replicate_2.json", tmp_path / "artifacts"
    argv = ["replicate", "2", "--profile", "smoke", "--data-dir", str(tiny_dir), "--artifacts", str(artifacts),
            "--json", str(path), *[x for key, value in overrides.items() for x in ("--set", f"{key}={value!r}")]]
    assert main(argv) == 0
    record = json.loads(path.read_text())
    assert record["replicate"] == 2 and record["seeds"]["pretrain.seed"] == get_profile("smoke").pretrain.seed + 1
    assert sum(record["stage_seconds"].values()) > 0 and len(record["perplexities"]["bilm"]) == 1
    study = Study(get_profile("smoke", {**overrides, "data.data_dir": str(tiny_dir), "replicates": 2}), artifacts)
    study.compute_missing = False                                       # every stage of replicate 2 is cached
    results = study.replicate(2).results()
    assert {k: r["test_accuracy"][0] for k, r in record["rows"].items()} == {
        k: r["test"]["accuracy"] for k, r in results.items()}
    assert record["frozen_lambda"] == [results["elmo_frozen"]["mix_weights"]["initial"]["lambda"]]
    assert main(argv) == 0                                              # again: all cached, nothing computed
    assert set(json.loads(path.read_text())["stage_seconds"].values()) == {0.0}


def test_a_replicate_computed_alone_has_the_keys_of_the_same_replicate_in_a_cpu_complete_run(tiny_dir, tmp_path):
    data = {"data.data_dir": str(tiny_dir)}
    alone = Study(get_profile("cpu", {**data, "replicates": 2}), tmp_path).replicate(2)
    complete = Study(get_profile("cpu-complete", data), tmp_path).replicate(2)
    for method in ("svd", "skipgram"):
        assert alone._vectors_path(method) == complete._vectors_path(method)
    assert alone._vectors_path("svd") != Study(get_profile("cpu", data), tmp_path)._vectors_path("svd")
    assert alone._classifier_key == complete._classifier_key
    assert alone.profile.pretrain == complete.profile.pretrain and alone.profile.bilm == complete.profile.bilm
    assert alone.profile.elmo == complete.profile.elmo


def test_a_record_tells_two_cpus_of_one_model_name_apart():
    from elmo_lib.evidence import machine
    from elmo_lib.provenance import cpu_kind
    xeon = "model name\t: Intel(R) Xeon(R) Processor\ncpu family\t: 6\nmodel\t\t: {}\nflags\t\t: fpu avx2 avx512f {}\n"
    older, amx = xeon.format(207, "avx512_bf16 avx512_fp16"), xeon.format(167, "avx512_bf16 amx_bf16 amx_tile")
    assert cpu_kind(older) == "family 6 model 207; avx2 avx512f avx512_bf16"
    assert cpu_kind(amx) == "family 6 model 167; avx2 avx512f avx512_bf16 amx_bf16"
    assert cpu_kind("processor\t: 0\nflags\t\t: fpu sse2\n") == ""            # neither a model nor a kernel flag
    assert machine()["cpu_kind"] == cpu_kind()
