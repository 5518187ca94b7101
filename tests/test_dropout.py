"""The classifier's uniform-mask dropout: nn.Dropout's distribution, its gradient, eval identity, seeded draws."""
import pytest
import torch

from elmo_lib.classify import BiLSTMMaxPool
from elmo_lib.dropout import UniformMaskDropout, uniform_mask_dropout


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_keeps_one_minus_p_and_scales_the_kept(dtype):
    torch.manual_seed(0)
    x = torch.ones(200, 50, 100, dtype=dtype)
    y = uniform_mask_dropout(x, 0.3)
    kept = y != 0
    assert y.dtype == dtype
    assert abs(kept.float().mean().item() - 0.7) < 0.005          # 1M draws: sd of the share is 0.0005
    assert torch.allclose(y[kept].float(), torch.full((int(kept.sum()),), 1 / 0.7), rtol=1e-2)
    assert abs(y.float().mean().item() - 1.0) < 0.01              # inverted dropout keeps the expectation


def test_gradient_is_the_same_mask_and_scale():
    torch.manual_seed(1)
    x = torch.randn(30, 40, requires_grad=True)
    y = uniform_mask_dropout(x, 0.5)
    y.sum().backward()
    expected = torch.where(y != 0, torch.tensor(2.0), torch.tensor(0.0))
    assert torch.equal(x.grad, expected)


def test_eval_mode_p_zero_and_p_one():
    x = torch.randn(4, 5)
    layer = UniformMaskDropout(0.4).eval()
    assert layer(x) is x
    assert uniform_mask_dropout(x, 0.0) is x
    assert torch.equal(uniform_mask_dropout(x, 1.0), torch.zeros_like(x))


def test_seed_fixes_the_mask_and_draws_differ():
    x = torch.ones(1000)
    torch.manual_seed(7)
    first, second = uniform_mask_dropout(x, 0.3), uniform_mask_dropout(x, 0.3)
    torch.manual_seed(7)
    assert torch.equal(uniform_mask_dropout(x, 0.3), first)
    assert not torch.equal(first, second)


def test_the_classifier_head_uses_it():
    head = BiLSTMMaxPool(12, 8, dropout=0.3)
    assert isinstance(head.dropout, UniformMaskDropout) and head.dropout.p == 0.3
