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
