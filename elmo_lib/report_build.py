"""`make report`: run the notebooks with papermill, render them with nbconvert, print the PDF with Chromium.

Checks that need no work (notebooks present, Chromium, settings) come first. Everything is then
built in a staging folder unique to the run and published into report/ only when every step has
passed, each file by an atomic rename, so a failed run leaves the last good report untouched.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from elmo_lib.config import Profile, get_profile
from elmo_lib.io import write_json
from elmo_lib.paths import project_root
from elmo_lib.registry import BILM_ARMS, rows
from elmo_lib.render import Tee, render_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
RUN_LOG = "run.log"  # beside index.html: what the run printed (plan, training, warnings), kept out of the report
PAPERMILL_TAGS = {"injected-parameters", "papermill-error-cell-tag"}


class ReportError(RuntimeError):
    """A step of the report failed; the message names the notebook and cell, or the tool."""


def notebook_plan(profile: Profile) -> list[tuple[str, str, dict]]:
    """Return (run name, notebook stem, extra parameters) in execution order, one model run per registry key."""
    models = rows(profile)
    plan = [("01_data", "01_data", {})]
    if any(row.arm in BILM_ARMS for row in models.values()):
        plan.append(("02_elmo_pretrain", "02_elmo_pretrain", {}))
    plan += [(f"03_model_{key}", "03_model", {"model": key}) for key in models]
    plan.append(("04_report", "04_report", {}))
    return plan


def default_notebooks() -> Path:
    """Return the project's notebooks/ folder, or raise ReportError naming the folder it needs."""
    root = project_root() or project_root(Path(__file__).parent)
    if root is None or not (root / "notebooks").is_dir():
        raise ReportError("no notebooks/ folder found: run from inside the elmo_lib checkout or pass --notebooks DIR.")
    return root / "notebooks"


def silence_after_interrupt() -> None:
    """After Ctrl-C, keep papermill's client threads (which go on logging the interrupted cell, a dead kernel, ...)
    off the terminal: standard error goes to /dev/null, and `elmo_lib.cli` says what happened in one line on the
    stream kept here (INTERRUPT_STREAM)."""
    global INTERRUPT_STREAM
    import logging
    logging.getLogger("papermill").disabled = True
    if INTERRUPT_STREAM is None:
        sys.stderr.flush()
        INTERRUPT_STREAM = os.fdopen(os.dup(2), "w")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = open(os.devnull, "w")


INTERRUPT_STREAM = None  # the terminal's standard error, once silence_after_interrupt() has run


def execute(source: Path, target: Path, parameters: dict, kernel: str | None, cwd: Path, run_name: str) -> None:
    """Execute one notebook with papermill, raising ReportError that names the notebook and failing cell."""
    import logging

    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    log = logging.getLogger("papermill")
    if not log.handlers:  # show the notebooks' own progress (epochs, tqdm) while they run
        log.addHandler(logging.StreamHandler(sys.stderr))
        log.setLevel(logging.INFO)
        log.propagate = False
    log.handlers[0].setFormatter(logging.Formatter(f"  [{run_name}] %(message)s"))
    try:
        papermill.execute_notebook(str(source), str(target), parameters=parameters, kernel_name=kernel,
                                   cwd=str(cwd), progress_bar=False, log_output=True)
    except PapermillExecutionError as err:
        index, first_line = failing_cell(target)
        raise ReportError(f"notebook {source.name} ({run_name}) failed in cell {index} (counting from 0, "
                          f"`{first_line}`): {err.ename}: {err.evalue}") from None
    except KeyboardInterrupt:
        silence_after_interrupt()
        raise
    except DeadKernelError:
        raise ReportError(f"the kernel running {source.name} ({run_name}) died (out of memory?); "
                          f"stage {run_name} did not finish") from None


def failing_cell(executed: Path) -> tuple[int, str]:
    """Return (index in the source notebook, first source line) of the cell whose output is an error."""
    import nbformat
    cells = [c for c in nbformat.read(executed, as_version=4).cells
             if not PAPERMILL_TAGS & set(c.metadata.get("tags", []))]
    for index, cell in enumerate(cells):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            lines = cell.source.strip().splitlines()
            return index, (lines[0] if lines else "")[:80]
    return -1, ""


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


