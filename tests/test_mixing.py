import numpy as np
import pytest
import torch

from elmo_lib.classify import DocumentClassifier, fit_classifier
from elmo_lib.config import ClassifierConfig
from elmo_lib.embeddings.bilm import BiLM
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


def _tiny_bilm_with_layers(dtype: str = "float16"):
    """Return (corpus, biLM, a copy of the biLM's starting state, the cached layers of every split)."""
    corpus = tiny_corpus()
    torch.manual_seed(0)
    bilm = BiLM(len(corpus.vocab), TINY_BILM)
    before = {k: v.clone() for k, v in bilm.state_dict().items()}
    features = {name: compute_features(bilm, split, torch.device("cpu"), dtype) for name, split in corpus.splits().items()}
    return corpus, bilm, before, features


def test_bilm_is_frozen_and_bit_identical_after_classifier_training():
    corpus, bilm, before, features = _tiny_bilm_with_layers()
    device = torch.device("cpu")
    assert features["train"].values.shape[1:] == (2, 32)
    for mode in ("trainable", "frozen", "function"):
        encoder = ElmoEncoder(bilm, mode, frozen_seed=3)
        model = DocumentClassifier(encoder, hidden=8, dropout=0.0)
        assert not any(p.requires_grad for p in bilm.parameters()) and not bilm.training
        fit_classifier(model, features["train"], features["validation"],
                       ClassifierConfig(hidden=8, max_epochs=1, batch_size=16), device)
    for key, value in bilm.state_dict().items():
        assert torch.equal(value, before[key]), key
    for name, parameter in bilm.named_parameters():  # the parameters themselves, not detached state_dict copies
        assert parameter.grad is None and not parameter.requires_grad, name


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


def test_vectorised_gather_and_scatter_match_the_per_document_loops_on_every_document():
    from elmo_lib.batching import bucketed_batches
    from elmo_lib.bench import PerDocumentLayers
    corpus = tiny_corpus()
    torch.manual_seed(0)
    bilm = BiLM(len(corpus.vocab), TINY_BILM).eval()
    features = compute_features(bilm, corpus.train, torch.device("cpu"), dtype="float16")
    old = PerDocumentLayers(features)
    for indices in bucketed_batches(features.lengths, 7, np.random.default_rng(0)):
        new_inputs, new_lengths = features.batch(indices)
        old_inputs, old_lengths = old.batch(indices)
        assert torch.equal(new_lengths, old_lengths) and torch.equal(new_inputs["ids"], old_inputs["ids"])
        torch.testing.assert_close(new_inputs["layers"].float(), old_inputs["layers"], rtol=0, atol=0)
    # every document's cached float16 rows equal a fresh forward pass of that document alone
    for doc in range(len(corpus.train)):
        seq = torch.tensor([[2, *corpus.train.ids[doc], 3]])
        with torch.no_grad():
            fresh = bilm.layer_representations(seq, torch.tensor([seq.shape[1]]))[0, 1:, 1:-1]
        start, end = features.offsets[doc], features.offsets[doc + 1]
        cached = torch.from_numpy(np.asarray(features.values[start:end], dtype=np.float32)).permute(1, 0, 2)
        torch.testing.assert_close(cached, fresh.half().float(), rtol=0, atol=1e-3)


def test_masked_layer_norm_equals_a_hand_computed_per_layer_normalisation():
    from elmo_lib.embeddings.features import masked_layer_norm
    torch.manual_seed(0)
    layers = torch.randn(2, 3, 4, 5) * 3 + 1
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=torch.bool)
    out = masked_layer_norm(layers, mask)
    for j in range(3):
        real = torch.cat([layers[0, j, :3].reshape(-1), layers[1, j, :2].reshape(-1)])
        mean, var = real.mean(), real.var(unbiased=False)
        torch.testing.assert_close(out[:, j], (layers[:, j] - mean) / torch.sqrt(var + 1e-12))
    changed = layers.clone()
    changed[0, :, 3] = 1e4  # padding does not change the statistics
    torch.testing.assert_close(masked_layer_norm(changed, mask)[0, :, :3], out[0, :, :3])


