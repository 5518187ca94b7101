"""Time one classifier-head step (BiLSTM max-pool, forward and backward) on CPU in float32 and under bf16 autocast.

    python benchmarks/bf16_head_cpu.py [out.json] [--batches 64 128 256] [--hidden 128 64]

The batch has the cpu profile's shape over ELMo layers: 64 documents (or each of --batches), 40 tokens, 512
features, hidden 128 (or each of --hidden); a larger batch asks whether the head's GEMMs run more documents a second
(AMX tiles want rows), a narrower head how much of a step its width costs.
Under bf16 autocast the head is fed both ways the study feeds it: bf16 vectors (the ELMo mix casts to bf16) and
float32 vectors (static rows' embeddings). On a CPU without native bf16 units oneDNN has no bf16 LSTM, so the
float32-fed run may fail; this script records that instead of stopping. Order per batch: fp32, bf16, fp32, bf16 (run
it alone).
"""
from __future__ import annotations

import argparse
import time

import elmo_lib  # noqa: F401  first: it pins numpy's BLAS kernels before numpy loads (elmo_lib.blas)
import torch

from elmo_lib.classify import BiLSTMMaxPool
from elmo_lib.device import cpu_has_native_bf16
from elmo_lib.io import write_json
from elmo_lib.provenance import cpu_kind, cpu_model, git_commit


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


def time_batch(head: BiLSTMMaxPool, documents: int) -> dict:
    """Return the step seconds (two runs each) of fp32, bf16 fed bf16 and bf16 fed fp32 over `documents` documents
    of 40 tokens, with bf16 over fp32 and the milliseconds per document of each."""
    vectors, lengths = torch.randn(documents, 40, 512), torch.full((documents,), 40)
    runs = {"fp32": [], "bf16_fed_bf16": [], "bf16_fed_fp32": []}
    for _ in range(2):
        runs["fp32"].append(step_seconds(head, vectors, lengths, bf16=False))
        runs["bf16_fed_bf16"].append(step_seconds(head, vectors.to(torch.bfloat16), lengths, bf16=True))
        try:
            runs["bf16_fed_fp32"].append(step_seconds(head, vectors, lengths, bf16=True))
        except RuntimeError as err:
            runs["bf16_fed_fp32"].append(f"failed: {str(err).splitlines()[0]}")
    per_document = {name: round(1000 * min(v for v in values if isinstance(v, float)) / documents, 3)
                    for name, values in runs.items() if any(isinstance(v, float) for v in values)}
    return {"batch": [documents, 40, 512], "seconds_per_step": runs, "ms_per_document": per_document,
            "bf16_fed_bf16_over_fp32": sum(runs["bf16_fed_bf16"]) / sum(runs["fp32"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", help="write the record here")
    parser.add_argument("--batches", type=int, nargs="+", default=[64], help="documents a step (default 64)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[128], help="the head's LSTM width (default 128)")
    args = parser.parse_args()
    by_hidden = {}
    for hidden in args.hidden:
        torch.manual_seed(0)
        head = BiLSTMMaxPool(512, hidden)
        by_hidden[str(hidden)] = {str(documents): time_batch(head, documents) for documents in args.batches}
    by_batch = by_hidden[str(args.hidden[0])]
    figures = {"cpu": cpu_model(), "cpu_kind": cpu_kind(), "git_commit": git_commit(), "torch": torch.__version__,
               "native_bf16": cpu_has_native_bf16(), "threads": torch.get_num_threads(), "hidden": args.hidden[0],
               **by_batch[str(args.batches[0])], "by_batch": by_batch,
               **({"by_hidden": by_hidden} if len(args.hidden) > 1 else {})}
    for hidden, found_by_batch in by_hidden.items():
        for documents, found in found_by_batch.items():
            for name, values in found["seconds_per_step"].items():
                shown = [f"{v * 1000:.1f} ms" if isinstance(v, float) else v for v in values]
                each = found["ms_per_document"].get(name)
                print(f"hidden {hidden:>4} batch {documents:>4} {name:>14}: {', '.join(shown)}"
                      + (f" ({each:.2f} ms a document)" if each is not None else ""))
            print(f"hidden {hidden:>4} batch {documents:>4}: bf16 (fed bf16) / fp32: "
                  f"{found['bf16_fed_bf16_over_fp32']:.2f}x")
    print(f"native bf16: {figures['native_bf16']}")
    if args.out:
        write_json(args.out, figures)


if __name__ == "__main__":
    main()
