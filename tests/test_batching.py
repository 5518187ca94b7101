"""Token-budget batches for biLM pretraining: every document once, within budget, the old batches when lengths agree."""
import dataclasses
import math

import numpy as np

from elmo_lib.batching import bucketed_batches, token_budget_batches
from elmo_lib.config import PretrainConfig
from elmo_lib.pretrain import batch_scaled, epoch_batches


def test_token_budget_batches_hold_every_document_once_within_the_budget():
    lengths = np.random.default_rng(0).integers(2, 60, size=500)
    lengths[7] = 300  # longer than the budget: a batch of its own
    batches = token_budget_batches(lengths, 256, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(500))
    for batch in batches:
        assert len(batch) * lengths[batch].max() <= 256 or len(batch) == 1
    assert [7] in [b.tolist() for b in batches]
    again = token_budget_batches(lengths, 256, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again)) and len(batches) == len(again)


def test_token_budget_batches_are_the_sentence_batches_when_every_length_is_equal():
    lengths = np.full(300, 12)
    old = bucketed_batches(lengths, 64, np.random.default_rng([5, 1]))
    new = token_budget_batches(lengths, 64 * 12, np.random.default_rng([5, 1]))
    assert len(old) == len(new) and all(np.array_equal(a, b) for a, b in zip(old, new))


def test_pretraining_batches_and_learning_rate_follow_the_token_budget():
    lengths = np.random.default_rng(2).integers(5, 40, size=2000)
    sentences = PretrainConfig(batch_size=64, lr=1e-3, warmup_steps=100)
    assert batch_scaled(sentences, lengths) == (1e-3, 100)
    tokens = dataclasses.replace(sentences, batch_tokens=8192)
    batches = epoch_batches(lengths, tokens, epoch=1)
    ratio = len(lengths) / len(batches) / 64
    lr, warmup = batch_scaled(tokens, lengths)
    assert ratio > 2 and math.isclose(lr, 1e-3 * math.sqrt(ratio)) and warmup == round(100 / ratio)
    assert all(len(b) * lengths[b].max() <= 8192 for b in batches)


def test_pretraining_runs_on_token_budget_batches(tmp_path, capsys):
    import torch

    from elmo_lib.pretrain import pretrain_bilm
    from tests.elmo_helpers import TINY_BILM, tiny_corpus, tiny_pretrain
    corpus, cfg = tiny_corpus(), tiny_pretrain(epochs=1, batch_tokens=160)
    result = pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / "b.pt", device=torch.device("cpu"))
    lengths = np.array([len(s) for s in corpus.train.lm_sequences()])
    assert len(result.steps) == len(epoch_batches(lengths, cfg, epoch=1)) > len(lengths) / cfg.batch_size
    assert "batches of at most 160 tokens" in capsys.readouterr().out