def metrics_document(study) -> dict:
    """Return report/metrics.json: every model's train and test metrics and the run manifest (no timings,
    so two runs with the same settings give the same file)."""
    from elmo_lib.provenance import manifest
    return {"models": {key: {"train": r["train"], "test": r["test"]} for key, r in study.results().items()},
            "manifest": manifest(study)}


def logged_seconds(study, computed: dict[str, float]) -> dict[str, float]:
    """Return {"stage <name>": seconds} for the report's timings: this run's where it computed the stage, else the
    seconds the artifacts' stage log holds for the run that computed it on this CPU (0 where there is none)."""
    from elmo_lib.provenance import cpu_model
    from elmo_lib.stage_log import with_logged
    seconds, _ = with_logged(study.root, study.profile.name, {k[len("stage "):]: v for k, v in computed.items()},
                             cpu_model())
    return {f"stage {name}": value for name, value in seconds.items()}


def publish(staging: Path, out_dir: Path) -> None:
    """Move every file of `staging` into `out_dir`, one atomic rename each (folders replaced whole)."""
    for item in staging.iterdir():
        if item.name.startswith("."):
            continue
        destination = out_dir / item.name
        if destination.is_dir():
            shutil.rmtree(destination)
        os.replace(item, destination)


def build_report(profile_name: str, overrides: dict, artifacts: Path, out_dir: Path, notebooks_dir: Path | None = None,
                 kernel: str | None = None, pdf: bool = True) -> dict:
    """Compute every stage of the profile's plan, then run the notebooks (which only read) and build index.html,
    report.pdf, metrics.json and results.json (elmo_lib.evidence) into `out_dir`; return the wall seconds of each stage and each notebook."""
    from elmo_lib.evidence import results_record
    from elmo_lib.leftovers import remove_dead_staging
    from elmo_lib.notebook import open_study
    profile = get_profile(profile_name, overrides)
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks()
    plan = notebook_plan(profile)
    missing = sorted({f"{stem}.ipynb" for _, stem, _ in plan if not (notebooks_dir / f"{stem}.ipynb").is_file()})
    if missing:
        raise ReportError(f"notebooks missing from {notebooks_dir}: {', '.join(missing)}")
    browser = find_browser() if pdf else None
    if pdf and browser is None:
        raise ReportError("no Chromium found for the PDF: run `make setup` (it installs chromium where it can), "
                          "or `apt-get install chromium`, or pass --no-pdf. The previous report is untouched.")
    out_dir, artifacts = Path(out_dir), Path(artifacts)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_dead_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".build-{os.getpid()}-", dir=out_dir))
    (staging / "notebooks").mkdir()
    log = open(staging / RUN_LOG, "a", encoding="utf-8", buffering=1)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Tee(sys.stdout, log), Tee(sys.stderr, log)
    try:
        study = open_study(profile_name, overrides, str(artifacts), announce=False, compute_missing=True)
        computed = {f"stage {name}": s for name, s in study.compute_all(lambda line: print(line, flush=True)).items()}
        timings = _run_notebooks(plan, notebooks_dir, staging, profile_name, overrides, artifacts, kernel,
                                 logged_seconds(study, computed))
        finished = open_study(profile_name, overrides, str(artifacts))
        write_json(staging / "metrics.json", metrics_document(finished))
        write_json(staging / "results.json", results_record(
            finished, {k[len("stage "):]: v for k, v in computed.items()},
            {k: v for k, v in timings.items() if not k.startswith("stage ")}))
        if browser:
            print_pdf(staging / "index.html", staging / "report.pdf", browser)
    except BaseException as err:
        sys.stdout, sys.stderr = streams
        log.close()
        failed = [p for p in (staging / "notebooks").glob("*.ipynb")]
        if failed:
            newest = max(failed, key=lambda p: p.stat().st_mtime)
            os.replace(newest, out_dir / f"failed-{newest.name}")
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, ReportError):
            raise ReportError(f"{err}. The executed copy is in {out_dir}/failed-*.ipynb; "
                              f"the previous report in {out_dir} is untouched.") from None
        raise
    sys.stdout, sys.stderr = streams
    log.close()
    publish(staging, out_dir)
    shutil.rmtree(staging, ignore_errors=True)
    for failed in out_dir.glob("failed-*.ipynb"):  # a failed run's copy, now that a good report replaced it
        failed.unlink(missing_ok=True)
    return timings


