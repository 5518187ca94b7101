"""Which smoke artifacts and accuracies two machines (or an emulated kind) agree on, from two smoke_digests records.

    python benchmarks/compare_smoke_records.py A.json B.json OUT.json
"""
from __future__ import annotations

import sys


def compare(a: dict, b: dict) -> dict:
    """Return the stages whose every artifact has the same bytes in both, those that differ, and each row's test
    accuracy in both with the difference in points."""
    stages: dict[str, bool] = {}
    for path, digest in a["artifact_sha256"].items():
        stage = path.split("/")[0]
        stages[stage] = stages.get(stage, True) and b["artifact_sha256"].get(path) == digest
    return {"a": {k: a[k] for k in ("cpu", "cpu_kind", "git_commit")},
            "b": {k: b[k] for k in ("cpu", "cpu_kind", "git_commit")},
            "same_bytes": sorted(s for s, same in stages.items() if same),
            "other_bytes": sorted(s for s, same in stages.items() if not same),
            "test_accuracy": {key: {"a": a["accuracies"][key]["test"], "b": b["accuracies"][key]["test"],
                                    "points": round(100 * (b["accuracies"][key]["test"] - a["accuracies"][key]["test"]), 2)}
                              for key in a["accuracies"]}}


if __name__ == "__main__":
    from elmo_lib.io import read_json, write_json
    result = compare(read_json(sys.argv[1]), read_json(sys.argv[2]))
    write_json(sys.argv[3], result)
    print(f"same bytes: {', '.join(result['same_bytes'])}; other bytes: {', '.join(result['other_bytes'])}")
    print("; ".join(f"{k} {v['points']:+.2f}" for k, v in result["test_accuracy"].items()))
