"""This checkout against an earlier commit, same work, same run: cpu pretraining steps and a classifier epoch.

    python benchmarks/against_commit_cpu.py BASE ARTIFACTS [OUT.json]

with AG_NEWS_DIR set, BASE a commit whose benchmarks/allocator_cpu.py has the same trials (801b4e7 or later), and
ARTIFACTS the folder of a `cpu` report (its cached biLM and ELMo layers). BASE is checked out in a temporary
worktree. Each trial is a fresh process of allocator_cpu.py's trials (the first 150 pretraining steps of the cpu
biLM; one trainable-λ classifier epoch over the cached layers with its validation pass) run from one tree, in the
order base, new, new, base so that drift on the machine falls on both. Writes benchmarks/records/against_commit_cpu.json.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("base", "new", "new", "base")


def trial(tree: Path, phase: str, artifacts: str) -> dict:
    """Return the figures one fresh process of `tree`'s allocator_cpu.py trial prints."""
    done = subprocess.run([sys.executable, str(tree / "benchmarks" / "allocator_cpu.py"), "--child", phase, artifacts],
                          check=True, text=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(base: str, artifacts: str, out: str) -> None:
    """Run every trial, print each, and write them with the ratios to `out`."""
    from elmo_lib.bench import paired_timing
    from elmo_lib.io import write_json
    from elmo_lib.provenance import git_commit
    with tempfile.TemporaryDirectory(prefix="elmo-base-") as folder:
        base_tree = Path(folder) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base_tree), base], check=True)
        try:
            base_commit = subprocess.run(["git", "-C", str(base_tree), "rev-parse", "HEAD"], check=True, text=True,
                                         capture_output=True).stdout.strip()
            figures = {"cpu_count": os.cpu_count(), "base_commit": base_commit, "new_commit": git_commit(),
                       "new_tree_dirty": bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain",
                                                              "--untracked-files=no"], text=True,
                                                             capture_output=True).stdout.strip()),
                       "order": list(ORDER), "phases": {}}
            for phase in ("pretrain", "classify"):
                trials = []
                for which in ORDER:
                    trials.append({"tree": which, **trial(base_tree if which == "base" else ROOT, phase, artifacts)})
                    print(phase, trials[-1], flush=True)
                timing = paired_timing(trials, lambda t: t["tree"], "base", "new")
                seconds = timing["mean_seconds"]
                results = {which: sorted({t["result"] for t in trials if t["tree"] == which}) for which in ("base", "new")}
                figures["phases"][phase] = {"trials": trials, **timing, "results": results}
                print(f"{phase}: {seconds['base']:.1f} s ({base_commit[:7]}) -> {seconds['new']:.1f} s "
                      f"({figures['phases'][phase]['speed_up']:.2f}x); results {results}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=True)
    write_json(out, figures)
    print(f"figures: {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2],
         sys.argv[3] if len(sys.argv) > 3 else str(Path(__file__).with_name("against_commit_cpu.json")))