THIS_PYTHON_KERNEL = "elmo-lib-this-python"


def this_python_kernel(folder: Path, log: Path | None = None) -> str:
    """Return the name of a kernelspec, written under `folder` and put first on JUPYTER_PATH, that runs this very
    Python: the notebooks then import the elmo_lib that `elmo-lib report` runs from, whatever a global "elmo-lib"
    kernelspec (registered by another checkout's `make setup`) points to."""
    import json
    spec = Path(folder) / "kernels" / THIS_PYTHON_KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "elmo_lib.kernel", "-f", "{connection_file}"],
        "display_name": f"Python ({sys.executable})", "language": "python",
        **({"env": {"ELMO_KERNEL_LOG": str(log)}} if log else {})}))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("JUPYTER_PATH")]))
    return THIS_PYTHON_KERNEL


def keep_kernelspec(source: Path, executed: Path) -> None:
    """Give the executed notebook its source's kernelspec (papermill records the run's private one)."""
    import nbformat
    notebook = nbformat.read(executed, as_version=4)
    wanted = nbformat.read(source, as_version=4).metadata.get("kernelspec")
    if wanted and notebook.metadata.get("kernelspec") != wanted:
        notebook.metadata["kernelspec"] = wanted
        nbformat.write(notebook, executed)


def _run_notebooks(plan, notebooks_dir: Path, staging: Path, profile_name: str, overrides: dict, artifacts: Path,
                   kernel: str | None, stage_seconds: dict[str, float]) -> dict:
    timings: dict[str, float] = dict(stage_seconds)  # the report's timings.json shows the stages' seconds too
    saved_path = os.environ.get("JUPYTER_PATH")
    try:
        if kernel is None:
            kernel = this_python_kernel(staging / ".jupyter", staging.parent / "kernel.log")
        return _run_each(plan, notebooks_dir, staging, profile_name, overrides, artifacts, kernel, timings)
    finally:
        if saved_path is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved_path


def notebook_parameters(profile_name: str, overrides: dict, artifacts: Path) -> dict:
    """Return the papermill parameters every notebook receives, as JSON values: papermill writes a tuple it does not
    know as its text, so `--set "learning_curve=(0.01,0.1)"` reaches the notebooks as the list [0.01, 0.1] (which
    the settings read back as a tuple)."""
    import json
    return {"profile": profile_name, "overrides": json.loads(json.dumps(overrides)), "artifacts": str(artifacts)}


def _run_each(plan, notebooks_dir: Path, staging: Path, profile_name: str, overrides: dict, artifacts: Path,
              kernel: str, timings: dict) -> dict:
    base = notebook_parameters(profile_name, overrides, artifacts)
    for run_name, stem, extra in plan:
        target = staging / "notebooks" / f"{run_name}.ipynb"
        parameters = {**base, **extra}
        is_report = stem == "04_report"
        if is_report:
            write_json(staging / "timings.json", timings)
            parameters["timings_path"] = str(staging / "timings.json")
            parameters["run_log"] = str(staging / RUN_LOG)
        print(f"running {stem}.ipynb {extra or ''}".rstrip(), flush=True)
        started = time.perf_counter()
        execute(notebooks_dir / f"{stem}.ipynb", target, parameters, kernel, notebooks_dir, run_name)
        timings[run_name] = round(time.perf_counter() - started, 1)
        keep_kernelspec(notebooks_dir / f"{stem}.ipynb", target)
        render_html(target, staging / ("index.html" if is_report else f"{run_name}.html"), hide_code=is_report)
    write_json(staging / "timings.json", timings)
    return timings


def write_results(results_json: Path, path: Path) -> None:
    """Copy the report's results.json (elmo_lib.evidence) to benchmarks/results_<profile>.json, atomically."""
    from elmo_lib.io import atomic_path
    with atomic_path(Path(path)) as tmp:
        shutil.copyfile(results_json, tmp)
    print(f"results: {path}")
