"""Installs that still work next year: the lock, environment.yml and pyproject.toml agree, and extras fit commands."""
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from environment_from_lock import locked_pins  # noqa: E402


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].lower().replace("_", "-")


def _pins(specs) -> dict[str, str]:
    return {_name(spec): spec.partition("==")[2] for spec in specs}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_environment_yml_has_the_locks_exact_versions():
    env_lines = (ROOT / "environment.yml").read_text().splitlines()
    pip_specs = [line.strip()[2:] for line in env_lines if line.startswith("      - ") and "-e ." not in line]
    lock = _pins(locked_pins((ROOT / "requirements.lock").read_text()))
    torch = next(s for s in _project()["dependencies"] if s.startswith("torch=="))
    assert _pins(pip_specs) == {**lock, "torch": torch.partition("==")[2]}
    assert any("python=3.11" in line for line in env_lines)


def test_the_lock_pins_every_dependency_with_hashes_and_fits_pyproject():
    text = (ROOT / "requirements.lock").read_text()
    lock = _pins(locked_pins(text))
    project = _project()
    wanted = [s for s in project["dependencies"] + project["optional-dependencies"]["report"]
              + project["optional-dependencies"]["dev"] if not s.startswith(("torch", "elmo_lib"))]
    assert {_name(s) for s in wanted} <= set(lock)
    assert "torch" not in lock  # installed apart from its pin in pyproject.toml (its CPU wheel)
    entries = re.split(r"\n(?=[A-Za-z0-9])", text[text.index("\n" + next(iter(locked_pins(text)))) + 1:])
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry.split("\n")[0])
    from packaging.specifiers import SpecifierSet
    for spec in wanted:
        name, _, rest = re.match(r"([A-Za-z0-9_.-]+)(\[.*\])?(.*)", spec).groups()
        assert lock[_name(name)] in SpecifierSet(rest), f"{spec} but the lock has {lock[_name(name)]}"


def test_report_extra_holds_what_elmo_lib_report_imports():
    report = {_name(s) for s in _project()["optional-dependencies"]["report"]}
    assert {"papermill", "nbconvert", "nbformat", "ipykernel"} <= report
    assert "elmo_lib[report]" in _project()["optional-dependencies"]["dev"]


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed").is_file() or Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
                    reason="checks the venv `make setup` made (run under .venv/bin/python)")
def test_the_setup_venv_holds_exactly_the_locked_versions():
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    installed = _pins(line for line in frozen if "==" in line)
    lock = _pins(locked_pins((ROOT / "requirements.lock").read_text()))
    torch = next(s for s in _project()["dependencies"] if s.startswith("torch==")).partition("==")[2]
    assert installed.pop("torch").split("+")[0] == torch
    extra = {name: version for name, version in installed.items() if lock.get(name) != version}
    missing = {name: version for name, version in lock.items() if installed.get(name) != version
               and name not in ("setuptools", "pip", "wheel")}
    assert (extra, missing) == ({}, {})
    assert importlib.metadata.version("elmo_lib") == _project()["version"]


def test_setup_registers_the_kernel_inside_the_venv_not_per_user():
    makefile = (ROOT / "Makefile").read_text()
    install = next(line for line in makefile.splitlines() if "ipykernel install" in line)
    assert "--sys-prefix" in install and "--user" not in install
