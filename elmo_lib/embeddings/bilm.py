"""The ELMo-style bidirectional language model (biLM) and its per-layer token representations.

Two separate LSTM stacks over the projected token embeddings of `<bos> w_1 ... w_n <eos>`:

    x_t      = W_p · dropout(E[w_t]) + b_p                       (batch, time, hidden)
    fwd_j,t  = LSTM_j^fwd(fwd_{j-1})_t  reads w_0..w_t  and predicts w_{t+1}
    bwd_j,t  = LSTM_j^bwd(bwd_{j-1})_t  reads w_t..w_n+1 and predicts w_{t-1}

The backward stack runs a forward LSTM over each sequence reversed within its own length, so it
starts at the sequence's last real token and padding never reaches a real state. The stacks never mix, so neither direction sees the token it
predicts (a stacked `bidirectional=True` LSTM would leak the future into layer 2).
States at padding positions are never read: the loss and the representations use real positions only.

Downstream representations, one per layer j = 0..L, each (batch, time, 2·hidden):
    h_0 = [x; x],   h_j = [fwd_j; bwd_j]
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from elmo_lib.config import BiLMConfig
from elmo_lib.device import autocast_dtype
from elmo_lib.names import SOFTMAXES
from elmo_lib.threads import single_threaded
from elmo_lib.vocab import PAD_ID, UNK_ID


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Return `x` (batch, time, ...) with each row's first lengths[b] steps reversed; padding stays put.

    One row gather over the flattened (batch · time) positions: a (batch, time, D) `gather` would read an
    index per element, several times slower on CPU (forward and backward) for the same result.
    """
    batch, time = x.shape[:2]
    steps = torch.arange(time, device=x.device).unsqueeze(0)
    lengths = lengths.to(x.device).unsqueeze(1)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    rows = (index + torch.arange(batch, device=x.device).unsqueeze(1) * time).reshape(-1)
    return x.reshape(batch * time, *x.shape[2:]).index_select(0, rows).reshape(x.shape)


class LSTMStack(nn.Module):
    """L single-direction LSTM layers; returns every layer's states (batch, time, hidden).

    Padding always follows the real tokens (the backward stack's input is reversed within each
    length), so it never reaches a real state. On CUDA the input is packed (cuDNN skips padding);
    on CPU the oneDNN kernel over length-bucketed, barely padded batches is several times faster
    than PyTorch's step-by-step packed path, and gives the same real states. `packed` (None: on
    CUDA only) forces either path, so CPU tests cover the packed one.

    Under bf16 autocast the packed LSTM would stay in float32 (autocast does not cast packed RNN
    calls); it runs in bf16 here, from bf16 copies of the float32 weights (gradients reach those).
    """

    def __init__(self, hidden: int, layers: int, dropout: float, input_dim: int | None = None):
        super().__init__()
        sizes = [input_dim or hidden] + [hidden] * (layers - 1)
        self.layers = nn.ModuleList(nn.LSTM(size, hidden, batch_first=True) for size in sizes)
        self.dropout = nn.Dropout(dropout)
        self.packed: bool | None = None

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
        states, current = [], x
        pack = x.is_cuda if self.packed is None else self.packed
        host_lengths = lengths.cpu() if pack else None
        for index, lstm in enumerate(self.layers):
            if pack:
                packed = pack_padded_sequence(current, host_lengths, batch_first=True, enforce_sorted=False)
                out, _ = pad_packed_sequence(packed_lstm(lstm, packed), batch_first=True, total_length=x.shape[1])
            else:
                out, _ = lstm(current)
            states.append(out)
            current = self.dropout(out) if index + 1 < len(self.layers) else out
        return states


def packed_lstm(lstm: nn.LSTM, packed: PackedSequence) -> PackedSequence:
    """Return `lstm`'s output over `packed`, in the autocast dtype when autocast is on (else as stored)."""
    dtype = autocast_dtype(packed.data.device)
    if dtype is None or dtype == lstm.weight_ih_l0.dtype:
        return lstm(packed)[0]
    weights = {name: weight.to(dtype) for name, weight in lstm.named_parameters()}
    with torch.autocast(packed.data.device.type, enabled=False):
        return torch.func.functional_call(lstm, weights, (packed._replace(data=packed.data.to(dtype)),))[0]


