"""The smoke profile from empty artifacts on this machine: every row's accuracies and every artifact's SHA-256, with
the CPU named, for comparing CPU kinds (same code, same data: which bytes and numbers agree).

    python benchmarks/smoke_digests.py [OUT.json]      (AG_NEWS_DIR set; default benchmarks/records/<date>-smoke-<cpu kind>.json)

An AVX2 machine can be emulated on an AVX-512 one by limiting the libraries' kernels:
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 python benchmarks/smoke_digests.py
"""
from __future__ import annotations

import datetime
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path


ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "OPENBLAS_CORETYPE")


def main(out: str | None) -> None:
    """Build the smoke stages in a fresh folder and write what they gave to `out`."""
    import torch

    from elmo_lib.config import get_profile
    from elmo_lib.device import cpu_has_native_bf16
    from elmo_lib.io import write_json
    from elmo_lib.provenance import cpu_model, git_commit, git_dirty
    from elmo_lib.study import Study
    from elmo_lib.timing import TIMING_FILE
    kind = "avx512" if "avx512f" in Path("/proc/cpuinfo").read_text() else "avx2"
    # the instruction sets the libraries were limited to, where they were (an AVX2 machine emulated on AVX-512)
    isa = {name: os.environ[name] for name in ISA_VARIABLES if name in os.environ}
    if "ATEN_CPU_CAPABILITY" in isa:
        kind = f"{kind}-as-{isa['ATEN_CPU_CAPABILITY'].lower()}"
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        study = Study(get_profile("smoke"), root)
        accuracies = {key: {split: study.result(key)[split]["accuracy"] for split in ("validation", "test")}
                      for key in study.model_keys()}
        seconds = time.perf_counter() - started
        digests = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in sorted(Path(root).rglob("*")) if p.is_file() and p.name != TIMING_FILE
                   and not p.name.endswith(".meta.json")}
    record = {"date": datetime.date.today().isoformat(), "git_commit": git_commit(), "git_dirty": git_dirty(),
              "cpu": cpu_model(), "cpu_kind": kind, "isa_limits": isa, "native_bf16": cpu_has_native_bf16(),
              "torch_threads": torch.get_num_threads(), "seconds": round(seconds, 1), "accuracies": accuracies,
              "artifact_sha256": digests}
    out = out or f"benchmarks/records/{record['date']}-smoke-{kind}.json"
    write_json(out, record)
    print(f"{len(digests)} artifacts, {seconds:.0f} s; test accuracy " +
          ", ".join(f"{k} {a['test']:.4f}" for k, a in accuracies.items()) + f"; written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
