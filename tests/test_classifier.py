import numpy as np
import pytest
import torch

from elmo_lib.batching import TokenIdSource
from elmo_lib.classify import BiLSTMMaxPool, DocumentClassifier, fit_classifier
from elmo_lib.config import ClassifierConfig
from elmo_lib.corpus import EncodedSplit
from elmo_lib.device import cpu_has_native_bf16
from elmo_lib.embeddings.static import StaticEncoder


def test_padding_does_not_change_predictions():
    torch.manual_seed(0)
    head = BiLSTMMaxPool(input_dim=5, hidden=7).eval()
    short = torch.randn(1, 3, 5)
    long = torch.randn(1, 9, 5)
    padded = torch.zeros(2, 9, 5)
    padded[0, :3] = short[0]
    padded[1] = long[0]
    padded[0, 3:] = 1e3  # garbage in the padding must not matter
    alone = head(short, torch.tensor([3]))
    batched = head(padded, torch.tensor([3, 9]))
    torch.testing.assert_close(batched[0], alone[0], rtol=0, atol=1e-6)


def test_logits_have_no_activation():
    head = BiLSTMMaxPool(input_dim=4, hidden=3).eval()
    logits = head(torch.randn(8, 5, 4) * 10, torch.full((8,), 5))
    assert (logits < 0).any() and not torch.allclose(logits.exp().sum(1), torch.ones(8))


def _toy_split(n: int, seed: int) -> EncodedSplit:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=n)
    ids = [np.concatenate([[4 + label], rng.integers(8, 20, size=rng.integers(1, 9))]).astype(np.int32)
           for label in labels]
    return EncodedSplit("toy", ids, labels)


def test_static_embeddings_stay_frozen_and_classifier_learns():
    vectors = np.random.default_rng(0).normal(size=(20, 6)).astype(np.float32)
    model = DocumentClassifier(StaticEncoder(vectors), hidden=8, dropout=0.0)
    before = model.encoder.embedding.weight.detach().clone()
    cfg = ClassifierConfig(hidden=8, lr=1e-2, max_epochs=6, patience=6, batch_size=16)
    fit = fit_classifier(model, TokenIdSource(_toy_split(400, 1)), TokenIdSource(_toy_split(100, 2)),
                         cfg, torch.device("cpu"))
    assert torch.equal(model.encoder.embedding.weight, before)
    assert not model.encoder.embedding.weight.requires_grad
    assert fit.best_val_accuracy > 0.9


def test_vectorised_id_batches_equal_pad_ids():
    from elmo_lib.batching import bucketed_batches, pad_ids
    split = _toy_split(57, 3)
    source = TokenIdSource(split)
    for indices in bucketed_batches(split.lengths, 8, np.random.default_rng(1)):
        inputs, lengths = source.batch(indices)
        ids, expected_lengths = pad_ids([split.ids[i] for i in indices])
        assert torch.equal(inputs["ids"], ids) and torch.equal(lengths, expected_lengths)


