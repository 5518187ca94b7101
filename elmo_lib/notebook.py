"""What each notebook calls first: the study for its papermill parameters."""
from __future__ import annotations

import os
from pathlib import Path

from elmo_lib.config import get_profile
from elmo_lib.leftovers import remove_dead_temp_files
from elmo_lib.paths import project_root, resolve_path
from elmo_lib.study import Study


def default_profile_name() -> str:
    """Return "full" when CUDA is available, else "cpu"."""
    import torch
    return "full" if torch.cuda.is_available() else "cpu"


def default_artifacts() -> Path:
    """Return $ELMO_ARTIFACTS, else the artifacts/ folder of the project holding the working directory."""
    if os.environ.get("ELMO_ARTIFACTS"):
        return resolve_path(os.environ["ELMO_ARTIFACTS"])
    return (project_root() or Path.cwd().resolve()) / "artifacts"


def open_study(profile: str = "auto", overrides: dict | None = None, artifacts: str | Path | None = None,
               announce: bool = True, compute_missing: bool = False) -> Study:
    """Return the Study for a notebook's parameters (profile "auto" picks full on CUDA, else cpu). It reads what the
    artifacts hold and computes nothing unless asked (`study.compute("ablations")`, `study.compute_all()`), or unless
    `compute_missing`: a missing stage is a NotComputedError naming the command that computes it."""
    name = default_profile_name() if profile == "auto" else profile
    study = Study(get_profile(name, overrides or {}), Path(artifacts) if artifacts else default_artifacts(), overrides)
    study.compute_missing = compute_missing
    remove_dead_temp_files(study.root)
    if announce:
        print(f"profile: {name}; artifacts: {study.root}")
    return study


def log_outputs(run_log: str | Path | None) -> None:
    """Under `elmo-lib report` (papermill passes `run_log`): send what every later cell prints or warns to the run's
    log file instead of the rendered report, which keeps only displayed tables, figures and text. Interactive use
    (`run_log` None) keeps printing in the notebook."""
    if not run_log:
        return
    import contextlib

    from IPython import get_ipython
    shell = get_ipython()
    if shell is None:
        return
    state: dict = {}

    def before(*_):
        log = open(run_log, "a", encoding="utf-8")
        stack = contextlib.ExitStack()
        stack.enter_context(log)
        stack.enter_context(contextlib.redirect_stdout(log))
        stack.enter_context(contextlib.redirect_stderr(log))
        state["stack"] = stack

    def after(*_):
        stack = state.pop("stack", None)
        if stack is not None:
            stack.close()
    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
