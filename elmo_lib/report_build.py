"""`make report`: run the notebooks with papermill, render them with nbconvert, print the PDF with Chromium.

Everything is built in report/.build and moved into report/ only when every step succeeded; the
previous index.html, report.pdf and metrics.json are removed first, so a failed run never leaves
a report that looks complete.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from elmo_lib.embeddings.mixing import MIX_MODES
from elmo_lib.io import write_json

NOTEBOOKS = ("01_data", "02_svd", "03_skipgram", "04_elmo_pretrain", "05_elmo_classify", "06_report")
REPORT_FILES = ("index.html", "report.pdf", "metrics.json", "timings.json")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class ReportError(RuntimeError):
    """A step of the report failed; the message names the notebook and cell, or the tool."""


def notebook_runs(notebooks_dir: Path) -> list[tuple[str, Path, dict]]:
    """Return (output name, notebook, extra parameters) in execution order; 05 runs once per mode."""
    runs = []
    for name in NOTEBOOKS:
        source = notebooks_dir / f"{name}.ipynb"
        if name == "05_elmo_classify":
            runs += [(f"{name}_{mode}", source, {"mode": mode}) for mode in MIX_MODES]
        else:
            runs.append((name, source, {}))
    return runs


def execute(source: Path, target: Path, parameters: dict, kernel: str | None, cwd: Path) -> None:
    """Execute one notebook with papermill, raising ReportError that names the notebook and failing cell."""
    import logging

    import papermill
    from papermill.exceptions import PapermillExecutionError
    log = logging.getLogger("papermill")
    if not log.handlers:  # show the notebooks' own progress (epochs, tqdm) while they run
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"  [{source.stem}] %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    log.handlers[0].setFormatter(logging.Formatter(f"  [{source.stem}] %(message)s"))
    try:
        papermill.execute_notebook(str(source), str(target), parameters=parameters, kernel_name=kernel,
                                   cwd=str(cwd), progress_bar=False, log_output=True)
    except PapermillExecutionError as err:
        index, first_line = failing_cell(target, err.cell_index)
        raise ReportError(f"notebook {source.name} failed in cell {index} (counting from 0, `{first_line}`): "
                          f"{err.ename}: {err.evalue}. The executed copy is {target}.") from None


def failing_cell(executed: Path, executed_index: int) -> tuple[int, str]:
    """Return (index in the source notebook, first source line) of a failed cell of an executed notebook."""
    import nbformat
    cells = nbformat.read(executed, as_version=4).cells
    injected = [i for i, c in enumerate(cells) if "injected-parameters" in c.metadata.get("tags", [])]
    shift = 1 if injected and executed_index > injected[0] else 0
    first_line = cells[executed_index].source.strip().splitlines()[0] if cells[executed_index].source.strip() else ""
    return executed_index - shift, first_line[:80]


def find_browser() -> str | None:
    """Return the path of a Chromium-family browser, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html: Path, pdf: Path, browser: str) -> None:
    """Print `html` to `pdf` with headless Chromium."""
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={pdf.parent / '.chromium'}",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    run = subprocess.run(command, capture_output=True, text=True, timeout=180)
    if run.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise ReportError(f"Chromium could not print {html} to PDF (exit {run.returncode}): {run.stderr[-500:]}")


def render_html(executed: Path, target: Path, hide_code: bool) -> None:
    """Render an executed notebook to standalone HTML (images inline)."""
    from nbconvert import HTMLExporter
    import nbformat
    exporter = HTMLExporter(exclude_input=hide_code, exclude_input_prompt=hide_code, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target.write_text(body, encoding="utf-8")


def metrics_document(study) -> dict:
    """Return report/metrics.json: every model's train and test metrics and the run manifest (no timings,
    so two runs with the same settings give the same file)."""
    from elmo_lib.report import manifest
    return {"models": {key: {"train": r["train"], "test": r["test"]} for key, r in study.results().items()},
            "manifest": manifest(study)}


def build_report(profile: str, overrides: dict, artifacts: Path, out_dir: Path, notebooks_dir: Path,
                 kernel: str | None = None, pdf: bool = True) -> dict:
    """Build report/index.html, report/report.pdf and report/metrics.json; return the per-notebook wall times."""
    from elmo_lib.notebook import open_study
    out_dir, artifacts = Path(out_dir).resolve(), Path(artifacts).resolve()
    for name in REPORT_FILES:
        (out_dir / name).unlink(missing_ok=True)
    build = out_dir / ".build"
    shutil.rmtree(build, ignore_errors=True)
    (build / "notebooks").mkdir(parents=True)
    browser = find_browser() if pdf else None
    if pdf and browser is None:
        raise ReportError("no Chromium found for the PDF: install it (Debian: apt-get install chromium) "
                          "or pass --no-pdf.")
    timings: dict[str, float] = {}
    base = {"profile": profile, "overrides": overrides, "artifacts": str(artifacts)}
    for name, source, extra in notebook_runs(notebooks_dir):
        target = build / "notebooks" / f"{name}.ipynb"
        parameters = {**base, **extra}
        if name == "06_report":
            write_json(build / "timings.json", timings)
            parameters["timings_path"] = str(build / "timings.json")
        print(f"running {source.name} {extra or ''}".rstrip(), flush=True)
        started = time.perf_counter()
        execute(source, target, parameters, kernel, notebooks_dir)
        timings[name] = round(time.perf_counter() - started, 1)
        render_html(target, build / ("index.html" if name == "06_report" else f"{name}.html"),
                    hide_code=name == "06_report")
    write_json(build / "timings.json", timings)
    write_json(build / "metrics.json", metrics_document(open_study(profile, overrides, str(artifacts))))
    if browser:
        print_pdf(build / "index.html", build / "report.pdf", browser)
    for item in build.iterdir():
        if item.name == ".chromium":
            continue
        destination = out_dir / item.name
        if destination.is_dir():
            shutil.rmtree(destination)
        os.replace(item, destination)
    shutil.rmtree(build, ignore_errors=True)
    return timings
