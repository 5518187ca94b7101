"""The GPU check: CUDA correctness of the biLM, the classify benchmark, and the study's rows at a profile.

    python benchmarks/gpu_study.py --data-dir DIR --out OUT [--profile full] [--budget 420]

Rows run in order of importance and each is written to OUT/gpu_results.json as soon as it is done,
so a run cut short still reports what it finished. Ablations (layer normalisation) follow the rows.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import elmo_lib  # noqa: F401  first: it pins numpy's BLAS kernels before numpy loads (elmo_lib.blas)
import torch

from elmo_lib.config import BiLMConfig, get_profile
from elmo_lib.embeddings.bilm import BiLM
from elmo_lib.study import Study


def cuda_checks(device: torch.device) -> dict:
    """Return the biLM's causality and padding figures on `device` (max abs differences)."""
    torch.manual_seed(0)
    model = BiLM(60, BiLMConfig(embed_dim=8, hidden=16, dropout=0.0, cutoffs=(10, 30))).to(device).eval()
    ids = torch.randint(4, 60, (1, 10), device=device)
    changed = ids.clone()
    changed[0, 6:] = torch.randint(4, 60, (4,), device=device)
    lengths = torch.tensor([10])
    with torch.no_grad():
        _, fwd_a, bwd_a = model.states(ids, lengths)
        _, fwd_b, _ = model.states(changed, lengths)
        short = ids[:, :6]
        batch = torch.zeros(2, 10, dtype=torch.long, device=device)
        batch[0, :6], batch[1] = short[0], ids[0]
        alone = model.layer_representations(short, torch.tensor([6]))
        batched = model.layer_representations(batch, torch.tensor([6, 10]))
    return {"forward_before_change": float((fwd_a[-1][:, :6] - fwd_b[-1][:, :6]).abs().max()),
            "alone_vs_batched": float((alone[0] - batched[0, :, :6]).abs().max())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", default="full")
    parser.add_argument("--artifacts", default="/tmp/elmo-artifacts")
    parser.add_argument("--budget", type=float, default=420.0, help="seconds after which no new row starts")
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--rows", nargs="*", help="only these model keys, in this order (default: every row)")
    parser.add_argument("--no-ablations", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    results: dict = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
                     "torch": torch.__version__, "profile": args.profile, "rows": {}, "stages": {}}

    def save() -> None:
        results["wall_seconds"] = time.perf_counter() - started
        (out / "gpu_results.json").write_text(json.dumps(results, indent=2))

    results["cuda_checks"] = cuda_checks(device)
    save()
    overrides = {"data.data_dir": args.data_dir}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    study = Study(get_profile(args.profile, overrides), args.artifacts)
    for stage in ("bilm", "elmo_features"):
        t = time.perf_counter()
        getattr(study, stage)
        results["stages"][stage] = time.perf_counter() - t
        save()
    results["pretraining"] = study.bilm.log["epochs"]
    # the frozen-biLM ELMo rows first (trainable λ leading), the fine-tuned row after them, then the static rows
    order = args.rows or sorted(study.model_keys(), key=lambda k: (not k.startswith("elmo_"), k == "elmo_finetuned",
                                                                   k != "elmo_trainable"))
    for key in order:
        if time.perf_counter() - started > args.budget:
            results["rows"][key] = "not run (time budget)"
            continue
        t = time.perf_counter()
        record = study.result(key)
        results["rows"][key] = {"test_accuracy": record["test"]["accuracy"],
                                "validation_best": max((h["val_accuracy"] for h in record.get("history", [])), default=None),
                                "best_epoch": record.get("best_epoch"), "stop_reason": record.get("stop_reason"),
                                "seconds": time.perf_counter() - t, "mix_weights": record.get("mix_weights")}
        print(f"{key}: test accuracy {record['test']['accuracy']:.4f} ({time.perf_counter() - t:.0f} s)", flush=True)
        save()
    for norm in () if args.no_ablations else ("masked", "token"):
        if time.perf_counter() - started > args.budget:
            break
        ablation = Study(get_profile(args.profile, {**overrides, "elmo.layer_norm": norm}), args.artifacts)
        t = time.perf_counter()
        record = ablation.elmo("trainable")
        results["rows"][f"ablation elmo_trainable layer_norm={norm}"] = {
            "test_accuracy": record["test"]["accuracy"], "seconds": time.perf_counter() - t,
            "validation_best": max(h["val_accuracy"] for h in record["history"])}
        save()
    save()
    print(json.dumps(results["rows"], indent=1))


if __name__ == "__main__":
    main()
