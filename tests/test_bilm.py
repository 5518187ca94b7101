import pytest
import torch

from elmo_lib.config import BiLMConfig
from elmo_lib.embeddings.bilm import BiLM, LSTMStack, reverse_padded

CFG = BiLMConfig(embed_dim=8, hidden=16, layers=2, dropout=0.0, softmax="adaptive", cutoffs=(10, 30))
PATHS = pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])  # packed: CUDA's path, forced


def _model(softmax: str = "adaptive", packed: bool | None = None) -> BiLM:
    torch.manual_seed(0)
    model = BiLM(60, BiLMConfig(**{**CFG.__dict__, "softmax": softmax})).eval()
    for stack in (model.forward_stack, model.backward_stack):
        stack.packed = packed
    return model


def test_reverse_padded_reverses_within_length():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    assert reverse_padded(x, torch.tensor([3, 2])).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


def _states_before_and_after(packed: bool, changed_positions: slice):
    """Return the biLM states (x, forward, backward) of 10 random tokens, then with `changed_positions` redrawn."""
    model = _model(packed=packed)
    ids = torch.randint(4, 60, (1, 10))
    changed = ids.clone()
    changed[0, changed_positions] = torch.randint(4, 60, (len(range(10)[changed_positions]),))
    with torch.no_grad():
        return model.states(ids, torch.tensor([10])), model.states(changed, torch.tensor([10]))


@PATHS
def test_forward_stack_never_sees_the_future(packed):
    t = 5
    (_, fwd_a, bwd_a), (_, fwd_b, bwd_b) = _states_before_and_after(packed, slice(t + 1, None))
    for a, b in zip(fwd_a, fwd_b):
        torch.testing.assert_close(a[:, :t + 1], b[:, :t + 1], rtol=0, atol=0)
        assert not torch.allclose(a[:, t + 1:], b[:, t + 1:])
    assert not torch.allclose(bwd_a[-1][:, :t + 1], bwd_b[-1][:, :t + 1])  # the backward stack does read it


@PATHS
def test_backward_stack_never_sees_the_past(packed):
    t = 4
    (_, _, bwd_a), (_, _, bwd_b) = _states_before_and_after(packed, slice(None, t))
    for a, b in zip(bwd_a, bwd_b):
        torch.testing.assert_close(a[:, t:], b[:, t:], rtol=0, atol=0)


@PATHS
def test_representations_are_the_same_alone_and_in_a_padded_batch(packed):
    model = _model(packed=packed)
    short = torch.randint(4, 60, (1, 6))
    long = torch.randint(4, 60, (1, 15))
    batch = torch.zeros(2, 15, dtype=torch.long)
    batch[0, :6], batch[1] = short[0], long[0]
    with torch.no_grad():
        alone = model.layer_representations(short, torch.tensor([6]))
        batched = model.layer_representations(batch, torch.tensor([6, 15]))
    assert batched.shape == (2, 3, 15, 32)  # (batch, layers + 1, time, 2 * hidden)
    torch.testing.assert_close(batched[0, :, :6], alone[0], rtol=0, atol=1e-5)  # both directions


def test_layer_zero_is_the_projection_repeated():
    model = _model()
    ids = torch.randint(4, 60, (2, 7))
    with torch.no_grad():
        reps = model.layer_representations(ids, torch.tensor([7, 7]))
        x = model.project(model.embedding(ids))
    torch.testing.assert_close(reps[:, 0], torch.cat([x, x], -1))


@pytest.mark.parametrize("softmax", ["full", "adaptive"])
def test_loss_is_exact_nll_and_ignores_padding(softmax):
    model = _model(softmax)
    seq = torch.randint(4, 60, (1, 8))
    padded = torch.cat([seq, torch.zeros(1, 5, dtype=torch.long)], 1)
    with torch.no_grad():
        nll_a, n_a = model(seq, torch.tensor([8]))
        nll_b, n_b = model(padded, torch.tensor([8]))
        # exact probabilities: the log-probabilities of all words sum to 1
        hidden = torch.randn(3, CFG.hidden)
        logp = (model.output.log_prob(hidden) if softmax == "adaptive"
                else torch.log_softmax(model.output(hidden), -1))
    assert n_a == n_b == 14
    torch.testing.assert_close(nll_a, nll_b, rtol=0, atol=1e-5)
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(3), rtol=0, atol=1e-5)


def test_packed_lstm_runs_in_bf16_under_autocast_and_trains_the_float32_weights():
    torch.manual_seed(0)
    stack = LSTMStack(hidden=16, layers=2, dropout=0.0, input_dim=8)
    stack.packed = True
    x, lengths = torch.randn(3, 7, 8), torch.tensor([7, 4, 2])
    reference = stack(x, lengths)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lower = stack(x, lengths)
    assert all(state.dtype == torch.bfloat16 for state in lower)
    for a, b in zip(reference, lower):
        torch.testing.assert_close(b.float(), a, rtol=0, atol=3e-2)
    lower[-1].float().sum().backward()
    weights = stack.layers[0].weight_ih_l0
    assert weights.dtype == torch.float32 and weights.grad is not None and weights.grad.abs().sum() > 0
