import numpy as np
import pandas as pd

from elmo_lib import report
from elmo_lib.metrics import model_result

KEYS = ("svd", "skipgram", "elmo_trainable", "elmo_frozen", "elmo_function")


def _results(accuracies: dict[str, float], n: int = 400, seed: int = 0) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, size=n)
    results = {}
    for key, acc in accuracies.items():
        pred = y.copy()
        wrong = rng.permutation(n)[:int(round((1 - acc) * n))]
        pred[wrong] = (y[wrong] + 1) % 4
        arm = "finetuned" if key == "elmo_finetuned" else ("elmo" if key.startswith("elmo_") else "static")
        results[key] = model_result(key, {"train": (y, pred), "validation": (y, pred), "test": (y, pred)}, {"arm": arm})
        if key in ("elmo_trainable", "elmo_frozen"):
            results[key]["mix_weights"] = {"initial": {"lambda": [1 / 3] * 3, "gamma": 1.0},
                                           "final": {"lambda": [0.2, 0.3, 0.5], "gamma": 1.2}}
    return results, y


def test_mcnemar_counts_and_exact_p():
    y = np.zeros(20, dtype=int)
    a = np.zeros(20, dtype=int)
    b = np.zeros(20, dtype=int)
    b[:6] = 1  # b wrong on 6 where a is right
    a[6:7] = 1  # a wrong on 1 where b is right
    test = report.mcnemar(y, a, b)
    assert (test["only_a_right"], test["only_b_right"]) == (6, 1)
    assert abs(test["p_value"] - 0.125) < 1e-9  # two-sided binomial, 7 discordant pairs, 6 vs 1


def test_narrative_is_computed_from_the_numbers():
    from elmo_lib.comparisons import planned_comparisons
    results, y = _results({"svd": 0.80, "skipgram": 0.85, "elmo_trainable": 0.95, "elmo_frozen": 0.90,
                           "elmo_function": 0.92})
    significance = report.pairwise_mcnemar(results, y)
    text = report.narrative(results, significance, planned=planned_comparisons(results, y, n=300))
    assert "- **ELMo, trainable λ** has the best validation accuracy (0.9500); on test: ELMo, trainable λ 0.9500." in text
    assert "Frozen λ loses 5.0 points against trainable λ" in text
    assert ("the contextual row chosen on validation (ELMo, trainable λ, 0.9500) is above the static row chosen on "
            "validation (Skip-gram, 0.8500) by 10.0 points.") in text
    assert "3 of 5 models with a reference figure beat the reference study's test accuracy" in text
    assert "- ELMo, trainable λ against Skip-gram (ELMo row against the best static row by validation): +10.00 points" in text
    assert "**distinguishable**" in text and "Exploratory, uncorrected:" in text
    # change the numbers and the words follow
    results, y = _results({"svd": 0.93, "skipgram": 0.85, "elmo_trainable": 0.80, "elmo_frozen": 0.84,
                           "elmo_function": 0.82})
    text = report.narrative(results, report.pairwise_mcnemar(results, y))
    assert "**SVD** has the best validation accuracy" in text and "Frozen λ gains 4.0 points" in text
    assert "is below the static row chosen on validation (SVD, 0.9300)" in text
    assert "**missed** by ELMo, trainable λ (13.0 points below); ELMo, frozen λ (9.0 points below)" in text
    # a tie on validation is called one
    results, y = _results({"svd": 0.80, "skipgram": 0.85, "elmo_trainable": 0.83, "elmo_frozen": 0.92,
                           "elmo_function": 0.92})
    text = report.narrative(results, report.pairwise_mcnemar(results, y))
    assert "**ELMo, frozen λ and ELMo, learnable function** share the best validation accuracy (0.9200)" in text
    assert "2 of 5 models with a reference figure beat the reference study's test accuracy: ELMo, frozen λ; ELMo, " \
           "learnable function." in text

    # a run of one row (e.g. static_methods=["tfidf"], no ELMo modes) compares nothing and says so
    results, y = _results({"svd": 0.81})
    significance = report.pairwise_mcnemar(results, y)
    assert len(significance) == 0 and "p-value" in significance.columns
    assert report.narrative(results, significance) == ("- **SVD** is the only row of this run: test accuracy 0.8100. "
                                                       "Nothing is compared.")


def test_tables_have_every_class_and_model():
    results, _ = _results({key: 0.9 for key in KEYS})
    frame = report.classification_frame(results["svd"]["test"])
    assert list(frame.index) == ["World", "Sports", "Business", "Sci/Tech", "macro avg", "weighted avg", "accuracy"]
    comparison = report.comparison_frame(results)
    assert list(comparison["reference test accuracy"]) == [0.87, 0.90, 0.91, 0.85, 0.90]
    assert isinstance(report.lambda_frame(results), pd.DataFrame) and len(report.lambda_frame(results)) == 4


def test_tables_take_unknown_keys_and_choose_records_by_content():
    results, y = _results({"svd": 0.9, "toy": 0.8, "elmo_newmode": 0.85})
    comparison = report.comparison_frame(results)
    assert comparison.loc["toy", "reference test accuracy"] is None or np.isnan(comparison.loc["toy", "reference test accuracy"])
    assert "toy" in report.narrative(results, report.pairwise_mcnemar(results, y))
    assert len(report.lambda_frame(results)) == 0 and len(report.window_sweep_frame(results)) == 0