def test_no_two_modules_share_drawn_weights_in_function_mode():
    from elmo_lib.classify import build_classifier
    corpus = tiny_corpus()
    bilm = BiLM(len(corpus.vocab), TINY_BILM)
    model = build_classifier(lambda: ElmoEncoder(bilm, "function", 0), ClassifierConfig(hidden=8))
    drawn = {name: p.detach().flatten() for name, p in model.named_parameters() if p.requires_grad and p.dim() > 1}
    names = sorted(drawn)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            n = min(len(drawn[a]), len(drawn[b]), 1000)
            ratio = drawn[a][:n] / drawn[b][:n]
            assert not torch.allclose(ratio, ratio[0].expand_as(ratio)), (a, b)
    weight = model.encoder.mixer.linear.weight.detach()
    dim = weight.shape[0]
    equal_mix = torch.eye(dim).repeat(1, 3) / 3
    assert (weight - equal_mix).abs().max() < 0.2  # starts near the equal mix of the three layers


def test_streamed_pooled_layers_equal_the_mean_of_each_documents_fresh_layers():
    from elmo_lib.embeddings.features import pooled_layers_of
    corpus = tiny_corpus()
    torch.manual_seed(0)
    bilm = BiLM(len(corpus.vocab), TINY_BILM).eval()
    pooled = pooled_layers_of(bilm, corpus.train, torch.device("cpu"), batch_size=7)
    assert pooled.shape == (len(corpus.train), TINY_BILM.layers + 1, bilm.out_dim)
    for doc in range(len(corpus.train)):
        seq = torch.tensor([[2, *corpus.train.ids[doc], 3]])
        with torch.no_grad():
            fresh = bilm.layer_representations(seq, torch.tensor([seq.shape[1]]))[0, :, 1:-1].mean(dim=1)
        torch.testing.assert_close(torch.from_numpy(pooled[doc]), fresh, rtol=1e-5, atol=1e-5)


def test_the_function_mixer_learns_at_its_scaled_rate_and_every_other_weight_at_the_head_rate():
    from elmo_lib.classify import build_classifier
    from elmo_lib.optim import parameter_groups
    corpus = tiny_corpus()
    bilm = BiLM(len(corpus.vocab), TINY_BILM)
    model = build_classifier(lambda: ElmoEncoder(bilm, "function", 0, function_lr_scale=0.1),
                             ClassifierConfig(hidden=8))
    groups = parameter_groups(model, lr=2e-3)
    assert [group["lr"] for group in groups] == [2e-3, 2e-3 * 0.1]
    mixer_ids = {id(p) for p in model.encoder.mixer.parameters()}
    assert {id(p) for p in groups[1]["params"]} == mixer_ids
    grouped = [id(p) for group in groups for p in group["params"]]
    trainable = [id(p) for p in model.parameters() if p.requires_grad]
    assert sorted(grouped) == sorted(trainable) and len(set(grouped)) == len(grouped)
    before = model.encoder.mixer.linear.weight.detach().clone()
    corpus_features = compute_features(bilm, corpus.train, torch.device("cpu"))
    cfg = ClassifierConfig(hidden=8, max_epochs=1, batch_size=16, warmup_steps=1, max_batches_per_epoch=1,
                           weight_decay=0.0)
    validation = compute_features(bilm, corpus.validation, torch.device("cpu"))
    fit_classifier(model, corpus_features, validation, cfg, torch.device("cpu"))
    step = (model.encoder.mixer.linear.weight.detach() - before).abs().max()
    assert 0 < float(step) <= 2e-4 * 1.01  # one Adam step moves a weight by at most its group's rate
    trainable_mix = build_classifier(lambda: ElmoEncoder(bilm, "trainable", 0, function_lr_scale=0.1),
                                     ClassifierConfig(hidden=8))
    groups = parameter_groups(trainable_mix, lr=2e-3)
    # λ's w and γ learn at the head's rate too, in a group of their own without weight decay
    assert [group["lr"] for group in groups] == [2e-3, 2e-3] and groups[1]["weight_decay"] == 0.0
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in trainable_mix.encoder.mixer.parameters()}


