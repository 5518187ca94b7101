import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _names(specs):
    return {re.split(r"[<>=!~ ]", s, maxsplit=1)[0].lower(): s.replace(" ", "") for s in specs}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"] + project["optional-dependencies"]["dev"])
    env_lines = (ROOT / "environment.yml").read_text().splitlines()
    pip_specs = [line.strip()[2:] for line in env_lines if line.startswith("      - ") and "-e ." not in line]
    assert _names(pip_specs) == wanted
    assert "torch==2.13.0" in wanted.values()
    assert any("python=3.11" in line for line in env_lines)
