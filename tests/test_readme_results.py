"""The README's results come from the committed results file: the block is what elmo_lib.headline makes of it."""
import re
from pathlib import Path

from elmo_lib.answer_page import spread_record
from elmo_lib.headline import BEGIN, END, SPREAD_BEGIN, SPREAD_END, results_block, spread_block
from elmo_lib.io import read_json

ROOT = Path(__file__).resolve().parents[1]


def _block(begin: str = BEGIN, end: str = END) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index(begin):text.index(end) + len(end)]


def test_the_readme_results_block_is_made_from_the_committed_results_file():
    results = {**read_json(ROOT / "benchmarks" / "results_cpu.json"), "path": "benchmarks/results_cpu.json"}
    assert _block() == results_block(results, "docs/headline_cpu.png")
    assert (ROOT / "docs" / "headline_cpu.png").stat().st_size > 10_000


def _numbers(value) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def test_every_number_in_the_readme_tables_is_in_the_results_file():
    results = read_json(ROOT / "benchmarks" / "results_cpu.json")
    known = _numbers(results)
    rows = [line for line in _block().splitlines() if line.startswith("| ") and not line.startswith("| ---")][1:]
    accuracies = [float(x) for line in rows for x in re.findall(r"(?<![\d.+-])(0\.\d{4})(?!\d)", line)]
    points = [float(x) for line in rows for x in re.findall(r"([+-]\d+\.\d{2})(?!\d)", line)]
    assert accuracies, "the README's results table shows no accuracy"
    for shown in accuracies:   # accuracies, sds and interval ends, to 4 places
        assert any(abs(shown - value) <= 5e-5 for value in known), f"{shown} is in no field of results_cpu.json"
    for shown in points:       # differences and their interval ends, in points
        assert any(abs(shown - 100 * value) <= 5e-3 for value in known), f"{shown} points: in no field"


def test_the_readme_spread_block_is_made_from_the_committed_replicates_and_its_numbers_are_there():
    spread = spread_record("cpu", ROOT / "benchmarks")
    assert spread is not None and spread["path"] == "benchmarks/replicates_cpu.json"
    block = _block(SPREAD_BEGIN, SPREAD_END)
    assert block == spread_block(spread)
    known = _numbers(read_json(ROOT / "benchmarks" / "replicates_cpu.json"))
    accuracies = [float(x) for x in re.findall(r"(?<![\d.+-])(0\.\d{4})(?!\d)", block)]
    points = [float(x) for x in re.findall(r"([+-]\d+\.\d{2})(?!\d)", block)]
    sds = [float(x) for x in re.findall(r"(?:± |sd of |to )(\d+\.\d{2}) (?:\||to|points)", block)]
    assert accuracies and points and sds
    for shown in accuracies:   # means, sds and each replicate's accuracy, to 4 places
        assert any(abs(shown - value) <= 5e-5 for value in known), f"{shown} is in no field of replicates_cpu.json"
    for shown in [*points, *sds]:  # differences and their sds, in points
        assert any(abs(shown - 100 * value) <= 5e-3 for value in known), f"{shown} points: in no field"
    comparisons = read_json(ROOT / "benchmarks" / "replicates_cpu.json")["comparisons"]
    verdicts = re.findall(r"\| ([\d.e+-]+) \| (distinguishable|no difference|not resolved) \|", block)
    assert len(verdicts) == len(comparisons)
    for (shown, verdict), e in zip(verdicts, comparisons):  # Holm p to 2 significant figures, and its verdict
        assert (shown, verdict) == (f"{e['t_p_holm']:.2g}", e["verdict"])


def test_the_cpu_kinds_figures_in_the_readme_are_in_their_record():
    record = read_json(ROOT / "benchmarks" / "records" / "2026-12-01-smoke-cpu-kinds.json")
    points = [entry["points"] for entry in record["test_accuracy"].values()]
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"moved by −{abs(min(points)):.1f} to +{max(points):.1f} points" in text
    assert {"data", "svd_embeddings", "skipgram_embeddings", "tfidf"} <= set(record["same_bytes"])
    assert "bilm" in record["other_bytes"]