def test_the_training_stream_is_seeded_apart_from_the_weights():
    from elmo_lib.classify import training_seed
    assert training_seed(0) != 0 and training_seed(0) == training_seed(0) and training_seed(1) != training_seed(0)
    torch.manual_seed(0)
    weights = torch.rand(64)
    torch.manual_seed(training_seed(0))
    assert not torch.equal(torch.rand(64), weights)  # the first dropout draw is not the head's first weights


def test_fine_tuned_top_layer_starts_at_the_cached_one_then_trains_apart_from_the_frozen_bilm():
    from elmo_lib.embeddings.features import TopLayerFineTuner
    from elmo_lib.optim import parameter_groups
    corpus, bilm, before, features = _tiny_bilm_with_layers("float32")
    device = torch.device("cpu")
    # at its starting weights, the copy of the top LSTMs recomputes the cached top layer from the layer below
    inputs, lengths = features["test"].batch(np.arange(len(corpus.test)))
    top = TopLayerFineTuner(bilm, lr_scale=0.1).eval()
    real = torch.arange(inputs["layers"].shape[2])[None, :] < lengths[:, None]
    with torch.no_grad():
        recomputed = top(inputs["layers"][:, -2], lengths)
    torch.testing.assert_close(recomputed[real], inputs["layers"][:, -1][real], rtol=0, atol=1e-5)
    # so the fine-tuned encoder starts where the frozen one is, and then only its copies and the mix train
    frozen, tuned = ElmoEncoder(bilm, "trainable", 3).eval(), ElmoEncoder(bilm, "trainable", 3, finetune_lr_scale=0.1).eval()
    with torch.no_grad():
        torch.testing.assert_close(tuned(**inputs)[real], frozen(**inputs)[real], rtol=0, atol=1e-5)
    model = DocumentClassifier(tuned.train(), hidden=8, dropout=0.0)
    groups = parameter_groups(model, 1e-2)
    assert [g["lr"] for g in groups] == [1e-2, pytest.approx(1e-3), 1e-2]  # head, top copies, λ without decay
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in tuned.top.parameters()}
    assert {id(p) for p in groups[2]["params"]} == {id(p) for p in tuned.mixer.parameters()}
    start = {k: v.clone() for k, v in tuned.top.state_dict().items()}
    fit_classifier(model, features["train"], features["validation"],
                   ClassifierConfig(hidden=8, max_epochs=1, batch_size=16), device)
    assert not torch.equal(tuned.top.forward_lstm.weight_hh_l0, start["forward_lstm.weight_hh_l0"])
    assert not torch.equal(tuned.top.backward_lstm.weight_ih_l0, start["backward_lstm.weight_ih_l0"])
    for key, value in bilm.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert not any(p.requires_grad for p in bilm.parameters())


@pytest.mark.parametrize("mode", ["trainable", "function"])
def test_under_bf16_autocast_the_mix_equals_mixing_a_float32_stack(mode):
    """The encoder casts the float16 cache straight to the autocast dtype; the result is the one a float32 copy
    of the stack, cast by autocast, gives (float16 -> float32 is exact)."""
    corpus = tiny_corpus()
    torch.manual_seed(0)
    bilm = BiLM(len(corpus.vocab), TINY_BILM).eval()
    features = compute_features(bilm, corpus.train, torch.device("cpu"), dtype="float16")
    inputs, _ = features.batch(np.arange(16))
    encoder = ElmoEncoder(bilm, mode, frozen_seed=0)
    stacked = torch.cat([encoder.layer0[inputs["ids"]].unsqueeze(1), inputs["layers"].float()], dim=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed, expected = encoder(**inputs), encoder.mixer(stacked)
    assert mixed.dtype == torch.bfloat16
    assert torch.equal(mixed, expected)