def test_pooled_layers_are_each_documents_mean():
    from elmo_lib.probes import pooled_layers
    rng = np.random.default_rng(0)
    lengths = np.array([3, 1, 5, 2])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = rng.normal(size=(int(offsets[-1]), 2, 4)).astype(np.float16)
    pooled = pooled_layers(values, offsets, chunk=3)
    for doc in range(4):
        expected = values[offsets[doc]:offsets[doc + 1]].astype(np.float32).mean(axis=0)
        np.testing.assert_allclose(pooled[doc], expected, rtol=1e-6, atol=1e-6)


def test_ablation_table_and_sentence_follow_the_numbers():
    def record(norm, val, test, unk=0.5):
        return {"settings": {"elmo": {"layer_norm": norm}, "bilm": {"unk_dropout": unk}},
                "history": [{"val_accuracy": val - 0.1}, {"val_accuracy": val}], "test": {"accuracy": test}}
    base = record("none", 0.80, 0.79)
    ablations = [{"setting": "elmo.layer_norm='token'", "record": record("token", 0.85, 0.84)},
                 {"setting": "bilm.unk_dropout=0.0", "record": record("none", 0.81, 0.80, unk=0.0)}]
    frame = report.ablation_frame(base, ablations)
    assert list(frame["layer norm"]) == ["none", "token", "none"]
    assert list(frame["biLM <unk> dropout"]) == [0.5, 0.5, 0.0]
    assert "**elmo.layer_norm='token'** has the best validation accuracy (0.8500; test 0.8400)" in report.ablation_sentence(base, ablations)


def test_epoch_curve_sentence_and_frame_are_computed_from_the_curve():
    def entry(epoch, perplexity, joined):
        return {"epoch": epoch, "val_perplexity": perplexity,
                "probes": {"biLM layer 1": {"validation": 0.6, "test": 0.6},
                           "biLM layers 0..L joined": {"validation": joined, "test": joined}}}
    curve = [entry(1, 400.0, 0.70), entry(2, 300.0, 0.76), entry(3, 280.0, 0.75)]
    sentence = report.epoch_curve_sentence(curve)
    assert "from 400.0 to 280.0" in sentence and "rose by 5.0 points" in sentence
    assert "last epoch alone removed 1.0 point." in sentence
    frame = report.epoch_curve_frame(curve)
    assert list(frame.index) == [1, 2, 3] and frame.loc[2, "biLM layers 0..L joined (val)"] == 0.76
    assert "no curve" in report.epoch_curve_sentence(curve[:1])


def test_the_fine_tuned_row_is_reported_apart_from_the_frozen_bilm_comparison():
    results, y = _results({"svd": 0.80, "skipgram": 0.85, "elmo_trainable": 0.84, "elmo_finetuned": 0.90})
    significance = report.pairwise_mcnemar(results, y)
    text = report.narrative(results, significance)
    # the contextual row chosen on validation and the aim count the frozen-biLM rows only; the fine-tuned row has
    # its own line
    assert "the contextual row chosen on validation (ELMo, trainable λ, 0.8400) is below the static row" in text
    assert "**missed** by ELMo, trainable λ (1.0 point below)." in text
    assert ("- ELMo, top biLM layer fine-tuned (0.9000) trains the biLM's top layer, so it stands apart from the "
            "frozen-biLM comparison above; it is 6.0 points ahead of the same mix over the frozen biLM "
            "(ELMo, trainable λ, 0.8400).") in text
    from elmo_lib.comparisons import planned_comparisons
    assert "fine-tuned" not in report.distinguishable_sentence(planned_comparisons(results, y, n=200))


def test_the_answer_states_each_family_against_the_best_static_row_plainly():
    from elmo_lib.comparisons import planned_comparisons
    results, y = _results({"tfidf": 0.90, "svd": 0.85, "elmo_trainable": 0.91, "elmo_trainable_scratch": 0.80})
    results["elmo_trainable"]["settings"]["bilm_start"] = "skipgram"
    results["elmo_trainable_scratch"]["settings"]["bilm_start"] = "random"
    planned = planned_comparisons(results, y, n=300)
    text = report.answer([results], planned)
    assert text.startswith("**Question.** What does a contextual biLM")
    assert ("- **ELMo, biLM from skip-gram vectors**: its best row by validation (ELMo, trainable λ (biLM from "
            "skip-gram start), test 0.9100) is 1.0 point above the best static row by validation (TF-IDF + logistic "
            "regression, test 0.9000)") in text
    assert "**no difference this study can tell**" in text.split("\n")[2]          # 4 documents of 400 apart
    scratch = text.split("\n")[3]
    assert scratch.startswith("- **ELMo, biLM from scratch**") and "10.0 points below" in scratch
    assert "a difference this study can tell" in scratch and "no difference" not in scratch
    assert "Spread: not measured in this run (one replicate" in text
    spread = {"replicates": 3, "path": "benchmarks/results_cpu-complete.json", "git_commit": "abcdef0123",
              "rows": {"svd": {"test_sd": 0.0012}, "tfidf": {"test_sd": None}, "elmo_trainable": {"test_sd": 0.0031}}}
    assert ("The committed 3-replicate record (benchmarks/results_cpu-complete.json, commit abcdef0) measured a "
            "row's test-accuracy sd of 0.1 points to 0.3 points.") in report.answer([results], planned, spread=spread)
