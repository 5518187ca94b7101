"""The README's results come from the committed results file: the block is what elmo_lib.headline makes of it."""
import re
from pathlib import Path

from elmo_lib.headline import BEGIN, END, results_block
from elmo_lib.io import read_json

ROOT = Path(__file__).resolve().parents[1]


def _block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index(BEGIN):text.index(END) + len(END)]


def test_the_readme_results_block_is_made_from_the_committed_results_file():
    results = {**read_json(ROOT / "benchmarks" / "results_cpu.json"), "path": "benchmarks/results_cpu.json"}
    assert _block() == results_block(results, "docs/headline_cpu.png")
    assert (ROOT / "docs" / "headline_cpu.png").stat().st_size > 10_000


def test_every_accuracy_in_the_readme_table_is_in_the_results_file():
    results = read_json(ROOT / "benchmarks" / "results_cpu.json")
    shown = re.findall(r"\| (0\.\d{4}) \|", _block())
    assert sorted(shown) == sorted(f"{value:.4f}" for value in results["test_accuracy"].values())


def test_the_cpu_kinds_figures_in_the_readme_are_in_their_record():
    record = read_json(ROOT / "benchmarks" / "records" / "2026-12-01-smoke-cpu-kinds.json")
    points = [entry["points"] for entry in record["test_accuracy"].values()]
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"moved by −{abs(min(points)):.1f} to +{max(points):.1f} points" in text
    assert {"data", "svd_embeddings", "skipgram_embeddings", "tfidf"} <= set(record["same_bytes"])
    assert "bilm" in record["other_bytes"]
