import numpy as np
import torch

from elmo_lib.classify import DocumentClassifier, fit_classifier
from elmo_lib.config import ClassifierConfig
from elmo_lib.embeddings.elmo import BiLM
from elmo_lib.embeddings.features import ElmoEncoder, compute_features
from elmo_lib.embeddings.mixing import LayerFunction, ScalarMix, make_mixer
from tests.elmo_helpers import TINY_BILM, tiny_corpus


def test_trainable_mix_formula_and_weights_sum_to_one():
    mix = ScalarMix(3, trainable=True)
    with torch.no_grad():
        mix.weights.copy_(torch.tensor([0.5, -1.0, 2.0]))
        mix.gamma.fill_(1.7)
    layers = torch.randn(2, 3, 4, 5)
    lam = torch.softmax(torch.tensor([0.5, -1.0, 2.0]), 0)
    torch.testing.assert_close(mix(layers), 1.7 * sum(lam[j] * layers[:, j] for j in range(3)))
    torch.testing.assert_close(mix.normalised_weights().sum(), torch.tensor(1.0))
    fresh = ScalarMix(3)
    assert fresh.weights.detach().tolist() == [0, 0, 0] and float(fresh.gamma.detach()) == 1.0


def test_frozen_mix_is_seeded_and_does_not_change_after_a_step():
    first, second = ScalarMix(3, trainable=False, seed=7), ScalarMix(3, trainable=False, seed=7)
    assert torch.equal(first.weights, second.weights) and list(first.parameters()) == []
    assert not torch.equal(first.weights, ScalarMix(3, trainable=False, seed=8).weights)
    head = torch.nn.Linear(5, 1)
    before = first.weights.clone()
    optimiser = torch.optim.SGD(head.parameters(), lr=1.0)
    head(first(torch.randn(2, 3, 4, 5))).sum().backward()
    optimiser.step()
    assert torch.equal(first.weights, before) and float(first.gamma) == 1.0


def test_function_mode_has_no_lambda():
    mixer = make_mixer("function", 3, 5, frozen_seed=0)
    assert isinstance(mixer, LayerFunction)
    assert [name for name, _ in mixer.named_parameters()] == ["linear.weight", "linear.bias"]
    assert mixer.linear.in_features == 15 and mixer.linear.out_features == 5
    out = mixer(torch.randn(2, 3, 4, 5))
    assert out.shape == (2, 4, 5) and (out >= 0).all()


def test_bilm_is_frozen_and_bit_identical_after_classifier_training():
    corpus = tiny_corpus()
    torch.manual_seed(0)
    bilm = BiLM(len(corpus.vocab), TINY_BILM)
    before = {k: v.clone() for k, v in bilm.state_dict().items()}
    device = torch.device("cpu")
    features = {name: compute_features(bilm, split, device) for name, split in corpus.splits().items()}
    assert features["train"].values.shape[1:] == (2, 32)
    for mode in ("trainable", "frozen", "function"):
        encoder = ElmoEncoder(bilm, mode, frozen_seed=3)
        model = DocumentClassifier(encoder, hidden=8, dropout=0.0)
        assert not any(p.requires_grad for p in bilm.parameters()) and not bilm.training
        fit_classifier(model, features["train"], features["validation"],
                       ClassifierConfig(hidden=8, max_epochs=1, batch_size=16), device)
    for key, value in bilm.state_dict().items():
        assert torch.equal(value, before[key]), key
        assert value.grad is None


def test_cached_features_match_a_fresh_forward_pass():
    corpus = tiny_corpus()
    torch.manual_seed(0)
    bilm = BiLM(len(corpus.vocab), TINY_BILM).eval()
    features = compute_features(bilm, corpus.test, torch.device("cpu"), dtype="float32")
    inputs, lengths = features.batch(np.array([3]))
    seq = torch.tensor([[2, *corpus.test.ids[3], 3]])
    with torch.no_grad():
        fresh = bilm.layer_representations(seq, torch.tensor([seq.shape[1]]))[0, 1:, 1:-1]
    torch.testing.assert_close(inputs["layers"][0], fresh)
