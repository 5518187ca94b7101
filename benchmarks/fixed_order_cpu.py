"""What summing the gradient norm in a fixed order costs: torch's clip_grad_norm_ against elmo_lib.reduce's
fixed-order clip over the cpu profile's biLM parameters, same run, in the order torch fixed fixed torch.

    python benchmarks/fixed_order_cpu.py [OUT.json]      (run it alone; default benchmarks/records/<date>-fixed-order-clip-cpu.json)
"""
from __future__ import annotations

import datetime
import sys
import time

ORDER = ("torch", "fixed", "fixed", "torch")


def main(out: str) -> None:
    """Time both clips on random gradients of the cpu biLM (a 30,000-word vocabulary), print and write the figures."""
    import torch

    from elmo_lib.bench import paired_timing
    from elmo_lib.config import get_profile
    from elmo_lib.embeddings.bilm import BiLM
    from elmo_lib.io import write_json
    from elmo_lib.provenance import cpu_model, git_commit
    from elmo_lib.reduce import clip_grad_norm_fixed
    model = BiLM(30000, get_profile("cpu").bilm)
    for parameter in model.parameters():
        parameter.grad = torch.randn_like(parameter)
    clips = {"torch": lambda: torch.nn.utils.clip_grad_norm_(model.parameters(), 1e9),
             "fixed": lambda: clip_grad_norm_fixed(model.parameters(), 1e9)}
    trials = []
    for arm in ORDER:
        started = time.perf_counter()
        for _ in range(20):
            clips[arm]()
        trials.append({"arm": arm, "seconds": (time.perf_counter() - started) / 20})
    timing = paired_timing(trials, lambda t: t["arm"], "torch", "fixed")
    figures = {"date": datetime.date.today().isoformat(), "git_commit": git_commit(), "cpu": cpu_model(),
               "threads": torch.get_num_threads(), "parameters": sum(p.numel() for p in model.parameters()),
               "trials": trials, "seconds_per_step": timing["mean_seconds"]}
    print(f"{figures['parameters']:,} parameters: torch's clip {1000 * timing['mean_seconds']['torch']:.1f} ms, "
          f"the fixed-order clip {1000 * timing['mean_seconds']['fixed']:.1f} ms a step")
    write_json(out, figures)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else f"benchmarks/records/{datetime.date.today()}-fixed-order-clip-cpu.json")
