"""Every `elmo-lib` command the README shows parses, its settings pass the checks, and they reach the notebooks
as values the notebooks accept; the cheap ones run for real at a tiny size."""
import re
import shlex
from pathlib import Path

import pytest

from elmo_lib.cli import build_parser, main
from elmo_lib.config import get_profile, parse_overrides

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    """Return the `elmo-lib ...` command lines of the README's code blocks, comments cut, optional [groups] left out
    and the first of each a|b choice taken."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    commands = []
    for line in "\n".join(blocks).splitlines():
        line = re.split(r"\s#\s", line)[0].strip()
        if not line.startswith("elmo-lib "):
            continue
        line = re.sub(r"\s*\[[^\]]*\]", "", line)
        commands.append(re.sub(r"(\S+)\|\S+", r"\1", line))
    return commands


def _readme_settings() -> list[str]:
    """Return every `--set KEY=VALUE` the README shows, code blocks and prose alike."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = [value.strip('"\'') for value in re.findall(r"--set (\"[^\"]+\"|'[^']+'|\S+?)(?=[\s`])", text)]
    return [value for value in found if value != "KEY=VALUE"]  # the syntax line, not a setting


COMMANDS = _readme_commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 6 and any(c.startswith("elmo-lib predict") for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_parses_and_its_settings_hold(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    if hasattr(args, "set") and args.profile != "auto":
        get_profile(args.profile, parse_overrides(args.set))


@pytest.mark.parametrize("setting", _readme_settings())
def test_every_readme_setting_reaches_the_notebooks_as_an_accepted_value(setting, tmp_path):
    from papermill.translators import PythonTranslator

    from elmo_lib.report_build import notebook_parameters
    overrides = parse_overrides([setting])
    scope: dict = {}
    exec(PythonTranslator.codify(notebook_parameters("cpu", overrides, tmp_path)), scope)
    assert get_profile("cpu", scope["overrides"]) == get_profile("cpu", overrides)


def test_the_readme_data_check_and_verify_run(tiny_dir, tmp_path, capsys):
    check = next(c for c in COMMANDS if c.startswith("elmo-lib data check --data-dir"))
    assert main([*shlex.split(check)[1:-1], str(tiny_dir)]) == 0
    assert "vocabulary" in capsys.readouterr().out
    verify = next(c for c in COMMANDS if c.startswith("elmo-lib verify"))
    (tmp_path / "artifacts").mkdir()
    assert main([*shlex.split(verify)[1:], "--artifacts", str(tmp_path / "artifacts")]) == 1  # empty: says so
    assert "nothing to verify" in capsys.readouterr().out
