import pytest
import torch

from elmo_lib.checkpoint import CheckpointError, load_checkpoint
from elmo_lib.config import BiLMConfig
from elmo_lib.bilm_store import load_bilm
from elmo_lib.pretrain import pretrain_bilm
from tests.elmo_helpers import TINY_BILM, tiny_corpus, tiny_pretrain

CPU = torch.device("cpu")


def test_resume_after_interruption_gives_identical_weights(tmp_path):
    corpus, cfg = tiny_corpus(), tiny_pretrain()
    straight = pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / "a.pt", device=CPU)
    steps_per_epoch = len(straight.steps) // 2
    interrupted = pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / "b.pt", device=CPU,
                                max_steps=steps_per_epoch + 2)  # dies two batches into epoch 2
    assert not interrupted.finished
    resumed = pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / "b.pt", resume=True, device=CPU)
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    assert [s["loss"] for s in resumed.steps] == [s["loss"] for s in straight.steps]
    assert [e["val_perplexity"] for e in resumed.epochs] == [e["val_perplexity"] for e in straight.epochs]


def test_perplexity_reported_every_epoch_and_falls(tmp_path):
    result = pretrain_bilm(tiny_corpus(), TINY_BILM, tiny_pretrain(epochs=3), tmp_path / "c.pt", device=CPU)
    ppl = [e["val_perplexity"] for e in result.epochs]
    assert len(ppl) == 3 and ppl[2] < ppl[1] < ppl[0]


def test_checkpoint_loads_safely_and_refuses_mismatches(tmp_path):
    corpus = tiny_corpus()
    path = tmp_path / "ck.pt"
    pretrain_bilm(corpus, TINY_BILM, tiny_pretrain(epochs=1), path, device=CPU)
    model = load_bilm(path, corpus.vocab.fingerprint(), len(corpus.vocab), TINY_BILM)
    assert model.embedding.weight.shape == (64, 8)
    with pytest.raises(CheckpointError, match="vocab_fingerprint"):
        load_bilm(path, "0" * 16, len(corpus.vocab), TINY_BILM)
    with pytest.raises(CheckpointError, match="hidden: checkpoint 16, now 32"):
        load_bilm(path, corpus.vocab.fingerprint(), len(corpus.vocab),
                  BiLMConfig(**{**TINY_BILM.__dict__, "hidden": 32}))
    broken = tmp_path / "broken.pt"
    broken.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(broken)


def test_checkpoint_with_pickled_code_is_refused(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("executed",))
    path = tmp_path / "evil.pt"
    torch.save({"signature": {}, "x": Payload()}, path)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_unk_embedding_is_trained_even_when_no_training_word_is_unknown(tmp_path):
    """At min_freq 1 no training token is <unk>: singletons fed as <unk> still train its embedding."""
    import dataclasses

    import numpy as np

    from elmo_lib.corpus import Corpus, EncodedSplit
    from elmo_lib.vocab import UNK_ID, Vocabulary
    from tests.elmo_helpers import TINY_BILM, tiny_pretrain
    words = [f"w{i}" for i in range(56)]
    vocab = Vocabulary(words, [50] * 40 + [1] * 16)  # the last 16 words are training singletons
    rng = np.random.default_rng(0)
    def split(name, n):
        ids = [rng.integers(4, 60, size=8).astype(np.int32) for _ in range(n)]
        return EncodedSplit(name, ids, rng.integers(0, 4, size=n))
    corpus = Corpus(vocab, split("train", 64), split("validation", 16), split("test", 16))
    assert not any((doc == UNK_ID).any() for doc in corpus.train.ids)
    from elmo_lib.device import seed_everything
    from elmo_lib.embeddings.bilm import BiLM
    seed_everything(tiny_pretrain().seed)  # the draw pretrain_bilm starts from
    before = BiLM(len(vocab), TINY_BILM).embedding.weight[UNK_ID].detach().clone()
    result = pretrain_bilm(corpus, TINY_BILM, tiny_pretrain(epochs=1), tmp_path / "bilm.pt")
    assert not torch.equal(result.model.embedding.weight[UNK_ID].detach(), before)
    off = pretrain_bilm(corpus, dataclasses.replace(TINY_BILM, unk_dropout=0.0), tiny_pretrain(epochs=1),
                        tmp_path / "off.pt")
    torch.testing.assert_close(off.model.embedding.weight[UNK_ID].detach(), before, rtol=0, atol=0)


def test_stop_patience_ends_training_once_validation_perplexity_stalls():
    from elmo_lib.pretrain import _stalled
    assert not _stalled([{"val_perplexity": p} for p in (9, 8, 7)], 2)
    assert _stalled([{"val_perplexity": p} for p in (9, 7, 7.5, 8)], 2)
    assert not _stalled([{"val_perplexity": p} for p in (9, 7, 7.5, 6)], 2)


def test_embedding_start_is_the_static_vectors_principal_components_and_pretraining_starts_there(tmp_path):
    """bilm.embed_init: the word embeddings begin as the scaled top principal components of static vectors."""
    import dataclasses

    import numpy as np

    from elmo_lib.embeddings.bilm import embedding_start
    from elmo_lib.vocab import PAD_ID
    corpus = tiny_corpus()
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(corpus.vocab), 12)) @ np.diag(np.linspace(3, 0.1, 12))
    start = embedding_start(vectors, TINY_BILM.embed_dim, 0.5)
    assert start.shape == (len(corpus.vocab), TINY_BILM.embed_dim) and not start[PAD_ID].any()
    assert abs(start.std() - 0.5) < 0.05
    # the first component carries the widest spread of the static vectors: it is their leading direction
    centred = vectors - vectors.mean(axis=0)
    leading = np.linalg.svd(centred, full_matrices=False)[2][0]
    real = np.arange(len(vectors)) != PAD_ID
    assert abs(np.corrcoef(start[real, 0], centred[real] @ leading)[0, 1]) > 0.999
    with pytest.raises(ValueError, match="bilm.embed_dim=20 is wider than the 12-d"):
        embedding_start(vectors, 20, 1.0)
    cfg = tiny_pretrain(epochs=1, max_steps_per_epoch=1)
    trained = pretrain_bilm(corpus, dataclasses.replace(TINY_BILM, embed_init="skipgram"), cfg, tmp_path / "s.pt",
                            device=CPU, embedding_start=start)
    moved = trained.model.embedding.weight.detach().numpy() - start
    assert 0 < np.abs(moved).max() < 0.1   # one step from the start, not from noise


def test_bf16_pretraining_keeps_validation_perplexity_within_one_percent_of_float32(tmp_path, monkeypatch):
    from elmo_lib import device as device_module
    from elmo_lib.pretrain import perplexity
    # bf16 for real, also on a CPU without native bf16 (which would otherwise run float32): the biLM's LSTMs read
    # bf16 inputs, which PyTorch's own kernel computes there, slowly
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: True)
    corpus = tiny_corpus(n_train=160)
    validation = corpus.validation.lm_sequences()
    measured = {}
    for precision in ("fp32", "bf16"):
        cfg = tiny_pretrain(epochs=2, precision=precision)
        model = pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / f"{precision}.pt", device=CPU).model
        measured[precision] = perplexity(model, validation, CPU, "fp32")  # both scored in float32
    start = perplexity(pretrain_bilm(corpus, TINY_BILM, tiny_pretrain(epochs=1), tmp_path / "s.pt", device=CPU,
                                     max_steps=1).model, validation, CPU, "fp32")
    assert measured["fp32"] < 0.9 * start  # the short run did learn
    assert abs(measured["bf16"] / measured["fp32"] - 1) < 0.01, measured
