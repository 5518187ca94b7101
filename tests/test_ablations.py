"""Ablations that ablate: an ablation that changes nothing is refused, and a random draw a setting adds comes from a
stream of its own, so turning the setting off leaves every other draw as it was."""
import dataclasses

import numpy as np
import pytest
import torch

from elmo_lib.checkpoint import load_checkpoint
from elmo_lib.config import SettingError, get_profile
from elmo_lib.pretrain import pretrain_bilm
from tests.elmo_helpers import TINY_BILM, tiny_pretrain


def test_an_unk_ablation_where_no_word_is_rare_is_refused_naming_why():
    with pytest.raises(SettingError, match=r"changes nothing at profile cpu: at vocab.min_freq=2 no vocabulary word "
                                           r"is seen once.*drop it from ablations"):
        get_profile("cpu", {"ablations": ["bilm.unk_dropout=0.0"]})
    assert "bilm.unk_dropout=0.0" in get_profile("full").ablations           # min_freq 1: words to drop
    with pytest.raises(SettingError, match="sets what the profile already has"):
        get_profile("cpu", {"ablations": ["elmo.layer_norm='none'"]})
    for name in ("smoke", "cpu", "full", "best"):                             # every named profile passes
        get_profile(name)


def _corpus_with_singletons(singletons: int = 16):
    from elmo_lib.corpus import Corpus, EncodedSplit
    from elmo_lib.vocab import Vocabulary
    vocab = Vocabulary([f"w{i}" for i in range(56)], [50] * (56 - singletons) + [1] * singletons)  # the last seen once
    rng = np.random.default_rng(0)

    def split(name, n):
        return EncodedSplit(name, [rng.integers(4, 60, size=8).astype(np.int32) for _ in range(n)],
                            rng.integers(0, 4, size=n))
    return Corpus(vocab, split("train", 64), split("validation", 16), split("test", 16))


def test_the_unk_dropout_draws_from_its_own_stream(tmp_path):
    corpus, cfg = _corpus_with_singletons(), tiny_pretrain(epochs=1)
    on = pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / "on.pt", device=torch.device("cpu"))
    off = pretrain_bilm(corpus, dataclasses.replace(TINY_BILM, unk_dropout=0.0), cfg, tmp_path / "off.pt",
                        device=torch.device("cpu"))
    # the inputs differ (singletons dropped to <unk> or not), so the weights do ...
    assert not torch.equal(on.model.embedding.weight, off.model.embedding.weight)
    # ... but the LSTMs' dropout stream took the same draws either way
    assert torch.equal(load_checkpoint(tmp_path / "on.pt")["rng"]["torch"],
                       load_checkpoint(tmp_path / "off.pt")["rng"]["torch"])


def test_a_vocabulary_without_rare_words_makes_the_unk_dropout_a_true_no_op(tmp_path):
    corpus, cfg = _corpus_with_singletons(0), tiny_pretrain(epochs=1)
    assert 1 not in corpus.vocab.counts
    on = pretrain_bilm(corpus, TINY_BILM, cfg, tmp_path / "on.pt", device=torch.device("cpu"))
    off = pretrain_bilm(corpus, dataclasses.replace(TINY_BILM, unk_dropout=0.0), cfg, tmp_path / "off.pt",
                        device=torch.device("cpu"))
    for name, value in on.model.state_dict().items():
        assert torch.equal(value, off.model.state_dict()[name]), name