def test_head_equals_a_packed_bidirectional_lstm_with_the_same_weights():
    """The padded two-LSTM head gives the logits of PyTorch's packed bidirectional LSTM, for varied lengths."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    torch.manual_seed(0)
    head = BiLSTMMaxPool(12, 8, dropout=0.0).eval()
    reference = torch.nn.LSTM(12, 8, batch_first=True, bidirectional=True)
    fwd, bwd = head.forward_lstm.layers[0], head.backward_lstm.layers[0]
    with torch.no_grad():
        for name, value in fwd.named_parameters():
            getattr(reference, name).copy_(value)
        for name, value in bwd.named_parameters():
            getattr(reference, f"{name}_reverse").copy_(value)
    vectors, lengths = torch.randn(5, 9, 12), torch.tensor([9, 3, 7, 1, 5])
    for row, n in enumerate(lengths):
        vectors[row, n:] = 1e3 * torch.randn(9 - n, 12)  # loud padding: must not matter
    with torch.no_grad():
        packed = pack_padded_sequence(vectors, lengths, batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(reference(packed)[0], batch_first=True, padding_value=float("-inf"))
        expected = head.out(states.max(dim=1).values)
        torch.testing.assert_close(head(vectors, lengths), expected, rtol=1e-5, atol=1e-5)


def _toy_accuracy(precision: str) -> float:
    from elmo_lib.classify import predict
    vectors = np.random.default_rng(0).normal(size=(20, 6)).astype(np.float32)
    train, val = TokenIdSource(_toy_split(256, 1)), TokenIdSource(_toy_split(64, 2))
    torch.manual_seed(0)
    model = DocumentClassifier(StaticEncoder(vectors), hidden=8, dropout=0.0)
    cfg = ClassifierConfig(hidden=8, lr=1e-2, max_epochs=8, patience=8, batch_size=32, warmup_steps=1,
                           precision=precision)
    fit_classifier(model, train, val, cfg, torch.device("cpu"))
    return float((predict(model, val, torch.device("cpu"), precision=precision) == val.labels).mean())


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bf16: bf16 runs float32 (next test)")
def test_bf16_classifier_on_cpu_learns_as_float32_does():
    """classifier.precision="bf16" runs the head under CPU bf16 autocast; it must still learn the toy task."""
    accuracy = {precision: _toy_accuracy(precision) for precision in ("fp32", "bf16")}
    assert accuracy["fp32"] > 0.9 and accuracy["bf16"] > 0.75, accuracy  # chance: 0.25; bf16 rounds the small toy


def test_bf16_on_a_cpu_without_native_bf16_trains_in_float32_with_a_warning(monkeypatch, capsys):
    """Where oneDNN has no bf16 LSTM (AVX2-only CPUs), bf16 autocast failed or ran 5.5x slower: fp32 runs instead."""
    from elmo_lib import device as device_module
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="running float32 instead"):
        accuracy = _toy_accuracy("bf16")
    assert "bf16" not in capsys.readouterr().out.split("classifier: ")[1].split("\n")[0]  # it says: fp32 on cpu
    assert accuracy > 0.9


def test_bf16_on_a_cpu_without_native_bf16_resolves_to_fp32_and_says_so(monkeypatch, recwarn):
    from elmo_lib import device as device_module
    cpu = torch.device("cpu")
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="running float32 instead"):
        assert device_module.resolve_precision(cpu, "bf16") == "fp32"
    assert device_module.resolve_precision(cpu, "fp32") == "fp32" and device_module.resolve_precision(cpu) == "fp32"
    assert device_module.runnable_precision("bf16", "cpu") == "fp32"
    assert device_module.runnable_precision(None, "cpu") is None and device_module.runnable_precision("auto") == "auto"
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: True)
    assert device_module.resolve_precision(cpu, "bf16") == "bf16"
    assert device_module.runnable_precision("bf16", "cpu") == "bf16"
    assert not [w for w in recwarn if "bf16" in str(w.message)]


def test_a_study_keys_and_records_the_precision_that_runs(monkeypatch, tmp_path, capsys):
    """The cpu profile asks for bf16 classifiers; on a CPU without native bf16 its keys name fp32, which runs."""
    from elmo_lib import device as device_module
    from elmo_lib.config import get_profile
    from elmo_lib.study import Study
    profile = get_profile("cpu", {"classifier.device": "cpu"})
    assert profile.classifier.precision == "bf16"
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: False)
    study = Study(profile, tmp_path)
    assert study.profile.classifier.precision == "fp32" and study.profile.pretrain.precision == "auto"
    printed = capsys.readouterr()
    assert "running classifier.precision='fp32'" in printed.err and "precision" not in printed.out  # stdout: predictions
    assert study.variant({"classifier.seed": 1}).profile.classifier.precision == "fp32"
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: True)
    assert Study(profile, tmp_path).profile.classifier.precision == "bf16"