class BiLM(nn.Module):
    """Forward and backward LSTM language models sharing the token embedding and the output softmax."""

    def __init__(self, vocab_size: int, cfg: BiLMConfig):
        super().__init__()
        if cfg.softmax not in SOFTMAXES:
            raise ValueError(f"softmax must be one of {SOFTMAXES}, not {cfg.softmax!r}")
        self.cfg = cfg
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, cfg.embed_dim, padding_idx=PAD_ID)
        with torch.no_grad():  # a small start, as word-level LMs use: Adam moves each element ~lr per step
            self.embedding.weight.normal_(0.0, cfg.embed_init_std)
            self.embedding.weight[PAD_ID].zero_()
        self.dropout = nn.Dropout(cfg.dropout)
        self.project = nn.Linear(cfg.embed_dim, cfg.hidden)
        self.forward_stack = LSTMStack(cfg.hidden, cfg.layers, cfg.dropout)
        self.backward_stack = LSTMStack(cfg.hidden, cfg.layers, cfg.dropout)
        cutoffs = [c for c in cfg.cutoffs if 0 < c < vocab_size - 1]
        if cfg.softmax == "adaptive" and cutoffs:
            self.output = nn.AdaptiveLogSoftmaxWithLoss(cfg.hidden, vocab_size, cutoffs, div_value=cfg.div_value)
        else:
            self.output = nn.Linear(cfg.hidden, vocab_size)

    @property
    def out_dim(self) -> int:
        """Return the width of each layer's representation (2 · hidden)."""
        return 2 * self.cfg.hidden

    def token_layer(self, ids: torch.Tensor) -> torch.Tensor:
        """Return the projected token embeddings x (batch, time, hidden): layer 0 before duplication."""
        return self.project(self.dropout(self.embedding(ids)))

    def states(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """Return (x, forward states per layer, backward states per layer), each (batch, time, hidden)."""
        x = self.token_layer(ids)
        forward = self.forward_stack(x, lengths)
        backward = [reverse_padded(s, lengths) for s in self.backward_stack(reverse_padded(x, lengths), lengths)]
        return x, forward, backward

    def layer_representations(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Return (batch, layers + 1, time, 2·hidden): h_0 = [x; x], h_j = [fwd_j; bwd_j]."""
        x, forward, backward = self.states(ids, lengths)
        layers = [torch.cat([x, x], dim=-1)] + [torch.cat(pair, dim=-1) for pair in zip(forward, backward)]
        return torch.stack(layers, dim=1)

    def _nll_sum(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Return the summed negative log-likelihood of `targets` (n,) given top states (n, hidden)."""
        if isinstance(self.output, nn.AdaptiveLogSoftmaxWithLoss):
            with torch.autocast(hidden.device.type, enabled=False):  # its index_copy_ needs one dtype
                return -self.output(hidden.float(), targets).output.sum()
        return F.cross_entropy(self.output(hidden).float(), targets, reduction="sum")

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor,
                inputs: torch.Tensor | None = None) -> tuple[torch.Tensor, int]:
        """Return (summed NLL of both directions over real positions, number of predictions).

        `ids` are `<bos> w_1 .. w_n <eos>` padded (batch, time); every sequence has length >= 2.
        `inputs` (default `ids`) is what the stacks read, e.g. `ids` with some rare words as <unk>;
        the targets are always `ids`.
        """
        _, forward, backward = self.states(ids if inputs is None else inputs, lengths)
        time = ids.shape[1]
        real = torch.arange(time, device=ids.device).unsqueeze(0) < lengths.to(ids.device).unsqueeze(1)
        # forward: state t predicts token t+1 (t = 0..n-2); backward: state t predicts token t-1 (t = 1..n-1)
        pairs = real[:, 1:]  # position t+1 is real <=> (t, t+1) is a real pair
        # one softmax call over both directions' (state, target) pairs
        states = torch.cat([forward[-1][:, :-1][pairs], backward[-1][:, 1:][pairs]])
        nll = self._nll_sum(states, torch.cat([ids[:, 1:][pairs], ids[:, :-1][pairs]]))
        count = 2 * int((lengths - 1).sum())  # no device sync when `lengths` is on the host, as pretraining passes it
        return nll, count


def unk_dropout(ids: torch.Tensor, rare: torch.Tensor | None, p: float,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Return `ids` with each token marked in `rare` (a (vocab,) bool table; None: no word is rare) replaced by
    <unk> with probability p, drawn from `generator` (its own stream: turning the dropout off, or a vocabulary with
    no rare word, leaves every other random draw of training as it was)."""
    if p <= 0 or rare is None:
        return ids
    drop = rare[ids] & (torch.rand(ids.shape, device=ids.device, generator=generator) < p)
    return ids.masked_fill(drop, UNK_ID)


@single_threaded
def embedding_start(vectors: np.ndarray, dim: int, std: float) -> np.ndarray:
    """Return (vocab, dim) starting word embeddings: the top `dim` principal components of static `vectors`
    (vocab, d), scaled so their elements have standard deviation `std`, with the padding row zero."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if dim > min(vectors.shape):
        raise ValueError(f"bilm.embed_dim={dim} is wider than the {vectors.shape[1]}-d static vectors it would start "
                         f"from; lower bilm.embed_dim or raise that method's dim")
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    start = centred @ components[:dim].T
    start *= std / max(start.std(), 1e-12)
    start[PAD_ID] = 0.0
    return start.astype(np.float32)


def shape_signature(vocab_size: int, cfg: BiLMConfig) -> dict:
    """Return the settings a checkpoint's tensors depend on (for mismatch errors)."""
    return {"vocab_size": vocab_size, "embed_dim": cfg.embed_dim, "hidden": cfg.hidden, "layers": cfg.layers,
            "softmax": cfg.softmax, "cutoffs": list(cfg.cutoffs), "div_value": cfg.div_value}
