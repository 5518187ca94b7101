"""Time one classifier-head step (BiLSTM max-pool, forward and backward) on CPU in float32 and under bf16 autocast.

    python benchmarks/bf16_head_cpu.py [out.json]

The batch has the cpu profile's shape over ELMo layers: 64 documents, 40 tokens, 512 features, hidden 128. Under
bf16 autocast the head is fed both ways the study feeds it: bf16 vectors (the ELMo mix casts to bf16) and float32
vectors (static rows' embeddings). On a CPU without native bf16 units oneDNN has no bf16 LSTM, so the float32-fed
run may fail; this script records that instead of stopping. Order: fp32, bf16, fp32, bf16 (run it alone).
"""
from __future__ import annotations

import sys
import time

import torch

from elmo_lib.classify import BiLSTMMaxPool
from elmo_lib.device import cpu_has_native_bf16
from elmo_lib.io import write_json
from elmo_lib.provenance import cpu_model, git_commit


def step_seconds(head: BiLSTMMaxPool, vectors: torch.Tensor, lengths: torch.Tensor, bf16: bool,
                 steps: int = 10) -> float:
    """Return the mean seconds of one forward and backward pass of `head` over `vectors`."""
    def one_step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = head(vectors, lengths)
        logits.float().sum().backward()
    one_step()
    started = time.perf_counter()
    for _ in range(steps):
        one_step()
    return (time.perf_counter() - started) / steps


def main() -> None:
    torch.manual_seed(0)
    head = BiLSTMMaxPool(512, 128)
    vectors, lengths = torch.randn(64, 40, 512), torch.full((64,), 40)
    runs = {"fp32": [], "bf16_fed_bf16": [], "bf16_fed_fp32": []}
    for _ in range(2):
        runs["fp32"].append(step_seconds(head, vectors, lengths, bf16=False))
        runs["bf16_fed_bf16"].append(step_seconds(head, vectors.to(torch.bfloat16), lengths, bf16=True))
        try:
            runs["bf16_fed_fp32"].append(step_seconds(head, vectors, lengths, bf16=True))
        except RuntimeError as err:
            runs["bf16_fed_fp32"].append(f"failed: {str(err).splitlines()[0]}")
    figures = {"cpu": cpu_model(), "git_commit": git_commit(), "torch": torch.__version__,
               "native_bf16": cpu_has_native_bf16(), "threads": torch.get_num_threads(),
               "batch": [64, 40, 512], "hidden": 128, "seconds_per_step": runs,
               "bf16_fed_bf16_over_fp32": sum(runs["bf16_fed_bf16"]) / sum(runs["fp32"])}
    for name, values in runs.items():
        shown = [f"{v * 1000:.1f} ms" if isinstance(v, float) else v for v in values]
        print(f"{name:>14}: {', '.join(shown)}")
    print(f"native bf16: {figures['native_bf16']}; bf16 (fed bf16) / fp32: {figures['bf16_fed_bf16_over_fp32']:.2f}x")
    if len(sys.argv) > 1:
        write_json(sys.argv[1], figures)


if __name__ == "__main__":
    main()
